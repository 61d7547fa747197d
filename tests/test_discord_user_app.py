"""The user-installed app on Discord, with the real core: /papers in a server the bot is not in and in a direct
message (find, why, subscribe for me, home), one own feed across Discord, and the command registration."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from discord import app_commands

from adapters.discord import views as discord_views
from adapters.discord.sync import tree_hash
from bot.app import App
from bot.domain import Actor, ChannelRef, Subscription
from tests.discord_api import Call, DiscordStandIn
from tests.discord_chat import EPHEMERAL, EVERYONE, MANAGE_CHANNELS, Chat, api, interaction, options, sent

__all__ = ["api"]  # a fixture

ADA = "300"
ONE_FEED = ChannelRef.parse(f"discord:users:@{ADA}")
ELSEWHERE = "555"  # a server that installed nothing: Ada installed the app to herself


def where(payload: dict[str, Any], place: str) -> dict[str, Any]:
    """A payload of the harness (a server channel of a server with the bot), moved to `place`."""
    if place == "elsewhere":  # a server the bot is not in: only Ada's own installation authorises it
        payload |= {"guild_id": ELSEWHERE, "authorizing_integration_owners": {"1": ADA}, "app_permissions": "0"}
        payload["channel"] = payload["channel"] | {"guild_id": ELSEWHERE}
    elif place == "dm":  # Ada's direct messages with the bot: no server, a user instead of a member
        user = payload.pop("member")["user"]
        payload.pop("guild_id")
        payload |= {"user": user, "context": 1, "authorizing_integration_owners": {"1": ADA}, "channel_id": "400"}
        payload["channel"] = {"id": "400", "type": 1, "recipients": [user], "flags": 0}
    return payload


def command(sub: str, **values: Any) -> dict[str, Any]:
    return {
        "id": "1",
        "name": "papers",
        "type": 1,
        "options": [{"type": 1, "name": sub, "options": options(values, None)}],
    }


class Person(Chat):
    """Ada, typing /papers in one place; `select` and `submit` answer the Home's menu and form."""

    place = "server"

    async def say(self, sub: str, perms: int = EVERYONE, **values: Any) -> list[Call]:
        return await self._inject(where(interaction(2, command(sub, **values), perms), self.place))

    async def press(self, on: Call, custom_id: str, perms: int = EVERYONE, **data: Any) -> list[Call]:
        """A click on a control of the message `on` made (discord.py finds the control in it)."""
        payload = interaction(3, {"custom_id": custom_id, "component_type": 2} | data, perms, self.api.message_from(on))
        return await self._inject(where(payload, self.place))

    async def select(self, on: Call, custom_id: str, value: str, perms: int = EVERYONE) -> list[Call]:
        return await self.press(on, custom_id, perms, component_type=3, values=[value])

    async def submit(self, form: dict[str, Any], text: str, perms: int = EVERYONE) -> list[Call]:
        [row] = form["components"]
        field = {"type": 4, "custom_id": row["components"][0]["custom_id"], "value": text}
        data = {"custom_id": form["custom_id"], "components": [{"type": 1, "components": [field]}]}
        return await self._inject(where(interaction(5, data, perms), self.place))


def run(
    api: DiscordStandIn, app: App, monkeypatch: pytest.MonkeyPatch, body: Callable[[Person], Awaitable[None]]
) -> None:
    monkeypatch.setattr(discord_views, "QUICK", 60.0)  # one answer each, however loaded the machine

    async def go() -> None:
        ada = Person(api, app)  # type: ignore[arg-type]
        async with ada.client:
            await ada.client.login("test-token")
            await body(ada)

    asyncio.run(go())


def text(call: Call) -> str:
    body = sent(call)
    return " ".join([body.get("content") or "", *(e.get("description") or "" for e in body.get("embeds", []))])


def controls(call: Call) -> list[dict[str, Any]]:
    return [item for row in sent(call).get("components", []) for item in row["components"]]


