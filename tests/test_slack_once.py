"""Exactly once after kill -9: a process that dies after Slack took its reply, before the inbox row was marked
done, leaves the mention to the next process, which finds the reply in the thread and posts nothing more.

"Dies" is a gate in the test: the first process's client lets Slack take the post, then its worker
thread ends there (as a kill -9 would end it), and the row stays held until its lease runs out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

from adapters.slack.app import build_slack_app
from adapters.slack.marks import Marked
from bot.app import App
from bot.inbox import LEASE, Inbox
from tests.slack_api import SlackAPI, event_body, mention, signed_headers
from tests.slack_server import TOKEN
from tests.test_slack_app import RunAtOnce, fresh_stand_in, slack_app
from tests.test_slack_inbox import ShutGate, answers_in, send

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LATER = T0 + LEASE + timedelta(seconds=1)


class Killed(BaseException):
    """The process is gone: nothing after this line of the worker runs (not even an `except Exception`)."""


class DiesAfterPosting(WebClient):
    """The first process's client: Slack takes the post, then the process dies before it hears the answer."""

    def __init__(self, slack: SlackAPI, after: int = 1) -> None:
        super().__init__(token=TOKEN, base_url=slack.url)
        self.posts_left = after

    def chat_postMessage(self, **kwargs: Any) -> SlackResponse:
        answer = super().chat_postMessage(**kwargs)
        self.posts_left -= 1
        if self.posts_left == 0:
            raise Killed
        return answer


class Dying(Executor):
    """Runs the work at once, like RunAtOnce, and notes the worker that was killed in it."""

    def __init__(self) -> None:
        self.killed = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        try:
            fn(*args, **kwargs)
        except Killed:
            self.killed += 1
        return Future()


@pytest.fixture
def slack() -> Iterator[SlackAPI]:
    yield from fresh_stand_in()


@pytest.fixture
def papers(database_url: str, slack: SlackAPI) -> Iterator[App]:
    yield from slack_app(database_url, slack)


def reads_of_history(slack: SlackAPI) -> int:
    return len(slack.state.calls_to("conversations.replies")) + len(slack.state.calls_to("conversations.history"))


def test_a_reply_slack_took_before_the_process_died_is_not_posted_again(papers: App, slack: SlackAPI) -> None:
    dying = Dying()
    first = build_slack_app(
        papers, client=DiesAfterPosting(slack), inbox=Inbox(papers.engine, executor=dying, clock=lambda: T0)
    )
    body = event_body(mention("subscribe reinforcement-learning", channel="C1", ts="1764.000100"))
    assert send(first, body, signed_headers(body, content_type="application/json")).status == 200
    assert dying.killed == 1
    [answer] = answers_in(slack, "C1")  # in the thread, as Slack took it; the row is not done
    assert "subscribed this channel" in answer and reads_of_history(slack) == 0  # a first attempt looks nowhere
    second = Inbox(papers.engine, executor=RunAtOnce(), clock=lambda: LATER)  # the next process, after the lease
    build_slack_app(papers, inbox=second)
    assert second.sweep() == 1  # claimed again: it looks in the thread first
    assert answers_in(slack, "C1") == [answer] and reads_of_history(slack) == 1
    assert second.waiting() == 0 and second.sweep() == 0


def test_a_process_that_died_before_slack_took_anything_gets_its_reply_posted_by_the_next(
    papers: App, slack: SlackAPI
) -> None:
    gone = Inbox(papers.engine, executor=Dying(), clock=lambda: T0)

    class DiesBeforePosting(WebClient):
        def chat_postMessage(self, **kwargs: Any) -> SlackResponse:
            raise Killed

    first = build_slack_app(papers, client=DiesBeforePosting(token=TOKEN, base_url=slack.url), inbox=gone)
    assert send(first, event_body(mention("subscribe robotics", channel="C2"))).status == 200
    assert answers_in(slack, "C2") == []
    second = Inbox(papers.engine, executor=RunAtOnce(), clock=lambda: LATER)
    build_slack_app(papers, inbox=second)
    assert second.sweep() == 1
    [answer] = answers_in(slack, "C2")
    assert "robotics" in answer  # the core said what it did or found; Slack got it once


def test_a_job_run_again_posts_only_the_parts_the_channel_does_not_show_yet(slack: SlackAPI) -> None:
    client = WebClient(token=TOKEN, base_url=slack.url)
    first = Marked(client, "Ev1", again=False).as_client()
    ts = first.chat_postMessage(channel="C5", text="page 1 of 2")["ts"]  # then the process died
    again = Marked(client, "Ev1", again=True).as_client()
    assert again.chat_postMessage(channel="C5", text="page 1 of 2")["ts"] == ts  # found: not posted again
    again.chat_postMessage(channel="C5", text="page 2 of 2")
    other = Marked(client, "Ev2", again=True).as_client()  # another request's mark is not this one's
    other.chat_postMessage(channel="C5", text="another answer")
    assert [m["text"] for m in slack.state.messages["C5"]] == ["page 1 of 2", "page 2 of 2", "another answer"]


def test_a_mention_given_back_at_a_stop_is_answered_without_reading_the_channel_first(
    papers: App, slack: SlackAPI
) -> None:
    stopping = Inbox(papers.engine, executor=ShutGate(), clock=lambda: T0)
    first = build_slack_app(papers, inbox=stopping)
    assert send(first, event_body(mention("subscribe robotics", channel="C3"))).status == 200
    stopping.stop()  # SIGTERM before the worker started: given back, not an attempt
    second = Inbox(papers.engine, executor=RunAtOnce(), clock=lambda: T0)
    build_slack_app(papers, inbox=second)
    assert second.sweep() == 1
    [answer] = answers_in(slack, "C3")
    assert "subscribed this channel" in answer and reads_of_history(slack) == 0  # Slack's history budget kept


def test_mentions_waiting_in_a_killed_process_are_answered_without_reading_the_channel_first(
    papers: App, slack: SlackAPI
) -> None:
    killed = build_slack_app(papers, inbox=Inbox(papers.engine, executor=ShutGate(), clock=lambda: T0))
    for channel in ("C4", "C5"):
        assert send(killed, event_body(mention("subscribe robotics", channel=channel))).status == 200
    # kill -9 with both still waiting for a worker: held, never started; the lease runs out
    second = Inbox(papers.engine, executor=RunAtOnce(), clock=lambda: LATER)
    build_slack_app(papers, inbox=second)
    assert second.sweep() == 2
    assert [len(answers_in(slack, c)) for c in ("C4", "C5")] == [1, 1] and reads_of_history(slack) == 0
