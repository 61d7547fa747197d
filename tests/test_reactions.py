"""Reactions on the bot's posts as feedback, in the core: which papers a message id names, 👍 / 👎, undone by removal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from bot.domain import ChannelRef, Paper
from bot.feedback.reactions import Reaction, count_reaction, kind_of, papers_on
from storage.uow import UnitOfWork

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
LAB = ChannelRef("slack", "T1", "C1")
PAPERS = [Paper(f"Paper number {i}", "An abstract.", f"2611.0000{i}") for i in range(6)]
KEYS = [paper.key for paper in PAPERS]


def post(engine: Engine, channel: ChannelRef, keys: list[str], ids: list[str], mark: str = "m1") -> None:
    """A delivery recorded and sent as the delivery pass does it."""
    with UnitOfWork(engine) as uow:
        uow.papers.merge(PAPERS)
        delivery = uow.outbox.record(channel, mark, "new papers", [(key, 1.0, ()) for key in keys])
        uow.outbox.sent(delivery, ids, NOW)
        uow.commit()


def thumbs(engine: Engine, message: str, emoji: str = "+1", added: bool = True, actor: str = "U7") -> None:
    count_reaction(engine, Reaction((LAB,), message, actor, emoji, added), NOW)


def votes(engine: Engine, channel: ChannelRef = LAB) -> dict[str, int]:
    with UnitOfWork(engine) as uow:
        return uow.feedback.votes(str(channel))


def test_thumbs_up_and_down_by_any_name_and_skin_tone_other_emoji_nothing() -> None:
    assert [kind_of(e) for e in ("+1", "thumbsup", "+1::skin-tone-3", "👍", "👍🏽", "-1", "thumbsdown", "👎🏿")] == [
        *["like"] * 5,
        *["dislike"] * 3,
    ]
    assert [kind_of(e) for e in ("heart", "tada", "✅", "", "+1+1")] == [None] * 5


def test_each_message_of_a_thread_names_its_own_papers_the_parent_none(engine: Engine) -> None:
    post(engine, LAB, KEYS, ["100.1", "100.2", "100.3"])  # six papers: a parent, then 4 and 2
    with UnitOfWork(engine) as uow:
        assert papers_on(uow, [LAB], "100.2") == (LAB, tuple(KEYS[:4]))
        assert papers_on(uow, [LAB], "100.3") == (LAB, tuple(KEYS[4:]))
        assert papers_on(uow, [LAB], "100.1") == (LAB, ())
        assert papers_on(uow, [LAB], "100.9") is None  # not one of ours
        assert papers_on(uow, [ChannelRef("slack", "T1", "C2")], "100.2") is None  # another channel's message


def test_a_single_message_post_names_all_its_papers_and_a_weekly_best_counts_for_its_channel(engine: Engine) -> None:
    post(engine, LAB, KEYS[:2], ["200.1"])
    post(engine, LAB.weekly_best(), KEYS[2:5], ["300.1"], mark="m2")
    with UnitOfWork(engine) as uow:
        assert papers_on(uow, [LAB], "200.1") == (LAB, tuple(KEYS[:2]))
        assert papers_on(uow, [LAB], "300.1") == (LAB, tuple(KEYS[2:5]))


def test_a_thumbs_up_likes_the_messages_papers_once_down_replaces_it_removal_undoes(engine: Engine) -> None:
    post(engine, LAB, KEYS, ["100.1", "100.2", "100.3"])
    thumbs(engine, "100.3")
    thumbs(engine, "100.3", "thumbsup")  # the same word again counts once
    assert votes(engine) == {KEYS[4]: 1, KEYS[5]: 1}
    thumbs(engine, "100.3", "-1")
    assert votes(engine) == {KEYS[4]: -1, KEYS[5]: -1}
    thumbs(engine, "100.3", "+1", added=False)  # that like was already replaced: nothing to take back
    assert votes(engine) == {KEYS[4]: -1, KEYS[5]: -1}
    thumbs(engine, "100.3", "-1", added=False)
    assert votes(engine) == {}


def test_the_parent_someone_elses_message_and_other_emoji_count_for_nothing(engine: Engine) -> None:
    post(engine, LAB, KEYS, ["100.1", "100.2", "100.3"])
    for message, emoji in [("100.1", "+1"), ("555.5", "+1"), ("100.2", "heart"), ("100.2'%", "+1")]:
        thumbs(engine, message, emoji)
    assert votes(engine) == {}


def test_a_pending_delivery_is_not_a_post_yet(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        uow.papers.merge(PAPERS)
        uow.outbox.record(LAB, "m9", "new papers", [(key, 1.0, ()) for key in KEYS[:2]])
        uow.commit()
        assert papers_on(uow, [LAB], "") is None


@pytest.mark.parametrize("people", [1, 3])
def test_each_person_counts_for_the_channels_signals(engine: Engine, people: int) -> None:
    post(engine, LAB, KEYS[:3], ["400.1"])
    for person in range(people):
        thumbs(engine, "400.1", actor=f"U{person}")
    with UnitOfWork(engine) as uow:
        assert uow.feedback.signals([str(LAB)]) == {str(LAB): 3 * people}


def test_in_a_direct_message_that_names_no_workspace_the_persons_own_feeds_are_searched(engine: Engine) -> None:
    ada, bob = ChannelRef.person("discord", "100", "300"), ChannelRef.person("discord", "100", "301")
    with UnitOfWork(engine) as uow:
        for feed in (ada, ChannelRef.person("discord", "101", "300"), bob, ChannelRef.person("slack", "T1", "300")):
            uow.channels.row(feed)
        uow.commit()
        assert uow.outbox.personal_feeds("discord", "300") == ["discord:100:@300", "discord:101:@300"]
    post(engine, ada, KEYS[:2], ["500"])
    for actor in ("300", "301"):
        count_reaction(engine, Reaction((), "500", actor, "👍", True, direct="discord"), NOW)
    assert votes(engine, ada) == dict.fromkeys(KEYS[:2], 1) and votes(engine, bob) == {}
