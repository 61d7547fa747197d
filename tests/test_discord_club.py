"""A journal club in a Discord channel, through the real command tree and the REST stand-in: a native poll (a
numbered answer a paper, within Discord's limits) with the links after it, and the clock reading the poll's count
at the end and announcing the winner with its card."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.discord import club as discord_club
from adapters.discord.club import DiscordClubs
from adapters.discord.sender import DiscordSender
from adapters.wiring import club_platforms
from bot.app import App, build_app
from bot.club.closing import close_due
from bot.config import Settings
from bot.delivery.pacing import SharedPace, paced
from bot.delivery.senders import Sender
from storage.uow import UnitOfWork
from tests.discord_api import DiscordStandIn
from tests.discord_chat import Chat, api, interaction, sent
from tests.discord_polls import poll_errors

__all__ = ["api"]  # the stand-in fixture


@pytest.fixture
def papers(tmp_path: Path) -> Iterator[App]:
    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'papers.db'}", slack_bot_token=None)
    app = build_app(settings)  # the bundled papers
    yield app
    app.engine.dispose()


def in_the_channel(api: DiscordStandIn, papers: App, body: Any) -> None:
    """Run a chat session in #papers (channel 200 of guild 100) on a logged-in client."""

    async def go() -> None:
        chat = Chat(api, papers)  # type: ignore[arg-type]  # the real core where the harness has a stand-in
        async with chat.client:
            await chat.client.login("test-token")
            await body(chat)

    asyncio.run(go())


def close(api: DiscordStandIn, papers: App, minutes_after: int = 1) -> list[int]:
    """The clock process's tick, `minutes_after` the club's end: its own sender, logged in over REST."""
    with UnitOfWork(papers.engine) as uow:
        club = uow.clubs.get(1)
        assert club is not None
    sender = DiscordSender.standalone("test-token")
    senders: dict[str, Sender] = {"discord": paced(sender, SharedPace(papers.engine, "discord:global", 40.0))}
    platforms = club_platforms(senders)  # as the clock wires them: the poll read through the paced sender's own
    assert isinstance(platforms["discord"], DiscordClubs)
    try:
        return close_due(papers.engine, senders, platforms, club.closes_at + timedelta(minutes=minutes_after))
    finally:
        sender.close()


def test_a_club_is_a_poll_whose_winner_is_announced_with_its_card(api: DiscordStandIn, papers: App) -> None:
    shown: dict[str, Any] = {}

    async def session(chat: Chat) -> None:
        await chat.say("subscribe", query="reinforcement-learning")
        poll_answer, links = await chat.say("club", papers=10, hours=48)
        shown["poll"], shown["links"] = sent(poll_answer), sent(links)

    in_the_channel(api, papers, session)
    poll = shown["poll"]["poll"]
    assert poll["question"]["text"] == "Journal club: which paper shall we read? (vote closes in 48 hours)"
    assert poll["duration"] == 48 and poll_errors(poll) == {}  # within every limit Discord sets on a poll
    answers = [a["poll_media"]["text"] for a in poll["answers"]]
    assert len(answers) == 10 and [a.split(".")[0] for a in answers] == [str(i) for i in range(1, 11)]
    assert max(map(len, answers)) <= 55 and any(a.endswith("…") for a in answers)  # long titles cut
    lines = shown["links"]["content"].splitlines()
    assert len(lines) == 10 and lines[0].startswith("1. ") and "<https://arxiv.org/abs/" in lines[0]
    [poll_id] = list(api.polls)
    with UnitOfWork(papers.engine) as uow:
        club = uow.clubs.get(1)
        assert club is not None and club.status == "open" and club.message_ids[0] == poll_id

    api.vote(poll_id, 2, 3)  # three people chose paper 2, one paper 5
    api.vote(poll_id, 5, 1)
    assert close(api, papers) == [1]
    assert [c.path for c in api.posts("/polls/")] == [f"/channels/200/polls/{poll_id}/expire"]  # ended at our time
    announcement = api.messages["200"][-1]
    assert announcement["content"] == "**Journal club: paper 2 won with 3 votes of 4.**"
    [card] = announcement["embeds"]
    assert answers[1].removeprefix("2. ").rstrip("…") in card["title"]
    assert close(api, papers, minutes_after=90) == []  # once


def test_a_poll_whose_count_is_not_final_yet_is_read_again_at_the_next_tick(api: DiscordStandIn, papers: App) -> None:
    async def session(chat: Chat) -> None:
        await chat.say("subscribe", query="reinforcement-learning")
        await chat.say("club", papers=3, hours=1)

    in_the_channel(api, papers, session)
    [poll_id] = list(api.polls)
    api.vote(poll_id, 3, 2)
    api.finalise_at_once = False  # Discord counts for a moment after a poll ends
    assert close(api, papers) == []
    api.polls[poll_id]["poll"]["results"]["is_finalized"] = True
    assert close(api, papers, minutes_after=2) == [1]
    assert len(api.posts("/polls/")) == 1  # ended once; the second tick only read it
    assert api.messages["200"][-1]["content"] == "**Journal club: paper 3 won with 2 votes of 2.**"


def test_a_club_in_a_direct_message_is_refused_in_one_sentence(api: DiscordStandIn, papers: App) -> None:
    said: list[Any] = []

    async def session(chat: Chat) -> None:
        data = {"id": "1", "name": "papers", "type": 1, "options": [{"type": 1, "name": "club", "options": []}]}
        payload = interaction(2, data, 0)
        user = payload.pop("member")["user"]
        del payload["guild_id"], payload["guild_locale"]
        payload |= {"user": user, "context": 1, "channel_id": "9300", "channel": {"id": "9300", "type": 1}}
        said.extend(await chat._inject(payload))

    in_the_channel(api, papers, session)
    [answer] = said
    assert sent(answer)["content"] == "A journal club needs a channel to vote in, not a direct message."
    assert api.polls == {}


def test_a_poll_discord_refuses_is_said_in_one_sentence_and_never_opened(
    api: DiscordStandIn, papers: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discord_club, "ANSWER_CHARS", 80)  # answers past Discord's 55: refused with 50035
    said: list[Any] = []

    async def session(chat: Chat) -> None:
        await chat.say("subscribe", query="reinforcement-learning")
        said.extend(await chat.say("club", papers=5))

    in_the_channel(api, papers, session)
    refused, answer = said
    assert refused.status == 400 and "poll" in sent(refused)
    assert sent(answer)["content"].startswith("I could not post the poll in this channel: Discord said ")
    with UnitOfWork(papers.engine) as uow:
        club = uow.clubs.get(1)
        assert club is not None and club.status == "opening"  # never shown: the clock abandons it, announces nothing
