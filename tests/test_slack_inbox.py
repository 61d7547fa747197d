"""Acknowledged means done: a Slack request acknowledged is in the inbox table, and some process carries it out once.

A process "stopped before the worker ran" is an inbox whose pools never run anything (a gate that
stays shut): its requests are in the table, held by it until their lease runs out; a new process on
the same database then carries each out exactly once. And an acknowledgement never waits behind work.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import slack_bolt
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from adapters.slack.app import build_slack_app
from bot.app import App
from bot.inbox import LEASE, Inbox, Pool
from bot.sources.parsed import Parsed
from storage.uow import UnitOfWork
from tests.slack_api import SlackAPI, event_body, link_shared, mention, retried, signed_headers, slash_command
from tests.test_slack_app import RunAtOnce, fresh_stand_in, slack_app

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ARXIV = "https://arxiv.org/abs/"


@pytest.fixture
def slack() -> Iterator[SlackAPI]:
    yield from fresh_stand_in()


@pytest.fixture
def papers(database_url: str, slack: SlackAPI) -> Iterator[App]:
    yield from slack_app(database_url, slack)


class ShutGate(Executor):
    """A pool whose workers never get to run anything: the process is stopped before they do."""

    def __init__(self) -> None:
        self.held: list[Callable[..., Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.held.append(fn)
        return Future()


def process(papers: App, inbox: Inbox) -> slack_bolt.App:
    """One web process: its own bolt App and inbox, sharing only the database with the others."""
    return build_slack_app(papers, inbox=inbox)


def send(bolt: slack_bolt.App, body: str, headers: dict[str, str] | None = None) -> BoltResponse:
    return bolt.dispatch(
        BoltRequest(body=body, headers=headers or signed_headers(body, content_type="application/json"))
    )


def answers_in(slack: SlackAPI, channel: str) -> list[str]:
    """What the bot said in the channel, to all or to the person alone."""
    with slack.state.lock:
        calls = [p for name, p in slack.state.calls if name in ("chat.postMessage", "chat.postEphemeral")]
    return [p["text"] for p in calls if p["channel"] == channel]


def test_a_mention_acknowledged_then_stopped_is_carried_out_once_by_the_next_process(
    papers: App, slack: SlackAPI
) -> None:
    gate = ShutGate()
    first = process(papers, Inbox(papers.engine, executor=gate, clock=lambda: T0))
    body = event_body(mention("status", channel="C1"))
    assert send(first, body).status == 200  # acknowledged
    assert send(first, body, retried(signed_headers(body, content_type="application/json"), 1)).status == 200
    assert gate.held and answers_in(slack, "C1") == []  # the worker never ran
    # the process is gone (kill -9): nothing gave the request back; its lease runs out
    later = T0 + LEASE + timedelta(seconds=1)
    second = Inbox(papers.engine, executor=RunAtOnce(), clock=lambda: later)
    process(papers, second)
    assert second.sweep() == 1
    [answer] = answers_in(slack, "C1")
    assert "subscription" in answer  # the status reply, in the channel
    third = Inbox(papers.engine, executor=RunAtOnce(), clock=lambda: later + LEASE * 2)
    process(papers, third)
    assert second.sweep() == 0 and third.sweep() == 0
    assert len(answers_in(slack, "C1")) == 1 and second.waiting() == 0


def test_a_process_told_to_stop_gives_back_what_it_had_not_started_at_once(papers: App, slack: SlackAPI) -> None:
    first_inbox = Inbox(papers.engine, executor=ShutGate(), clock=lambda: T0)
    first = process(papers, first_inbox)
    for channel in ("C1", "C2", "C3"):
        assert send(first, event_body(mention("help", channel=channel))).status == 200
    first_inbox.stop()  # SIGTERM: a deploy
    second = Inbox(papers.engine, executor=RunAtOnce(), clock=lambda: T0)  # no lease to wait out
    process(papers, second)
    assert second.sweep() == 3
    assert [len(answers_in(slack, c)) for c in ("C1", "C2", "C3")] == [1, 1, 1]


def test_two_processes_sweeping_at_once_take_each_request_once(papers: App, slack: SlackAPI) -> None:
    with UnitOfWork(papers.engine) as uow:
        for n in range(40):
            uow.inbox.add(f"k{n}", "event", {"n": n}, T0, "gone", T0)
        uow.commit()
    taken: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def sweep(slot: int) -> None:
        start.wait()
        for _ in range(10):
            with UnitOfWork(papers.engine) as uow:
                claimed = uow.inbox.claim(["event"], T0, f"p{slot}", T0 + LEASE, 3)
                uow.commit()
            taken[slot] += [work.payload["n"] for work in claimed]

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(sweep, range(2)))
    assert sorted(taken[0] + taken[1]) == list(range(40))


def slash(slack: SlackAPI, text: str, n: int) -> str:
    # one command each: the per-person rate limit is not what is tested
    return slash_command(text, slack.response_url(f"flood/{n}"), channel=f"C{n % 5}", user=f"U{n:03d}")


def test_help_is_answered_at_once_while_link_floods_and_subscribes_wait(papers: App, slack: SlackAPI) -> None:
    arxiv_answers = threading.Event()  # arXiv is slow: it answers nothing until the test opens this
    asked: list[str] = []

    def slow_arxiv(ids: list[str]) -> Parsed:
        asked.extend(ids)
        arxiv_answers.wait(30)
        return Parsed()  # it knows none of them

    papers.lookup.fetch = slow_arxiv
    inbox = Inbox(papers.engine)  # this process's own pools, as in production
    bolt = process(papers, inbox)
    try:
        unknown = ["2612.99991", "2612.99992", "2612.99993"]
        with ThreadPoolExecutor(16) as senders:
            floods = list(senders.map(lambda n: send(bolt, link_shared(ARXIV + unknown[n % 3], n)).status, range(30)))
            bodies = [slash(slack, f"subscribe robotics-{n}", n) for n in range(40)]
            subscribes = list(senders.map(lambda b: send(bolt, b, signed_headers(b)).status, bodies))
        assert floods == [200] * 30 and subscribes == [200] * 40
        wait_for(lambda: len(asked) >= 1)  # the unfurl pool is stuck on arXiv
        body = slash(slack, "help", 99)
        help_ack = send(bolt, body, signed_headers(body))
        assert help_ack.status == 200 and "/papers subscribe" in help_ack.body
        assert not arxiv_answers.is_set()  # answered while the unfurls still wait
        arxiv_answers.set()
        wait_for(lambda: inbox.waiting() == 0)
        assert sorted(asked) == unknown  # each unknown id asked once: in flight once, then remembered
        send(bolt, link_shared(ARXIV + unknown[0], 100))
        wait_for(lambda: inbox.waiting() == 0)
        assert sorted(asked) == unknown  # pasted again: not asked again
    finally:
        arxiv_answers.set()
        inbox.stop(wait=True)


def wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    """Wait on a state the pools reach (never a fixed sleep); fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the inbox was not worked off in time"
        time.sleep(0.02)


