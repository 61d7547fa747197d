"""The slack-bolt App: `/papers` and mentions translated into core commands, OAuth stores in our database."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import Executor
from typing import Any

import slack_bolt
from slack_bolt import Ack, Respond, Say
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
from adapters.slack.reactions import register_reactions
from adapters.slack.render import PAGE_ACTION, SHOW_REST, WARMUP_ACTION
from adapters.slack.replays import Replays
from adapters.slack.replies import fallback, preview_page, render, render_pages
from adapters.slack.translator import Permissions, Translator, is_slow, parsed, typed_text
from adapters.slack.unfurls import register_unfurls
from adapters.slack.uninstalls import handle_revocations, resuming_callbacks
from bot.app import App
from bot.chat import commands as c
from bot.chat.replies import DigestPreview, Problem
from bot.config import Settings

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


def build_slack_app(
    app: App,
    *,
    client: WebClient | None = None,
    process_before_response: bool = False,
    permissions: Permissions | None = None,
    executor: Executor | None = None,
) -> slack_bolt.App:
    """The bolt App for these settings: OAuth when a client id and secret are set, else one bot token.

    `executor` runs the lazy listeners (bolt's thread pool by default); tests pass one that runs
    them at once, so that `dispatch` returns with every reply already posted.
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
            process_before_response=process_before_response,
            oauth_settings=oauth_settings(settings, app.engine) if use_oauth else None,
            authorize=None if (use_oauth or client.token) else _token_less,
            token_verification_enabled=False,  # no auth.test at start: the app must start while Slack is away
            listener_executor=executor,
            logger=log,
            user_facing_authorize_error_message=NOT_INSTALLED,
        )
    bolt.error(_refused)
    bolt.middleware(Replays(app.engine).middleware)  # after bolt's own signature and authorization checks
    handle_revocations(bolt, app.engine)
    translator = Translator(app, permissions or Permissions.from_settings(settings))
    register(bolt, translator)
    register_unfurls(bolt, app)
    register_home(bolt, translator)
    register_reactions(bolt, app)
    register_club(bolt, translator)
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


def register(bolt: slack_bolt.App, translator: Translator) -> None:
    """The listeners: fast commands answered in the ack, slow ones acked at once and answered lazily."""

    def ack_command(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        text = body.get("text", "")
        if is_slow(text):
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
        ack(**first)
        for page in more:  # after the ack: Slack already has the first page
            respond(**page, replace_original=False)

    def answer_later(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        if not is_slow(body.get("text", "")):
            return
        try:
            reply = translator.from_command(body, client)
            reply = opened(translator, client, body.get("channel_id", ""), reply) or reply  # a club's vote: posted
            if uploaded(client, body.get("channel_id", ""), body.get("user_id", ""), reply):
                return  # the file and its comment in the channel are the answer
            messages = render_pages(reply, body.get("user_id"))
        except Exception as error:  # noqa: BLE001 the same: a bug still answers in one sentence
            messages = [render(_failed(error))]
        for page in messages:
            respond(**page, replace_original=False)

    bolt.command(COMMAND)(ack=ack_command, lazy=[answer_later])

    @bolt.action(re.compile(f"^{PAGE_ACTION}_"))
    def on_page(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """A preview's ◀ / ▶: the preview again (it may have changed), that page of it, in place; a post's
        "Show the other N": its first page in a message of the clicker's own, the post left as it is."""
        ack()
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
            message = render(reply) if blocks is None else {"text": fallback(blocks), "blocks": blocks}
        except Exception as error:  # noqa: BLE001 a bug still answers in one sentence
            message = render(_failed(error))
        respond(**message, replace_original=action.get("action_id") != SHOW_REST)

    @bolt.action(WARMUP_ACTION)
    def on_warmup(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """The first subscription's "Teach me with 5 papers": the same as `/papers warmup` typed by the clicker."""
        ack()
        user = body.get("user") or {}
        team, channel = (body.get("team") or {}).get("id", ""), (body.get("channel") or {}).get("id", "")
        try:
            reply = translator.answer(client, team, channel, user.get("id", ""), user.get("username", ""), "warmup")
            messages = render_pages(reply, user.get("id"))
        except Exception as error:  # noqa: BLE001 a bug still answers in one sentence
            messages = [render(_failed(error))]
        for page in messages:
            respond(**page, replace_original=False)

    @bolt.action(FEEDBACK_ACTION)
    def on_feedback(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()  # at once: the answer goes to the clicker alone, through the response_url
        kind = FEEDBACK_ACTION.match(action.get("action_id", ""))
        try:
            reply = translator.from_button(body, kind[1] if kind else "", str(action.get("value", "")))
            message = render(reply, (body.get("user") or {}).get("id"))
        except Exception as error:  # noqa: BLE001 a bug still answers in one sentence
            message = render(_failed(error))
        respond(**message, replace_original=False)

    @bolt.event("app_mention")
    def on_mention(event: dict[str, Any], body: dict[str, Any], client: WebClient, say: Say) -> None:
        text = MENTION.sub("", event.get("text", "")).strip() or "help"
        team, channel, user = body.get("team_id", ""), event.get("channel", ""), event.get("user", "")
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
                say(thread_ts=event.get("thread_ts") or event.get("ts"), **message)
