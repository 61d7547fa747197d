"""Uninstalls and revoked tokens: the workspace's channels paused with the reason; a reinstall resumes them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import slack_bolt
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy import Engine

from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

UNINSTALLED = "papers-bot was uninstalled from this Slack workspace; installing it again resumes the posts"
REVOKED = "this Slack workspace revoked papers-bot's token; installing it again resumes the posts"
REASONS = (UNINSTALLED, REVOKED)


def pause_workspace(engine: Engine, team: str, reason: str) -> int:
    with UnitOfWork(engine) as uow:
        paused = uow.channels.pause_workspace("slack", team, reason)
        uow.commit()
    log.warning("paused %d channel(s) of Slack workspace %s: %s", paused, team, reason)
    return paused


def resume_workspace(engine: Engine, team: str) -> int:
    with UnitOfWork(engine) as uow:
        resumed = uow.channels.resume_workspace("slack", team, REASONS)
        uow.commit()
    if resumed:
        log.info("resumed %d channel(s) of Slack workspace %s after it installed papers-bot again", resumed, team)
    return resumed


def revocation_reason(body: dict[str, Any]) -> str | None:
    """The pause reason an event carries: the app uninstalled, or the bot's token revoked (a user's alone is not)."""
    event = body.get("event") if body.get("type") == "event_callback" else None
    if not isinstance(event, dict):
        return None
    if event.get("type") == "app_uninstalled":
        return UNINSTALLED
    tokens = event.get("tokens")
    if event.get("type") == "tokens_revoked" and isinstance(tokens, dict) and tokens.get("bot"):
        return REVOKED
    return None


def handle_revocations(bolt: slack_bolt.App, engine: Engine) -> None:
    """Pause on app_uninstalled / tokens_revoked, then let bolt delete the installation (OAuth) or just ack."""

    def pause_first(request: BoltRequest, next: Callable[[], BoltResponse]) -> BoltResponse:
        reason = revocation_reason(request.body)
        team = request.context.team_id
        if reason and team:
            pause_workspace(engine, team, reason)
        return next()

    bolt.middleware(pause_first)
    if bolt.installation_store is not None:
        bolt.enable_token_revocation_listeners()  # deletes the installation and its tokens
    else:  # one SLACK_BOT_TOKEN: nothing stored to delete, but Slack must get its 200 or it retries
        for event in ("app_uninstalled", "tokens_revoked"):
            bolt.event(event)(lambda: None)


def resuming_callbacks(engine: Engine) -> CallbackOptions:
    """OAuth success pages as bolt renders them, after resuming the channels an uninstall had paused."""

    def success(args: SuccessArgs) -> BoltResponse:
        team = args.installation.team_id
        if team:
            resume_workspace(engine, team)
        return args.default.success(args)

    def failure(args: FailureArgs) -> BoltResponse:
        return args.default.failure(args)

    return CallbackOptions(success=success, failure=failure)
