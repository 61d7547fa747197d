"""Every Discord message within Discord's limits; a 400 (50035) is never retried as if it would pass next time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import discord
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from adapters.discord.limits import fit_message, problems
from adapters.discord.render import Message, paper_embed
from adapters.discord.sender import DiscordSender
from bot.delivery.passes import deliver_due
from bot.domain import ChannelRef, Digest, Match, Paper
from bot.errors import SendFailed
from storage.uow import UnitOfWork
from tests.discord_api import DiscordStandIn
from tests.discord_form_errors import form_errors
from tests.test_delivery import at, channel_row, deliveries
from tests.test_discord_sender import api, sender  # noqa: F401  (the same fixtures)

CHANNEL = ChannelRef("discord", "100", "200")
LONG_URL = "https://github.com/" + "an-organisation-with-a-long-name/" * 28 + "project"  # about 950 characters


def wordy(n: int) -> Paper:
    return Paper(
        title=f"{'A very long title ' * 20} {n}",
        abstract="We explore. " * 400,
        arxiv_id=f"2401.{n:05d}",
        authors=tuple(f"Author Number {i}" for i in range(30)),
        upvotes=n,
        code_url=LONG_URL,
        project_url=LONG_URL + "/page",
        on_hf=True,
        published_at=datetime(2026, 11, 24, tzinfo=UTC),
        thumbnail_url="https://example.org/t.png",
        ai_summary="A summary. " * 100,
    )


def digest(count: int) -> Digest:
    matches = tuple(Match(wordy(i), 1.0, ("why: " + "a reason " * 60,) * 3) for i in range(1, count + 1))
    return Digest(CHANNEL, matches, more=0, title="T" * 400)


def test_papers_with_long_code_and_project_links_are_posted_without_a_400(
    api: DiscordStandIn, sender: DiscordSender
) -> None:
    for count in (1, 3, 5):  # a single message and threads
        sender.send(CHANNEL, digest(count), f"mark-{count}")
    assert api.refused() == []
    embeds = [
        e for call in api.posts("/messages") if isinstance(call.body, dict) for e in call.body.get("embeds") or []
    ]
    links = [f["value"] for e in embeds for f in e.get("fields", []) if f["name"] == "Links"]
    assert links and all(len(value) <= 1024 and value.startswith("[arXiv](https://arxiv.org/abs/") for value in links)


def test_a_refusal_the_limits_did_not_foresee_is_posted_as_text(api: DiscordStandIn, sender: DiscordSender) -> None:
    api.refuse_next(1)
    [message_id] = sender.send(CHANNEL, digest(1), "mark-text")
    [posted] = api.messages["200"]
    assert posted["id"] == message_id and posted["embeds"] == [] and "A very long title" in posted["content"]


def test_a_post_refused_twice_is_recorded_with_its_reason_and_not_retried(
    api: DiscordStandIn, sender: DiscordSender, engine: Engine
) -> None:
    with UnitOfWork(engine) as uow:
        from bot.domain import Subscription

        uow.subscriptions.add(Subscription(CHANNEL, "anything"))
        uow.papers.merge([wordy(1)])
        uow.commit()

    def build(uow: UnitOfWork, matcher: object, channel: ChannelRef, now: datetime, cap: int = 10) -> Digest:
        paper = uow.papers.get(wordy(1).key)
        sent = uow.outbox.delivered_keys(channel)
        return Digest(channel, tuple(Match(p, 1.0, ()) for p in [paper] if p and p.key not in sent), 0, "1 new paper")

    api.refuse_next(2)
    report = deliver_due(engine, {}, {"discord": sender}, at(0, 9), force=True, build=build)
    assert report.paused == 1 and "50035" in channel_row(engine, CHANNEL).paused_reason  # type: ignore[operator]
    posts = len(api.posts("/channels/200/messages"))
    deliver_due(engine, {}, {"discord": sender}, at(0, 10), force=True, build=build)
    assert len(api.posts("/channels/200/messages")) == posts
    assert [d.status for d in deliveries(engine)] == ["pending"]


def test_a_send_failure_for_a_400_is_permanent(api: DiscordStandIn, sender: DiscordSender) -> None:
    api.refuse_next(2)
    with pytest.raises(SendFailed) as refused:
        sender.send(CHANNEL, digest(1), "mark-400")
    assert refused.value.permanent and "400 50035" in refused.value.message


TEXT = st.text(max_size=5000)


@st.composite
def messages(draw: st.DrawFn) -> Message:
    embeds = []
    for _ in range(draw(st.integers(0, 12))):
        embed = discord.Embed(title=draw(st.text(max_size=400)) or None, description=draw(TEXT) or None)
        for _ in range(draw(st.integers(0, 30))):
            embed.add_field(
                name=draw(st.text(min_size=1, max_size=300)), value=draw(st.text(min_size=1, max_size=1500))
            )
        embed.set_footer(text=draw(st.text(max_size=2500)) or None)
        embed.set_author(name=draw(st.text(max_size=300)) or "x")
        embeds.append(embed)
    return Message(draw(st.text(max_size=2500)), embeds)


@settings(max_examples=60, deadline=None)
@given(messages())
def test_fit_message_keeps_every_limit_discord_checks(message: Message) -> None:
    fitted = fit_message(message)
    assert problems(fitted) == []
    payload: dict[str, Any] = {"content": fitted.content, "embeds": [e.to_dict() for e in fitted.embeds]}
    assert form_errors(payload) == {}
    assert fitted.content == message.content or len(message.content) > 2000


def test_one_wordy_paper_embed_is_over_nothing_alone() -> None:
    embed = paper_embed(wordy(1), "why " * 500, "papers-bot mark · part 1/1")
    assert problems(Message("", [embed])) == []
