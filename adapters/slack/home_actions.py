"""App Home's listeners: the tab drawn when opened, its buttons, the subscribe modal's preview and submit, each checked."""

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
from adapters.slack.jobs import Jobs
from adapters.slack.members import NOT_MEMBER, Membership
from adapters.slack.replays import request_key
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
    """What the listeners share: the translator (permissions, the core), membership, and how to redraw a Home."""

    def __init__(self, translator: Translator, membership: Membership | None = None) -> None:
        self.translator = translator
        self.app = translator.app
        self.membership = membership or Membership()

    def may_see(self, client: WebClient, team: str, user: str, channel: str) -> bool:
        return self.membership.may_see(client, team, user, channel)

    def publish(self, client: WebClient, team: str, user: str, notice: str | None = None) -> None:
        """The person's Home: only the channels they may see (a private one only to its members)."""
        may = self.translator.permissions.may_change(client, team, user)

        def visible(ref: ChannelRef) -> bool:
            return self.may_see(client, team, user, ref.channel)

        actor = Actor(user, user, may)
        home = build_home(self.app.engine, "slack", team, actor, may, self.app.default_schedule, visible=visible)
        try:
            client.views_publish(user_id=user, view=home_view(home, notice))
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
        if not self.may_see(client, team, user, channel):  # a forged value: another's feed, a channel not theirs
            self.publish(client, team, user, NOT_MEMBER)
            return
        query = chosen_query(self.app.service, ChannelRef("slack", team, channel), Actor(user, user), number, check)
        if query is not None:  # still the query the person chose
            reply = self.translator.run(client, team, channel, user, user, c.Unsubscribe(query))
            if isinstance(reply, r.Unsubscribed):
                self.announce(client, channel, user, reply)
        self.publish(client, team, user)

    def subscribe(self, client: WebClient, team: str, user: str, channel: str, query: str) -> None:
        reply = self.translator.run(client, team, channel, user, user, c.Subscribe(query))
        if isinstance(reply, r.Problem):  # already followed, not allowed, too many: told to that person alone
            self.tell(client, channel, user, reply)
            return
        self.announce(client, channel, user, reply)
        self.publish(client, team, user)


def _team(body: dict[str, Any]) -> str:
    return str(
        (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or body.get("team_id") or ""
    )


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def register_home(
    bolt: slack_bolt.App, translator: Translator, jobs: Jobs, membership: Membership | None = None
) -> None:
    """Home drawn on app_home_opened; its buttons open the subscribe modal or unsubscribe; Enter previews.

    Everything but opening the modal (its trigger_id lasts 3 s) is acknowledged first and done by the inbox."""
    tab = HomeTab(translator, membership)

    @bolt.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            payload = {"user": str(event.get("user") or "")}
            jobs.defer("event", "home", request_key(body), str(body.get("team_id") or ""), payload)

    @jobs.job("home")
    def home(payload: dict[str, Any], client: WebClient) -> None:
        tab.publish(client, payload["team"], payload["user"])

    @bolt.action(OPEN_SUBSCRIBE)
    def open_subscribe(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        client.views_open(trigger_id=body["trigger_id"], view=subscribe_modal(str(action.get("value") or "")))
        ack()

    @bolt.action(QUERY)
    def preview(ack: Ack, body: dict[str, Any]) -> None:
        view = body.get("view") or {}
        payload = {"view": {"id": view.get("id"), "hash": view.get("hash"), "state": view.get("state")}}
        jobs.defer("command", "home_preview", request_key(body), _team(body), payload)
        ack()

    @jobs.job("home_preview")
    def show_preview(payload: dict[str, Any], client: WebClient) -> None:
        view = payload["view"]
        channel, query = modal_values(view)
        client.views_update(
            view_id=view.get("id"), hash=view.get("hash"), view=subscribe_modal(channel, query, tab.preview(query))
        )

    @bolt.view(SUBSCRIBE_MODAL)
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        channel, query = modal_values(view)
        team, user = _team(body), _user(body)
        if not channel:
            ack(response_action="errors", errors={CHANNEL: "Choose the channel that should follow it."})
            return
        if not tab.may_see(client, team, user, channel):  # checked again: the modal's value can be forged
            ack(response_action="errors", errors={CHANNEL: NOT_MEMBER})
            return
        try:  # the query is checked before the ack (Slack waits 3 s for it); the dry run comes after
            parse_query(query, tab.app.taxonomy)
        except PapersError as error:
            ack(response_action="errors", errors={QUERY: error.message[:MAX_ERROR]})
            return
        payload = {"user": user, "channel": channel, "query": query}
        jobs.defer("command", "home_subscribe", request_key(body), team, payload)
        ack()

    @jobs.job("home_subscribe")
    def subscribe(payload: dict[str, Any], client: WebClient) -> None:
        tab.subscribe(client, payload["team"], payload["user"], payload["channel"], payload["query"])

    @bolt.action(UNSUBSCRIBE)
    def unsubscribe(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        payload = {"user": _user(body), "value": str((action.get("selected_option") or {}).get("value") or "")}
        jobs.defer("command", "home_unsubscribe", request_key(body), _team(body), payload)
        ack()

    @jobs.job("home_unsubscribe")
    def unsubscribe_later(payload: dict[str, Any], client: WebClient) -> None:
        tab.unsubscribe(client, payload["team"], payload["user"], payload["value"])
