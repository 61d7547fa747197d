"""Slack delivery against a local Web API stand-in: storms, gone channels, kill -9 mid-pass, two processes."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from adapters.slack.sender import SlackSender, make_client
from bot.delivery.passes import deliver_due
from bot.domain import ChannelRef, Digest, Match, Paper, Subscription
from storage.engine import make_engine
from storage.tables import DeliveryRow
from storage.uow import UnitOfWork
from tests.slack_server import TOKEN, SlackServer, SlackState
from tests.test_delivery import at, build, channel_row, setup

ROOT = Path(__file__).resolve().parent.parent
LAB = ChannelRef("slack", "T1", "C1")
# Queries that match 2 to 16 of the bundled papers: single messages and threads both.
QUERIES = ["speech", "3d", "video", "reasoning", "benchmark", '"language model"']


@pytest.fixture
def slack() -> Iterator[SlackServer]:
    with SlackServer(SlackState(retry_after=0)) as server:
        yield server


def sender_for(server: SlackServer) -> SlackSender:
    client = make_client(TOKEN, server.url)
    return SlackSender(lambda _team: client, backoff=0.01)


def digest(count: int, title: str = "new papers") -> Digest:
    papers = [
        Paper(title=f"<!channel> Paper {n} & <b>friends</b>", abstract="Text.", arxiv_id=f"2611.{n:05d}")
        for n in range(count)
    ]
    return Digest(LAB, tuple(Match(p, 1.0, ("title: <script>",)) for p in papers), 0, title)


def test_untrusted_text_is_escaped_and_marks_ride_in_metadata(slack: SlackServer) -> None:
    ids = sender_for(slack).send(LAB, digest(2, "2 new papers <!here>"), "mark-1")
    [message] = slack.state.messages["C1"]
    text = str(message["blocks"])
    assert ids == [message["ts"]]
    assert "<!channel>" not in text and "&lt;!channel&gt; Paper 0 &amp; &lt;b&gt;friends&lt;/b&gt;" in text
    assert "<!here>" not in message["text"] and "&lt;script&gt;" in text
    assert message["metadata"] == {
        "event_type": "papers_digest",
        "event_payload": {"mark": "mark-1", "part": 0, "parts": 1, "papers": ["2611.00000", "2611.00001"]},
    }


def test_a_thread_and_finding_it_again_after_a_crash(slack: SlackServer) -> None:
    sender = sender_for(slack)
    ids = sender.send(LAB, digest(5), "mark-2")
    messages = slack.state.messages["C1"]
    assert len(ids) == 3 and [m.get("thread_ts") for m in messages[1:]] == [ids[0]] * 2  # four papers a reply
    assert sender.find_sent(LAB, "mark-2") == ids
    assert sender.find_sent(LAB, "mark-3") is None
    del messages[2:]  # as if the process died after the first reply
    assert sender.find_sent(LAB, "mark-2") is None
    assert sender.resume(LAB, digest(5), "mark-2")[:2] == ids[:2]
    assert set(slack.state.posted_keys().values()) == {1} and len(slack.state.posted_keys()) == 5


def test_rate_limits_and_outages_are_waited_out_without_a_duplicate(slack: SlackServer) -> None:
    slack.state.script += [
        ("chat.postMessage", 429, "ratelimited"),
        ("chat.postMessage", 503, "service_unavailable"),
        ("chat.postMessage", 429, "ratelimited"),
    ]
    slack.state.rate_503 = 0.2  # half of these land before failing: a blind retry would post twice
    sender_for(slack).send(LAB, digest(6), "mark-4")
    assert Counter(slack.state.posted_keys().values()) == Counter({1: 6})
    assert slack.state.count("chat.postMessage") >= 6  # three messages, three refusals, and what 503s cost


def test_a_long_retry_after_leaves_the_digest_for_a_later_pass(engine: Engine, slack: SlackServer) -> None:
    setup(engine, LAB, range(2))
    slack.state.retry_after = 120
    slack.state.script += [("chat.postMessage", 429, "ratelimited")]
    report = deliver_due(engine, {str(LAB): [0, 1]}, {"slack": sender_for(slack)}, at(0, 9), build=build)
    assert report.failed == 1 and "ratelimited" in report.details[0]
    with UnitOfWork(engine) as uow:
        [pending] = uow.outbox.pending(LAB)
        assert pending.next_attempt_at is not None  # not before Retry-After
    slack.state.retry_after = 0
    assert deliver_due(engine, {str(LAB): [0, 1]}, {"slack": sender_for(slack)}, at(0, 9, 5), build=build).posted == 1
    assert len(slack.state.posted_keys()) == 2


@pytest.mark.parametrize("error", ["channel_not_found", "is_archived", "invalid_auth", "missing_scope"])
def test_a_gone_channel_is_paused_not_retried(engine: Engine, slack: SlackServer, error: str) -> None:
    setup(engine, LAB, range(2))
    slack.state.script += [("chat.postMessage", 200, error)]
    senders = {"slack": sender_for(slack)}
    report = deliver_due(engine, {str(LAB): [0, 1]}, senders, at(0, 9), build=build)
    assert report.paused == 1 and channel_row(engine, LAB).paused_reason == error
    calls = len(slack.state.calls)
    deliver_due(engine, {str(LAB): [0, 1]}, senders, at(1, 9), force=True, build=build)
    assert len(slack.state.calls) == calls


def test_not_in_channel_joins_then_posts(engine: Engine, slack: SlackServer) -> None:
    setup(engine, LAB, range(1))
    slack.state.outside.add("C1")
    report = deliver_due(engine, {str(LAB): [0]}, {"slack": sender_for(slack)}, at(0, 9), build=build)
    assert report.posted == 1 and slack.state.count("conversations.join") == 1


# --- the process is killed mid-pass, several times ----------------------------------------


def _prepare(database_url: str) -> dict[str, set[str]]:
    """Bundled papers and one subscription per channel; returns the papers each channel should get."""
    from bot.app import build_app
    from bot.config import Settings
    from bot.delivery.digest import build_digest
    from bot.sources.ingest import load_seed_if_empty

    app = build_app(Settings(database_url=database_url, digest_cap=100), seed=False)
    load_seed_if_empty(app.engine)
    expected: dict[str, set[str]] = {}
    with UnitOfWork(app.engine) as uow:
        for i, query in enumerate(QUERIES):
            channel = ChannelRef("slack", "T1", f"C{i}")
            uow.subscriptions.add(Subscription(channel, query))
            uow.channels.row(channel)
        uow.commit()
        now = datetime.now(UTC)
        for i, _ in enumerate(QUERIES):
            channel = ChannelRef("slack", "T1", f"C{i}")
            expected[f"C{i}"] = {m.paper.key for m in build_digest(uow, app.matcher, channel, now, cap=100).matches}
    app.engine.dispose()
    assert sum(len(keys) for keys in expected.values()) >= 20 and any(len(k) > 3 for k in expected.values())
    return expected


def _deliver(database_url: str, server: SlackServer) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": server.url,
        "DIGEST_CAP": "100",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    env.pop("SLACK_CLIENT_ID", None)
    return subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "deliver", "--now"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _pending(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with UnitOfWork(engine) as uow:
            return int(
                uow.session.execute(
                    select(func.count()).select_from(DeliveryRow).where(DeliveryRow.status == "pending")
                ).scalar_one()
            )
    finally:
        engine.dispose()


def _kill_mid_pass(process: subprocess.Popen[bytes], state: SlackState, chance: random.Random) -> bool:
    """SIGKILL once the process has made a random number of Slack calls (start-up time varies a lot).

    Returns whether it was still running: killed mid-pass rather than after it finished.
    """
    target = state.count_all() + chance.randint(1, 8)  # a pass here makes about a dozen calls
    deadline = time.monotonic() + 30
    while state.count_all() < target and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(chance.uniform(0, 0.03))  # sometimes between Slack's answer and the outbox commit
    running = process.poll() is None
    process.kill()  # SIGKILL: no cleanup, no finally
    process.wait()
    return running


def _finish(database_url: str, server: SlackServer, seed: int | None = None) -> None:
    """Full passes until nothing is pending: up to four in the storm, then one after it has calmed.

    A pass can itself meet the storm: one 503 on a read (conversations.open, conversations.history; only
    posts are retried within a pass) fails that feed until the next pass, about one pass in five for a
    feed with a post to confirm. So four stormy passes in a row can leave one pending (seed 411478930
    did: @U3's history read met a 503 in each). A calm pass must then finish everything.
    """
    for calm in (False, False, False, False, True):
        if calm:
            server.state.rate_429 = server.state.rate_503 = 0.0
        process = _deliver(database_url, server)
        try:
            _, err = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
        # 1: a channel met the storm and is kept for the next pass, as its summary says; never a crash.
        failed = re.search(r" [1-9]\d* failed,", err.decode())
        assert process.returncode == (1 if failed else 0), err.decode()[-2000:]
        if _pending(database_url) == 0:
            return
    raise AssertionError(f"seed {seed}: deliveries still pending after four passes in the storm and one after it")


def assert_each_posted_once(state: SlackState, expected: dict[str, set[str]], seed: int) -> None:
    """Every (where, paper) the pass owed was posted exactly once, and nothing else."""
    counts = state.posted_keys()
    want = Counter({(where, key): 1 for where, keys in expected.items() for key in keys})
    lost, doubled = want - counts, {pair: n for pair, n in counts.items() if n > 1}
    assert not lost and not doubled, f"seed {seed}: lost {sorted(lost)}, posted twice {sorted(doubled)}"
    assert set(counts) == set(want), f"seed {seed}: unexpected posts {sorted(set(counts) - set(want))}"


@pytest.mark.slow
def test_kill_9_at_random_moments_loses_nothing_and_repeats_nothing(database_url: str) -> None:
    expected = _prepare(database_url)
    seed = int(os.environ.get("PAPERS_CRASH_SEED", random.randrange(1 << 30)))
    chance = random.Random(seed)
    # History as apps outside the Marketplace get it (15 a call, a call a "minute", here 1 s), and one
    # public channel the bot never joined: reading there needs a join first.
    state = SlackState(rate_429=0.2, rate_503=0.05, retry_after=1, random=random.Random(seed), public={"C1"})
    state.outside_marketplace(every=1.0, retry_after=1)
    with SlackServer(state) as server:
        killed = [_kill_mid_pass(_deliver(database_url, server), state, chance) for _ in range(5)]
        assert sum(killed) >= 3, f"seed {seed}: most kills came too late to interrupt anything"
        _finish(database_url, server, seed)
        assert_each_posted_once(state, expected, seed)
        posts = state.count("chat.postMessage")
        _finish(database_url, server)  # a second pass posts nothing
        assert state.count("chat.postMessage") == posts


@pytest.mark.slow
def test_two_delivery_processes_at_once_post_each_paper_once(database_url: str) -> None:
    expected = _prepare(database_url)
    state = SlackState(rate_429=0.1, retry_after=0)
    with SlackServer(state) as server:
        processes = [_deliver(database_url, server) for _ in range(2)]
        for process in processes:
            _, err = process.communicate(timeout=60)
            assert process.returncode == 0, err.decode()[-2000:]
        _finish(database_url, server)
        want = Counter({(channel, key): 1 for channel, keys in expected.items() for key in keys})
        assert state.posted_keys() == want
