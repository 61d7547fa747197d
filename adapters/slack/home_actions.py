"""App Home's listeners: the tab drawn when opened, its buttons, and the subscribe modal's preview and submit."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import slack_bolt
from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.slack.home import (
    CHANNEL,
    OPEN_SUBSCRIBE,
    QUERY,
    SUBSCRIBE_MODAL,
    UNSUBSCRIBE,
    home_view,
    modal_values,
    subscribe_modal,
)
from adapters.slack.replies import render
from bot.chat import commands as c
from bot.chat import replies as r
from bot.chat.home import build_home, chosen_query
from bot.domain import Actor, ChannelRef
from bot.errors import PapersError
from bot.relevance.query import parse_query

if TYPE_CHECKING:
    from adapters.slack.translator import Translator

log = logging.getLogger(__name__)

MAX_ERROR = 150  # an input's error under it in a modal


class HomeTab:
    """What the listeners share: the translator (permissions, the core) and how to redraw one person's Home."""

    def __init__(self, translator: Translator) -> None:
        self.translator = translator
        self.app = translator.app

    def publish(self, client: WebClient, team: str, user: str) -> None:
        may = self.translator.permissions.may_change(client, team, user)
        home = build_home(self.app.engine, "slack", team, Actor(user, user, may), may, self.app.default_schedule)
        try:
            client.views_publish(user_id=user, view=home_view(home))
        except SlackApiError as error:
            log.warning("views.publish for %s in %s failed: %s", user, team, error.response.get("error"))

    def announce(self, client: WebClient, channel: str, user: str, reply: r.Reply) -> None:
        """A change made from Home is announced in its channel, as the same change typed there would be."""
        message = render(reply, user)
        message.pop("response_type", None)
        try:
            client.chat_postMessage(channel=channel, **message)
        except SlackApiError as error:
            log.warning("announcing a change from Home in %s failed: %s", channel, error.response.get("error"))

    def tell(self, client: WebClient, channel: str, user: str, reply: r.Problem) -> None:
        message = render(reply, user)
        message.pop("response_type", None)
        try:
            client.chat_postEphemeral(channel=channel, user=user, **message)
        except SlackApiError as error:
            log.warning("telling %s in %s failed: %s", user, channel, error.response.get("error"))

    def preview(self, query: str) -> r.DryRun | r.Problem | None:
        if not query:
            return None
        try:
            return self.app.service.dry_run(query)
        except PapersError as error:
            return r.Problem(error.message)

    def unsubscribe(self, client: WebClient, team: str, user: str, value: str) -> None:
        channel, number, check = ([*value.split(" "), "", "", ""])[:3]
        query = chosen_query(self.app.service, ChannelRef("slack", team, channel), Actor(user, user), number, check)
        if query is not None:  # still the query the person chose
            reply = self.translator.run(client, team, channel, user, user, c.Unsubscribe(query))
            if isinstance(reply, r.Unsubscribed):
                self.announce(client, channel, user, reply)
        self.publish(client, team, user)


def _team(body: dict[str, Any]) -> str:
    return str(
        (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or body.get("team_id") or ""
    )


def register_home(bolt: slack_bolt.App, translator: Translator) -> None:
    """Home drawn on app_home_opened; its buttons open the subscribe modal or unsubscribe; Enter previews."""
    tab = HomeTab(translator)

    @bolt.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") == "home":
            tab.publish(client, body.get("team_id", ""), event.get("user", ""))

    @bolt.action(OPEN_SUBSCRIBE)
    def open_subscribe(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=subscribe_modal(str(action.get("value") or "")))

    @bolt.action(QUERY)
    def preview(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        view = body.get("view") or {}
        channel, query = modal_values(view)
        client.views_update(
            view_id=view.get("id"), hash=view.get("hash"), view=subscribe_modal(channel, query, tab.preview(query))
        )

    @bolt.view(SUBSCRIBE_MODAL)
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        channel, query = modal_values(view)
        team, user = _team(body), str((body.get("user") or {}).get("id") or "")
        if not channel:
            ack(response_action="errors", errors={CHANNEL: "Choose the channel that should follow it."})
            return
        try:  # the query is checked before the ack (Slack waits 3 s for it); the dry run comes after
            parse_query(query, tab.app.taxonomy)
        except PapersError as error:
            ack(response_action="errors", errors={QUERY: error.message[:MAX_ERROR]})
            return
        ack()
        reply = translator.run(client, team, channel, user, user, c.Subscribe(query))
        if isinstance(reply, r.Problem):  # already followed, not allowed, too many: told to that person alone
            tab.tell(client, channel, user, reply)
            return
        tab.announce(client, channel, user, reply)
        tab.publish(client, team, user)

    @bolt.action(UNSUBSCRIBE)
    def unsubscribe(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        value = str((action.get("selected_option") or {}).get("value") or "")
        tab.unsubscribe(client, _team(body), str((body.get("user") or {}).get("id") or ""), value)
