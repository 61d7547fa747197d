"""The slack-bolt App: `/papers` and mentions translated into core commands, OAuth stores in our database."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from typing import Any

import slack_bolt
from slack_bolt import Ack
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from adapters.slack.club import opened, register_club
from adapters.slack.files import imported, uploaded
from adapters.slack.home_actions import register_home
from adapters.slack.installations import EncryptedInstallationStore
from adapters.slack.jobs import Jobs, respond_to, stored, team_of
from adapters.slack.reactions import register_reactions
from adapters.slack.render import KINDS_DONE, KINDS_PICK, PAGE_ACTION, SHOW_REST, WARMUP_ACTION, picked_command
from adapters.slack.replays import Replays, request_key
from adapters.slack.replies import fallback, preview_page, render, render_pages
from adapters.slack.translator import Permissions, Translator, is_slow, parsed, typed_text
from adapters.slack.unfurls import register_unfurls
from adapters.slack.uninstalls import handle_revocations, resuming_callbacks
from bot.app import App
from bot.chat import commands as c
from bot.chat.replies import DigestPreview, Problem
from bot.config import Settings
from bot.inbox import Inbox

log = logging.getLogger(__name__)

SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "channels:join",
    "channels:history",
    "groups:history",
    "users:read",
    "app_mentions:read",
    "links:read",
    "links:write",
    "files:read",
    "files:write",
    "im:write",
    "im:history",
    "reactions:read",
    "channels:read",
    "groups:read",
    "im:read",
    "mpim:read",
)  # the same list as slack/manifest.yml
OAUTH_STATE_SECONDS = 600
COMMAND = re.compile(r"^/papers[\w-]*$")  # `/papers`, and `/papers-dev` for a second app in development
NOT_INSTALLED = "papers-bot is not installed in this workspace (or was removed); ask an admin to install it again."
MENTION = re.compile(r"^\s*(<@[A-Z0-9]+>\s*)+")


# What slack_bolt.App reads from the environment when it is not given it (bolt's app.py): a token, even beside
# the `client` it is given (then warning that it will not use it), and OAuth settings of its own when both
# client variables exist, empty ones too (compose passes `.env`'s `SLACK_CLIENT_ID=` lines as empty values).
BOLT_READS = ("SLACK_BOT_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
FEEDBACK_ACTION = re.compile(r"^papers_(like|dislike|save)$")  # the buttons under each paper (adapters/slack/render.py)


def web_client(settings: Settings, token: str | None = None) -> WebClient:
    """Every WebClient this adapter makes: SLACK_API_URL, and rate limits waited out."""
    base_url = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    retries = [ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler(max_retry_count=2)]
    return WebClient(token=token, base_url=base_url, retry_handlers=retries)


def installation_store(settings: Settings, engine: Engine) -> EncryptedInstallationStore:
    """Installations (bot tokens per workspace) in the project's database, tables created if missing."""
    store = EncryptedInstallationStore(
        client_id=settings.slack_client_id or "", engine=engine, key=settings.slack_token_key, logger=log
    )
    store.create_tables()
    return store


def oauth_settings(settings: Settings, engine: Engine) -> OAuthSettings:
    """The install flow; its state lives in the database so that any web process can finish it."""
    state_store = SQLAlchemyOAuthStateStore(expiration_seconds=OAUTH_STATE_SECONDS, engine=engine, logger=log)
    state_store.create_tables()
    secret = settings.slack_client_secret.get_secret_value() if settings.slack_client_secret else ""
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=secret,
        scopes=list(SCOPES),
        installation_store=installation_store(settings, engine),
        state_store=state_store,
        state_expiration_seconds=OAUTH_STATE_SECONDS,
        callback_options=resuming_callbacks(engine),
        install_page_rendering_enabled=False,  # /slack/install redirects straight to Slack's consent page
    )


