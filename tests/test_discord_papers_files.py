"""Discord with the real core: "Look up paper" on a message, `/papers export` as an attachment, `/papers import` of it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.discord import views as discord_views
from bot.app import App
from bot.chat.limits import CommandRate
from bot.domain import ChannelRef, Paper
from bot.sources.ingest import merge_papers
from tests.discord_api import Call, DiscordStandIn
from tests.discord_chat import EPHEMERAL, EVERYONE, MANAGE_CHANNELS, Chat, interaction, sent
from tests.sources_server import Reply, SourcesServer
from tests.test_find_unknown_id import app_asking

SOURCES = Path(__file__).parent / "data" / "sources"
AUTHOR = {"id": "301", "username": "bo", "discriminator": "0", "avatar": None}


@pytest.fixture
def arxiv() -> Iterator[SourcesServer]:
    with SourcesServer() as server:
        atom = (SOURCES / "atom-id-2202.12139.xml").read_bytes()
        server.script("/api/query", Reply(200, atom, content_type="application/atom+xml"))
        yield server


@pytest.fixture
def app(tmp_path: Path, arxiv: SourcesServer) -> Iterator[App]:
    built = app_asking(tmp_path, arxiv)
    merge_papers(built.engine, [Paper("Mixtral of Experts @everyone", "A sparse mixture of experts.", "2401.04088")])
    yield built
    built.engine.dispose()


@pytest.fixture
def api() -> Iterator[DiscordStandIn]:
    with DiscordStandIn() as api:
        yield api


def message(content: str) -> dict[str, Any]:
    return {
        "id": "555",
        "channel_id": "200",
        "author": AUTHOR,
        "content": content,
        "timestamp": "2026-11-29T10:00:00+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
    }


def run(api: DiscordStandIn, app: App, body: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discord_views, "QUICK", 30.0)  # Look up paper defers by itself; the rest answers at once

    async def go() -> None:
        chat = Chat(api, app)  # type: ignore[arg-type]
        async with chat.client:
            await chat.client.login("test-token")
            await body(chat)

    asyncio.run(go())


async def look_up(chat: Chat, content: str) -> list[Any]:
    data = {
        "id": "2",
        "name": "Look up paper",
        "type": 3,
        "target_id": "555",
        "resolved": {"messages": {"555": message(content)}},
    }
    return await chat._inject(interaction(2, data, EVERYONE))


async def attach(
    chat: Chat, api: DiscordStandIn, name: str, data: bytes, perms: int = MANAGE_CHANNELS, channel: str = "201"
) -> list[Any]:
    """`/papers import` with a file attached, typed in another channel of the same server."""
    api.attachments[name] = data
    attachment = {
        "id": "777",
        "filename": name,
        "size": len(data),
        "url": api.attachment_url(name),
        "proxy_url": api.attachment_url(name),
    }
    body = {
        "id": "1",
        "name": "papers",
        "type": 1,
        "options": [{"type": 1, "name": "import", "options": [{"type": 11, "name": "file", "value": "777"}]}],
        "resolved": {"attachments": {"777": attachment}},
    }
    payload = interaction(2, body, perms)
    payload["channel_id"] = payload["channel"]["id"] = channel
    return await chat._inject(payload)


def test_look_up_paper_answers_the_cards_privately_and_fetches_the_unknown(
    api: DiscordStandIn, app: App, arxiv: SourcesServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def body(chat: Chat) -> None:
        text = "read https://arxiv.org/abs/2401.04088v1 and https://huggingface.co/papers/2202.12139 @everyone"
        defer, answer = await look_up(chat, text)
        assert defer.body == {"type": 5, "data": {"flags": EPHEMERAL}}
        embeds = sent(answer)["embeds"]
        assert [e["title"] for e in embeds] == [
            "Mixtral of Experts @\u200beveryone",
            "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques",
        ]
        assert sent(answer)["flags"] & EPHEMERAL and sent(answer)["allowed_mentions"] == {"parse": []}
        assert [r.query["id_list"] for r in arxiv.requests] == ["2202.12139"]

    run(api, app, body, monkeypatch)


def test_look_up_paper_reads_each_link_as_a_url_and_finds_no_paper_in_a_spoofed_one(
    api: DiscordStandIn, app: App, arxiv: SourcesServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def body(chat: Chat) -> None:
        spoofs = (
            "https://huggingface.co/spaces/attacker/phish/arxiv.org/abs/2401.04088",
            "https://huggingface.co/login?next=/arxiv.org/abs/2401.04088",
            "<https://www.alphaxiv.org/redirect?url=https://attacker.example/arxiv.org/abs/2401.04088>",
        )
        _, answer = await look_up(chat, "urgent: " + " ".join(spoofs))
        assert "links to no paper" in sent(answer)["content"] and not sent(answer)["embeds"]
        assert arxiv.requests == []

    run(api, app, body, monkeypatch)


def test_feedback_clicks_share_the_command_rate(api: DiscordStandIn, app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    app.service.rate = CommandRate(per_minute=2, clock=lambda: 0.0)  # one minute that never ends
    button = {"type": 2, "style": 2, "label": "👍 More like this", "custom_id": "papers:fb:like:2401.04088"}
    rows = [{"type": 1, "components": [button]}]

    async def body(chat: Chat) -> None:
        message = api.message_from(Call("POST", "/channels/200/messages", {"content": "", "components": rows}, {}))
        answers = [sent((await chat.click(message, "👍 More like this"))[-1])["content"] for _ in range(3)]
        assert answers[0].startswith("Noted") and "already liked" in answers[1]
        assert answers[2] == "That is more than 2 commands in a minute; please wait a moment."

    run(api, app, body, monkeypatch)


def test_a_message_without_paper_links_says_so(api: DiscordStandIn, app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def body(chat: Chat) -> None:
        _, answer = await look_up(chat, "lunch at noon?")
        assert "links to no paper" in sent(answer)["content"]

    run(api, app, body, monkeypatch)


def test_export_is_an_attachment_and_importing_it_elsewhere_gives_the_same_subscriptions(
    api: DiscordStandIn, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def body(chat: Chat) -> None:
        await chat.say("subscribe", query="robotics")
        await chat.say("schedule", time="07:15", tz="Asia/Tokyo", cadence="daily")
        [exported] = await chat.say("export", perms=EVERYONE)
        [(name, content)] = sent(exported)["files_sent"]
        assert name.endswith(".jsonl") and sent(exported)["flags"] & EPHEMERAL
        assert json.loads(content) == {
            "channel": "discord:100:200",
            "query": "robotics",
            "schedule": "07:15 Asia/Tokyo daily",
        }

        [refused] = await attach(chat, api, name, content.encode(), perms=EVERYONE)
        assert "Manage Channels" in sent(refused)["content"]
        [answer] = await attach(chat, api, name, content.encode())
        assert (
            "imported into this channel: 1 subscription added, posts every day at 07:15 Asia/Tokyo."
            in sent(answer)["content"]
        )
        assert not sent(answer).get("flags", 0) & EPHEMERAL  # announced, like a subscribe

    run(api, app, body, monkeypatch)
    with app.service.uow() as uow:
        assert [s.query for s in uow.subscriptions.for_channel(ChannelRef("discord", "100", "201"))] == ["robotics"]
        assert uow.channels.schedule(ChannelRef("discord", "100", "201")).tz == "Asia/Tokyo"
