"""Thumbs up and down on a delivered Discord post, as gateway reaction events through the real discord.py client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import discord
import pytest

from adapters.discord.app import build_client
from adapters.discord.sender import DiscordSender
from bot.app import App, build_app
from bot.config import Settings
from bot.domain import ChannelRef
from storage.uow import UnitOfWork
from tests.discord_api import BOT_ID, DiscordStandIn
from tests.test_discord_sender import CHANNEL, digest

KEYS = [f"2401.{n:05d}" for n in range(1, 7)]  # the six papers of `digest(6)`, in their order


@pytest.fixture
def api() -> Iterator[DiscordStandIn]:
    with DiscordStandIn() as api:
        yield api


@pytest.fixture
def papers(tmp_path: Any) -> Iterator[App]:
    app = build_app(Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'papers.db'}"), seed=False)  # type: ignore[call-arg]
    with UnitOfWork(app.engine) as uow:
        uow.papers.merge(list(digest(6).papers))
        uow.commit()
    yield app
    app.engine.dispose()


def deliver(papers: App, count: int, feed: ChannelRef = CHANNEL) -> list[str]:
    """A post recorded in the outbox, sent to the stand-in (a parent, its thread) and confirmed."""
    post = digest(count)
    with UnitOfWork(papers.engine) as uow:
        uow.channels.row(feed)  # the feed exists: it was subscribed
        delivery = uow.outbox.record(feed, "mark-1", post.title, [(p.key, 1.0, ()) for p in post.papers])
        uow.commit()
    sender = DiscordSender.standalone("test-token", timeout=10)
    try:
        ids = sender.send(feed, post, "mark-1")
    finally:
        sender.close()
    with UnitOfWork(papers.engine) as uow:
        uow.outbox.sent(delivery, ids, papers.service.clock())
        uow.commit()
    return ids


def event(
    message: str, channel: str, emoji: str = "👍", user: str = "300", author: str | None = BOT_ID, guild: bool = True
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "user_id": user,
        "channel_id": channel,
        "message_id": message,
        **({"guild_id": "100"} if guild else {}),
        "emoji": {"id": None, "name": emoji},
        "burst": False,
        "type": 0,
    }
    return data | ({"message_author_id": author} if author else {})


def react(papers: App, *events: tuple[str, dict[str, Any]]) -> None:
    """Each (`add` or `remove`, data) as the gateway sends it, handled to the end by a logged-in client."""

    async def go() -> None:
        client = build_client(papers)
        async with client:
            await client.login("test-token")
            for kind, data in events:
                state = client._connection
                (state.parse_message_reaction_add if kind == "add" else state.parse_message_reaction_remove)(data)  # type: ignore[arg-type]
                await asyncio.sleep(0)
                await asyncio.gather(*[t for t in asyncio.all_tasks() if t.get_name().startswith("discord.py: on_raw")])

    asyncio.run(go())


def votes(papers: App, feed: ChannelRef = CHANNEL) -> dict[str, int]:
    with UnitOfWork(papers.engine) as uow:
        return uow.feedback.votes(str(feed))


def test_the_client_asks_for_reactions_and_nothing_privileged(papers: App) -> None:
    intents = build_client(papers).intents
    assert intents.guild_reactions and intents.dm_reactions and intents.guilds
    assert not (intents.message_content or intents.members or intents.presences)
    assert discord.Intents(guilds=True, reactions=True).value == intents.value


def test_a_thumbs_up_in_the_thread_likes_that_messages_papers(api: DiscordStandIn, papers: App) -> None:
    parent, first, second = deliver(papers, 6)  # the thread's id is the parent's: a reply's channel is the thread
    react(papers, ("add", event(second, parent)), ("add", event(first, parent, "👍🏽", user="301")))
    assert votes(papers) == {**dict.fromkeys(KEYS[:4], 1), **dict.fromkeys(KEYS[4:], 1)}
    with UnitOfWork(papers.engine) as uow:
        assert uow.feedback.mine(str(CHANNEL), KEYS[4], "300") == {"like"}
        assert uow.feedback.mine(str(CHANNEL), KEYS[0], "300") == set()
        assert uow.feedback.signals([str(CHANNEL)]) == {str(CHANNEL): 6}


def test_a_thumbs_down_dislikes_and_removing_it_undoes_it(api: DiscordStandIn, papers: App) -> None:
    parent, _, second = deliver(papers, 6)
    react(papers, ("add", event(second, parent, "👎")))
    assert votes(papers) == dict.fromkeys(KEYS[4:], -1)
    react(papers, ("remove", event(second, parent, "👎", author=None)))  # Discord names no author on removal
    assert votes(papers) == {}


def test_a_single_message_post_in_the_channel_itself(api: DiscordStandIn, papers: App) -> None:
    [only] = deliver(papers, 2)
    react(papers, ("add", event(only, CHANNEL.channel)))
    assert votes(papers) == dict.fromkeys(KEYS[:2], 1)


def test_the_parent_others_messages_other_emoji_and_the_bot_itself_count_for_nothing(
    api: DiscordStandIn, papers: App
) -> None:
    parent, first, _ = deliver(papers, 6)
    react(
        papers,
        ("add", event(parent, CHANNEL.channel)),  # the parent holds no papers
        ("add", event(first, parent, author="301")),  # said to be someone else's
        ("add", event("1234", CHANNEL.channel)),  # not a message of a post
        ("add", event(first, parent, "❤️")),
        ("add", event(first, parent, user=BOT_ID)),
        ("add", event(first, "201")),  # the same id said to be in another channel
    )
    assert votes(papers) == {}


def test_in_a_personal_feeds_direct_message_a_thumbs_up_counts_for_that_feed(api: DiscordStandIn, papers: App) -> None:
    ada = ChannelRef.person("discord", "100", "300")
    _, first, _ = deliver(papers, 6, ada)  # no thread in a direct message: the parts follow the parent
    dm = "9300"  # the stand-in's direct message with user 300
    react(papers, ("add", event(first, dm, guild=False)), ("add", event(first, dm, "👎", user="301", guild=False)))
    assert votes(papers, ada) == dict.fromkeys(KEYS[:4], 1)  # 301 has no feed that posted it
    react(papers, ("remove", event(first, dm, author=None, guild=False)))
    assert votes(papers, ada) == {}
