"""Personal feeds delivered by direct message: Slack's conversations.open, Discord's DM channel, kill -9 mid-pass."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from adapters.slack.sender import SlackSender, make_client
from bot.delivery.passes import deliver_due
from bot.domain import ChannelRef, Digest, Match, Paper, Subscription
from storage.uow import UnitOfWork
from tests.slack_server import TOKEN, SlackServer, SlackState
from tests.test_deliver_crash import QUERIES, _deliver, _finish, _kill_mid_pass, assert_each_posted_once

ANA = ChannelRef.person("slack", "T1", "U1")


@pytest.fixture
def slack() -> Iterator[SlackServer]:
    with SlackServer(SlackState(retry_after=0)) as server:
        yield server


def sender_for(server: SlackServer) -> SlackSender:
    client = make_client(TOKEN, server.url)
    return SlackSender(lambda _team: client, backoff=0.01)


def opened(state: SlackState) -> list[dict[str, object]]:
    with state.lock:
        return [params for name, params in state.calls if name == "conversations.open"]


def digest(channel: ChannelRef, count: int) -> Digest:
    papers = [Paper(title=f"Paper {n}", abstract="Text.", arxiv_id=f"2611.{n:05d}") for n in range(count)]
    return Digest(channel, tuple(Match(p, 1.0, ("stand-in",)) for p in papers), 0, f"{count} new papers")


def test_a_person_s_feed_is_posted_in_their_direct_message_opened_once(slack: SlackServer) -> None:
    sender = sender_for(slack)
    ids = sender.send(ANA, digest(ANA, 5), "mark-dm")

    assert [c["users"] for c in opened(slack.state)] == ["U1"]
    assert list(slack.state.messages) == ["DU1"] and len(ids) == 3  # a parent and two replies, in the DM
    assert sender.find_sent(ANA, "mark-dm") == ids  # read back from the DM's history after a crash
    sender.send(ANA, digest(ANA, 1), "mark-dm-2")
    assert len(opened(slack.state)) == 1


def test_the_weekly_best_of_a_channel_is_posted_in_the_channel_itself(slack: SlackServer) -> None:
    best = ChannelRef("slack", "T1", "C1").weekly_best()
    sender_for(slack).send(best, digest(best, 2), "mark-top")

    assert str(best) == "slack:T1:C1/top" and list(slack.state.messages) == ["C1"]


def test_a_person_who_cannot_be_messaged_pauses_their_feed_only(engine: Engine, slack: SlackServer) -> None:
    with UnitOfWork(engine) as uow:
        uow.subscriptions.add(Subscription(ANA, "anything"))
        uow.papers.merge([Paper(title="Paper 1", abstract="Text.", arxiv_id="2611.00001")])
        uow.commit()
    slack.state.script += [("conversations.open", 200, "user_not_found")]

    def build(uow: UnitOfWork, matcher: object, channel: ChannelRef, now: datetime, cap: int = 10) -> Digest:
        return digest(channel, 1) if not uow.outbox.delivered_keys(channel) else Digest(channel, ())

    report = deliver_due(engine, {}, {"slack": sender_for(slack)}, datetime.now(UTC), force=True, build=build)

    assert report.paused == 1 and "user_not_found" in report.details[0]
    with UnitOfWork(engine) as uow:
        assert uow.channels.get(ANA).paused_reason == "user_not_found"  # type: ignore[union-attr]


# --- kill -9 mid-pass: each person's papers reach their DM exactly once -----------------------


def _prepare_people(database_url: str) -> dict[str, set[str]]:
    """Bundled papers and one personal subscription per person; returns the papers each DM should get."""
    from bot.app import build_app
    from bot.config import Settings
    from bot.delivery.digest import build_digest
    from bot.sources.ingest import load_seed_if_empty

    app = build_app(Settings(database_url=database_url, digest_cap=100), seed=False)
    load_seed_if_empty(app.engine)
    expected: dict[str, set[str]] = {}
    people = [ChannelRef.person("slack", "T1", f"U{i}") for i in range(len(QUERIES))]
    with UnitOfWork(app.engine) as uow:
        for person, query in zip(people, QUERIES, strict=True):
            uow.subscriptions.add(Subscription(person, query))
            uow.channels.row(person)
        uow.commit()
        now = datetime.now(UTC)
        for person in people:
            keys = {m.paper.key for m in build_digest(uow, app.matcher, person, now, cap=100).matches}
            expected[f"D{person.user_id}"] = keys  # the stand-in's DM with U3 is DU3
    app.engine.dispose()
    assert sum(len(keys) for keys in expected.values()) >= 20 and any(len(k) > 3 for k in expected.values())
    return expected


@pytest.mark.slow
def test_kill_9_mid_pass_delivers_each_personal_feed_to_its_dm_exactly_once(database_url: str) -> None:
    expected = _prepare_people(database_url)
    seed = int(os.environ.get("PAPERS_CRASH_SEED", random.randrange(1 << 30)))
    chance = random.Random(seed)
    state = SlackState(rate_429=0.2, rate_503=0.05, retry_after=1, random=random.Random(seed))
    state.outside_marketplace(every=1.0, retry_after=1)
    with SlackServer(state) as server:
        killed = [_kill_mid_pass(_deliver(database_url, server), state, chance) for _ in range(5)]
        assert sum(killed) >= 3, f"seed {seed}: most kills came too late to interrupt anything"
        _finish(database_url, server, seed)
        assert_each_posted_once(state, expected, seed)
        assert {c["users"] for c in opened(state)} <= {f"U{i}" for i in range(len(QUERIES))}
        posts = state.count("chat.postMessage")
        _finish(database_url, server)  # a second pass posts nothing
        assert state.count("chat.postMessage") == posts