def test_an_event_recorded_by_a_process_that_died_before_its_ack_is_taken_when_slack_retries_it(
    papers: App, slack: SlackAPI
) -> None:
    body = event_body(mention("help", channel="C7"))
    with UnitOfWork(papers.engine) as uow:  # the replay guard recorded it; the process died before the inbox
        uow.seen_requests.first_time(f"slack:event:{json.loads(body)['event_id']}", T0)
        uow.commit()
    bolt = process(papers, Inbox(papers.engine, executor=RunAtOnce(), clock=lambda: T0))
    headers = signed_headers(body, content_type="application/json")
    assert send(bolt, body, retried(headers, 1)).status == 200  # Slack, without an ack, retries
    assert send(bolt, body, retried(headers, 2)).status == 200
    assert len(answers_in(slack, "C7")) == 1


def test_a_long_request_keeps_its_lease_so_no_other_process_takes_it(papers: App, slack: SlackAPI) -> None:
    now = [T0]
    gate = ShutGate()
    first = Inbox(papers.engine, executor=gate, clock=lambda: now[0])
    process(papers, first)
    assert first.accept("event", "slack:event:long", {"job": "home", "team": "T1", "user": "U1"})
    now[0] = T0 + LEASE * 0.9
    assert first.renew() == 1  # the sweep loop renews what the process holds
    other = Inbox(papers.engine, executor=RunAtOnce(), clock=lambda: T0 + LEASE * 1.5)
    process(papers, other)
    assert other.sweep() == 0


def test_what_a_full_pool_has_no_room_for_is_left_in_the_table_for_any_process(papers: App, slack: SlackAPI) -> None:
    small = {"command": Pool(1, 1), "unfurl": Pool(1, 1), "event": Pool(1, 1)}  # one running, one waiting
    busy = Inbox(papers.engine, pools=small, executor=ShutGate(), clock=lambda: T0)
    bolt = process(papers, busy)
    for channel in ("C1", "C2", "C3", "C4"):
        assert send(bolt, event_body(mention("help", channel=channel))).status == 200  # all acknowledged
    other = Inbox(papers.engine, executor=RunAtOnce(), clock=lambda: T0)  # no lease has run out
    process(papers, other)
    assert other.sweep() == 2 and [len(answers_in(slack, c)) for c in ("C1", "C2", "C3", "C4")] == [0, 0, 1, 1]


def test_requests_done_are_forgotten_after_an_hour_and_those_not_done_are_kept(papers: App, slack: SlackAPI) -> None:
    with UnitOfWork(papers.engine) as uow:
        done = uow.inbox.add("slack:event:done", "event", {}, T0, "p", T0)
        uow.inbox.add("slack:event:waiting", "event", {}, T0, "p", T0)
        assert done is not None
        uow.inbox.done(done, T0)
        uow.commit()
    assert Inbox(papers.engine, clock=lambda: T0 + timedelta(minutes=59), executor=RunAtOnce()).forget_old() == 0
    inbox = Inbox(papers.engine, clock=lambda: T0 + timedelta(minutes=61), executor=RunAtOnce())
    assert inbox.forget_old() == 1 and inbox.has("slack:event:waiting") and not inbox.has("slack:event:done")