def queries_of(app: App, feed: ChannelRef) -> list[str]:
    with app.service.uow() as uow:
        return [s.query for s in uow.subscriptions.for_channel(feed)]


def test_in_a_server_without_the_bot_ada_finds_asks_why_and_follows_things_herself(
    api: DiscordStandIn, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    robot = next(f.paper.arxiv_id for f in app.finder.find("robot manipulation") if f.paper.arxiv_id)

    async def session(ada: Person) -> None:
        ada.place = "elsewhere"
        [found] = await ada.say("find", text="go explore hard exploration")
        assert found.path.endswith("/callback") and "Go-Explore" in str(sent(found)["embeds"][0]["title"])

        [refused] = await ada.say("subscribe", perms=MANAGE_CHANNELS, query="robotics")
        assert "papers-bot is not in this conversation" in text(refused) and sent(refused)["flags"] & EPHEMERAL
        assert "Usage: /papers subscribe" in text(refused) and queries_of(app, ONE_FEED) == []

        [subscribed] = await ada.say("subscribe", query="robotics", for_me=True)
        assert "subscribed your feed to `robotics`" in text(subscribed) and sent(subscribed)["flags"] & EPHEMERAL
        assert "papers a day" in text(subscribed)  # the dry run, as everywhere
        assert queries_of(app, ONE_FEED) == ["robotics"]

        [why] = await ada.say("why", paper=robot)
        assert text(why).startswith("Why **SoftVTBench") and "robotics" in text(why)  # her feed's subscription
        assert sent(why)["flags"] & EPHEMERAL

        [home] = await ada.say("home")
        assert sent(home)["flags"] & EPHEMERAL and "not in this server" in text(home)
        assert "`robotics`" in text(home)
        [menu, *buttons] = controls(home)
        assert [o["label"] for o in menu["options"]] == ["Your feed: robotics"]
        assert [b["label"] for b in buttons] == ["Subscribe for me…"]  # no channel of this server to subscribe

    run(api, app, monkeypatch, session)
    with app.service.uow() as uow:  # the bot never posted to or read a channel it is not in
        assert not [call for call in api.calls if call.path.startswith("/channels/")]
        assert [str(ref) for ref in uow.subscriptions.channels()] == [str(ONE_FEED)]


def test_in_a_direct_message_her_words_are_about_her_one_feed(
    api: DiscordStandIn, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def session(ada: Person) -> None:
        await ada.say("subscribe", query="robotics", for_me=True)  # in a server with the bot
        ada.place = "dm"
        [subscribed] = await ada.say("subscribe", query="reinforcement-learning")  # no for_me needed here
        assert "subscribed your feed to `reinforcement-learning`" in text(subscribed)
        [listed] = await ada.say("list")
        assert "robotics" in text(listed) and "reinforcement-learning" in text(listed)  # one feed, not two
        [home] = await ada.say("home")
        assert "This server" not in text(home) and "not in this server" not in text(home)
        [menu, *_] = controls(home)
        assert len(menu["options"]) == 2

    run(api, app, monkeypatch, session)
    assert sorted(queries_of(app, ONE_FEED)) == ["reinforcement-learning", "robotics"]


def test_home_pages_its_menu_past_25_and_unsubscribes_from_it(
    api: DiscordStandIn, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    topics = [t.slug for t in app.taxonomy.browse("")][:31]
    with app.service.uow() as uow:  # stored as /papers subscribe stores them (without 31 dry runs)
        for channel, slugs in (("200", topics[:20]), ("201", topics[20:30])):
            for slug in slugs:
                uow.subscriptions.add(Subscription(ChannelRef("discord", "100", channel), slug, created_by="9"))
        uow.commit()
    app.service.answer(ONE_FEED, Actor(ADA, "Ada"), f"/papers subscribe {topics[30]}")
    in_200, in_201 = (queries_of(app, ChannelRef("discord", "100", ch)) for ch in ("200", "201"))
    assert (len(in_200), len(in_201)) == (20, 10)

    async def session(ada: Person) -> None:
        [home] = await ada.say("home", perms=MANAGE_CHANNELS)
        assert "<#200> follows" in text(home) and "<#201> follows" in text(home)
        [menu, subscribe_here, subscribe_me, back, forward] = controls(home)
        assert len(menu["options"]) == 25 and menu["options"][0]["label"] == f"Your feed: {topics[30]}"
        assert (subscribe_here["label"], subscribe_me["label"]) == ("Subscribe this channel…", "Subscribe for me…")
        assert (back["disabled"], forward["label"]) == (True, "Next ▶")
        assert sent(home)["embeds"][0]["footer"]["text"] == "Unsubscribe menu: page 1 of 2"

        deferred, page_two = await ada.press(home, forward["custom_id"], perms=MANAGE_CHANNELS)
        assert deferred.body == {"type": 6} and page_two.method == "PATCH"
        [menu, *_] = controls(page_two)
        assert len(menu["options"]) == len(in_200) + len(in_201) + 1 - 25 and menu["custom_id"] == "papers:home:unsub:1"

        last = menu["options"][-1]
        assert last["label"] == f"#201: {in_201[-1]}"
        _, redrawn, told = await ada.select(page_two, menu["custom_id"], last["value"], perms=MANAGE_CHANNELS)
        assert redrawn.method == "PATCH" and f"unsubscribed this channel from `{in_201[-1]}`" in text(told)
        assert sent(told)["flags"] & EPHEMERAL
        [announced] = [call for call in api.calls if call.path == "/channels/201/messages"]
        assert f"unsubscribed this channel from `{in_201[-1]}`" in announced.body["content"]

        [member_home] = await ada.say("home")  # without Manage Channels: her own feed's options only
        [menu, subscribe_me] = controls(member_home)
        assert subscribe_me["label"] == "Subscribe for me…"  # not this channel: that needs Manage Channels
        assert [o["label"] for o in menu["options"]] == [f"Your feed: {topics[30]}"]
        [refused] = await ada.select(member_home, "papers:home:unsub:0", "201 1 00000000")  # a crafted value
        assert "Manage Channels" in text(refused)

    run(api, app, monkeypatch, session)
    assert queries_of(app, ChannelRef("discord", "100", "201")) == in_201[:-1]


def test_homes_form_subscribes_and_answers_with_the_dry_run(
    api: DiscordStandIn, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def session(ada: Person) -> None:
        ada.place = "elsewhere"
        [home] = await ada.say("home")
        [button] = controls(home)
        [opened] = await ada.press(home, button["custom_id"])
        assert opened.body["type"] == 9  # a modal
        form = opened.body["data"]
        assert form["title"] == "Subscribe your own feed" and form["custom_id"] == "papers:home:form:me"
        [answer] = await ada.submit(form, "robotics")
        assert "subscribed your feed to `robotics`" in text(answer) and "papers a day" in text(answer)
        assert sent(answer)["flags"] & EPHEMERAL

    run(api, app, monkeypatch, session)
    assert queries_of(app, ONE_FEED) == ["robotics"]


def test_the_commands_are_registered_for_user_installs_and_the_sync_hash_says_so(api: DiscordStandIn) -> None:
    from adapters.discord.app import build_client
    from tests.discord_chat import Core

    tree: app_commands.CommandTree[Any] = build_client(Core()).tree  # type: ignore[arg-type, attr-defined]
    payloads = [command.to_dict(tree) for command in tree.get_commands()]
    assert {p["name"] for p in payloads} == {"papers", "Look up paper"}
    for payload in payloads:
        assert payload["integration_types"] == [0, 1] and payload["contexts"] == [0, 1, 2]
    before = tree_hash(tree, None)
    for each in tree.get_commands():  # as they were: servers only
        each.allowed_installs = app_commands.AppInstallationType(guild=True)
        each.allowed_contexts = app_commands.AppCommandContext(guild=True)
        each.guild_only = True
    assert tree_hash(tree, None) != before  # so a start syncs them again, once
