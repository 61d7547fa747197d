"""Slack's `reaction_added` / `reaction_removed` on the bot's posts, translated into the core's reactions."""

from __future__ import annotations

from typing import Any

import slack_bolt
from slack_bolt import BoltContext
from slack_sdk import WebClient

from adapters.slack.jobs import Jobs
from adapters.slack.replays import request_key
from bot.app import App
from bot.domain import ChannelRef
from bot.feedback.reactions import Reaction, count_reaction, kind_of


def reaction_of(event: dict[str, Any], team: str, bot_user: str | None) -> Reaction | None:
    """The core's reaction for this event; None for an emoji other than a thumb or a message not the bot's."""
    item = event.get("item") or {}
    if item.get("type") != "message" or kind_of(str(event.get("reaction", ""))) is None:
        return None
    if bot_user and event.get("item_user") not in (None, bot_user):
        return None  # someone else's message: known without asking the database
    conversation, user = str(item.get("channel", "")), str(event.get("user", ""))
    # A direct message (`D…`) holds the person's own feed; any other conversation is a channel's.
    feed = (
        ChannelRef.person("slack", team, user)
        if conversation.startswith("D")
        else ChannelRef("slack", team, conversation)
    )
    added = event.get("type") == "reaction_added"
    return Reaction((feed,), str(item.get("ts", "")), user, str(event["reaction"]), added)


def register_reactions(bolt: slack_bolt.App, app: App, jobs: Jobs) -> None:
    """A thumbs up on a message of a post likes its papers, a thumbs down dislikes them; removing it takes it back."""

    def on_reaction(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        team = str(body.get("team_id") or context.team_id or "")
        if (
            reaction_of(event, team, context.bot_user_id) is not None
        ):  # most reactions are on other messages: only the bot's are written to the inbox
            payload = {"event": event, "bot_user": context.bot_user_id}
            jobs.defer("event", "reaction", request_key(body), team, payload)

    @jobs.job("reaction")
    def count(payload: dict[str, Any], _client: WebClient) -> None:
        reaction = reaction_of(payload["event"], str(payload["team"]), payload.get("bot_user"))
        if reaction is not None:
            count_reaction(app.engine, reaction, app.service.clock())

    bolt.event("reaction_added")(on_reaction)
    bolt.event("reaction_removed")(on_reaction)