@contextlib.contextmanager
def settings_only() -> Iterator[None]:
    """bolt sees only what it is passed: our settings have read these variables already, and decided.

    Used while the App is built, at start, before any request is served.
    """
    hidden = {name: os.environ.pop(name) for name in BOLT_READS if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(hidden)


def _failed(error: Exception) -> Problem:
    ref = uuid.uuid4().hex[:8]
    log.error("slack reply failed (ref %s): %s", ref, error, exc_info=error)
    return Problem(f"Something went wrong on my side; it is logged as ref {ref}.")


def _token_less(enterprise_id: str | None, team_id: str | None, **_: Any) -> AuthorizeResult:
    # No bot token and no OAuth: commands can still be answered through their response_url.
    return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id)


RUNNING: list[Inbox] = []  # this process's inboxes, started by build_slack_app


def stop_work() -> None:
    """For the web server's shutdown (SIGTERM): requests not started are given back to the inbox at once, for the
    next process, instead of waiting out their lease; those running are finished first. Also run at exit."""
    while RUNNING:
        RUNNING.pop().stop(wait=True)


atexit.register(stop_work)


def clients(settings: Settings, engine: Engine, client: WebClient) -> Callable[[str], WebClient]:
    """A workspace's client for work carried out after its request: its installation's token, or the one token."""
    if not settings.slack_uses_oauth:
        return lambda _team: client
    store = installation_store(settings, engine)

    def client_for(team: str) -> WebClient:
        bot = store.find_bot(enterprise_id=None, team_id=team)
        return web_client(settings, bot.bot_token if bot else None)  # none: answered through response URLs only

    return client_for


def build_slack_app(
    app: App,
    *,
    client: WebClient | None = None,
    permissions: Permissions | None = None,
    executor: Executor | None = None,
    inbox: Inbox | None = None,
) -> slack_bolt.App:
    """The bolt App for these settings: OAuth when a client id and secret are set, else one bot token.

    Every listener answers in its acknowledgement or writes its work to the inbox and acknowledges
    (bolt's process_before_response: nothing runs after the ack in bolt's own threads, so an ack never
    waits behind work). The inbox's pools carry the work out; without `executor` or `inbox` they are
    this process's threads, swept for work left by stopped processes. Tests pass an `executor` that
    runs work at once (so that `dispatch` returns with every reply posted), or an `inbox` of their own.
    """
    settings = app.settings
    use_oauth = settings.slack_uses_oauth
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token and not use_oauth else None
    if use_oauth and settings.slack_bot_token:
        log.info("SLACK_CLIENT_ID is set: tokens come from installations, SLACK_BOT_TOKEN is not used for commands")
    client = client or web_client(settings, token)
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    with settings_only():
        bolt = slack_bolt.App(
            client=client,  # with SLACK_API_URL and the retry handlers; its token is SLACK_BOT_TOKEN without OAuth
            signing_secret=secret,
            process_before_response=True,
            oauth_settings=oauth_settings(settings, app.engine) if use_oauth else None,
            authorize=None if (use_oauth or client.token) else _token_less,
            token_verification_enabled=False,  # no auth.test at start: the app must start while Slack is away
            listener_executor=executor,
            logger=log,
            user_facing_authorize_error_message=NOT_INSTALLED,
        )
    sweeps = inbox is None and executor is None  # this process's own pools: swept for work left by others
    inbox = inbox or Inbox(app.engine, executor=executor)
    jobs = Jobs(inbox, clients(settings, app.engine, client))
    bolt.error(_refused)
    bolt.middleware(Replays(app.engine, kept=inbox.has).middleware)  # after bolt's signature and authorization checks
    handle_revocations(bolt, app.engine)
    translator = Translator(app, permissions or Permissions.from_settings(settings))
    register(bolt, translator, jobs)
    register_unfurls(bolt, app, jobs)
    register_home(bolt, translator, jobs)
    register_reactions(bolt, app, jobs)
    register_club(bolt, translator, jobs)
    if sweeps:  # once every job is known: the first sweep takes what stopped processes left
        inbox.start()
        RUNNING.append(inbox)
    return bolt


# What a signed body that is not shaped like Slack's makes bolt's parsing and matching raise.
SHAPE_ERRORS = (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError)


def _refused(error: Exception, request: Any) -> BoltResponse | None:
    """bolt's error handler: a body it cannot read is the sender's mistake (400), not ours (500)."""
    if isinstance(error, SHAPE_ERRORS):
        log.warning("refused a request bolt could not read: %s: %s", type(error).__name__, str(error)[:200])
        return BoltResponse(status=400, body="")
    log.error("slack request failed", exc_info=error)
    return None


def _answer_later(translator: Translator, payload: dict[str, Any], client: WebClient) -> None:
    """A slow command's answer, through its response_url (a file upload is its own answer)."""
    body = payload["body"]
    try:
        reply = translator.from_command(body, client)
        reply = opened(translator, client, body.get("channel_id", ""), reply) or reply  # a club's vote: posted
        if uploaded(client, body.get("channel_id", ""), body.get("user_id", ""), reply):
            return  # the file and its comment in the channel are the answer
        messages = render_pages(reply, body.get("user_id"))
    except Exception as error:  # noqa: BLE001 the same: a bug still answers in one sentence
        messages = [render(_failed(error))]
    respond = respond_to(body)
    for page in messages:
        respond(**page, replace_original=False)


def _page(translator: Translator, body: dict[str, Any], client: WebClient) -> dict[str, Any]:
    user = body.get("user") or {}
    action = (body.get("actions") or [{}])[0]
    try:
        page = int(action.get("value", "0"))
        reply = translator.answer(
            client,
            (body.get("team") or {}).get("id", ""),
            (body.get("channel") or {}).get("id", ""),
            user.get("id", ""),
            user.get("username", ""),
            "digest",
        )
        blocks = preview_page(reply, page) if isinstance(reply, DigestPreview) else None
        return render(reply) if blocks is None else {"text": fallback(blocks), "blocks": blocks}
    except Exception as error:  # noqa: BLE001 a bug still answers in one sentence
        return render(_failed(error))


def register(bolt: slack_bolt.App, translator: Translator, jobs: Jobs) -> None:
    """The listeners: fast commands answered in the ack, the others written to the inbox, acked, worked later."""

    def ack_command(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        text = body.get("text", "")
        if is_slow(text):
            jobs.defer("command", "command", request_key(body), team_of(body), {"body": stored(body)})
            # A search or preview says it is working; a change shows up in the channel when it is done.
            if isinstance(parsed(typed_text(text)), (c.Find, c.PreviewDigest)):
                ack(text="Looking…", response_type="ephemeral")
            else:
                ack()
            return
        try:
            first, *more = render_pages(translator.from_command(body, client), body.get("user_id"))
        except Exception as error:  # noqa: BLE001 a rendering bug must still answer within 3 s
            first, more = render(_failed(error)), []
        if more:  # after the ack: Slack must have the first page before the others arrive
            payload = {"response_url": body.get("response_url"), "pages": more}
            jobs.defer("command", "pages", None, team_of(body), payload)
        ack(**first)

    bolt.command(COMMAND)(ack_command)

    @jobs.job("command")
    def answer_later(payload: dict[str, Any], client: WebClient) -> None:
        _answer_later(translator, payload, client)

    @jobs.job("pages")
    def more_pages(payload: dict[str, Any], client: WebClient) -> None:
        respond = respond_to(payload)
        for page in payload["pages"]:
            respond(**page, replace_original=False)

    @bolt.action(re.compile(f"^{PAGE_ACTION}_"))
    def on_page(ack: Ack, body: dict[str, Any]) -> None:
        """A preview's ◀ / ▶: the preview again (it may have changed), that page of it, in place; a post's
        "Show the other N": its first page in a message of the clicker's own, the post left as it is."""
        jobs.defer("command", "page", request_key(body), team_of(body), {"body": stored(body)})
        ack()

    @jobs.job("page")
    def page(payload: dict[str, Any], client: WebClient) -> None:
        body = payload["body"]
        action = (body.get("actions") or [{}])[0]
        respond_to(body)(**_page(translator, body, client), replace_original=action.get("action_id") != SHOW_REST)

    @bolt.action(re.compile(f"^(?:{WARMUP_ACTION}|{KINDS_DONE})$"))
    def on_warmup(ack: Ack, body: dict[str, Any]) -> None:
        """The first subscription's "Pick the kinds you want": the same as `/papers warmup` typed by the clicker;
        the warm-up's Done: `/papers warmup pick` with the kinds ticked."""
        jobs.defer("command", "warmup", request_key(body), team_of(body), {"body": stored(body)})
        ack()

    @bolt.action(KINDS_PICK)
    def on_tick(ack: Ack) -> None:
        ack()  # a kind ticked or not: nothing happens until Done

    @jobs.job("warmup")
    def warmup(payload: dict[str, Any], client: WebClient) -> None:
        body = payload["body"]
        user = body.get("user") or {}
        team, channel = (body.get("team") or {}).get("id", ""), (body.get("channel") or {}).get("id", "")
        try:
            done = any(a.get("action_id") == KINDS_DONE for a in body.get("actions") or [])
            said = picked_command(body) if done else "warmup"
            reply = translator.answer(client, team, channel, user.get("id", ""), user.get("username", ""), said)
            messages = render_pages(reply, user.get("id"))
        except Exception as error:  # noqa: BLE001 a bug still answers in one sentence
            messages = [render(_failed(error))]
        respond = respond_to(body)
        for page in messages:
            respond(**page, replace_original=False)

    @bolt.action(FEEDBACK_ACTION)
    def on_feedback(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        # The answer goes to the clicker alone, through the response_url.
        payload = {"body": stored(body), "action": action}
        jobs.defer("command", "feedback", request_key(body), team_of(body), payload)
        ack()

    @jobs.job("feedback")
    def feedback(payload: dict[str, Any], client: WebClient) -> None:
        body, action = payload["body"], payload["action"]
        kind = FEEDBACK_ACTION.match(action.get("action_id", ""))
        try:
            reply = translator.from_button(body, kind[1] if kind else "", str(action.get("value", "")))
            message = render(reply, (body.get("user") or {}).get("id"))
        except Exception as error:  # noqa: BLE001 a bug still answers in one sentence
            message = render(_failed(error))
        respond_to(body)(**message, replace_original=False)

    @bolt.event("app_mention")
    def on_mention(body: dict[str, Any]) -> None:
        jobs.defer("command", "mention", request_key(body), team_of(body), {"event": body["event"]})

    @jobs.job("mention")
    def mention(payload: dict[str, Any], client: WebClient) -> None:
        event = payload["event"]
        text = MENTION.sub("", event.get("text", "")).strip() or "help"
        team, channel, user = payload["team"], event.get("channel", ""), event.get("user", "")
        if event.get("files") and isinstance(parsed(typed_text(text)), c.Import):
            reply = imported(translator, client, team, channel, user, list(event["files"]))
        else:
            reply = translator.answer(client, team, channel, user, user, text)
        reply = opened(translator, client, channel, reply) or reply  # a club's vote: posted in the channel
        if uploaded(client, channel, user, reply):
            return
        for message in render_pages(reply, user):  # a digest preview is several messages, never one too big
            message.pop("response_type", None)
            if reply.ephemeral:
                client.chat_postEphemeral(channel=channel, user=user, **message)
            else:
                client.chat_postMessage(channel=channel, thread_ts=event.get("thread_ts") or event.get("ts"), **message)
