"""Slack sends some requests more than once: each is acknowledged every time and acted on once, in any process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_bolt.request import BoltRequest
from sqlalchemy import Engine

from adapters.slack.app import build_slack_app
from adapters.slack.replays import KEEP, Replays
from bot.app import App
from storage.uow import UnitOfWork
from tests.slack_api import SlackAPI, event_body, mention, retried, signed_headers
from tests.test_slack_app import RunAtOnce, Workspace, fresh_stand_in, message_text, slack_app


@pytest.fixture
def slack() -> Iterator[SlackAPI]:
    yield from fresh_stand_in()


@pytest.fixture
def papers(database_url: str, slack: SlackAPI) -> Iterator[App]:
    yield from slack_app(database_url, slack)


def web_process(papers: App, slack: SlackAPI) -> Workspace:
    """One web process's bolt App; two of them share nothing but the database."""
    bolt = build_slack_app(papers, executor=RunAtOnce())
    return Workspace(bolt, slack)


def test_a_mention_retried_twice_is_answered_once(papers: App, slack: SlackAPI) -> None:
    lab = web_process(papers, slack)
    body = event_body(mention("find go explore"))
    headers = signed_headers(body, content_type="application/json")
    statuses = [
        lab.bolt.dispatch(BoltRequest(body=body, headers=h)).status
        for h in (headers, retried(headers, 1), retried(headers, 2))
    ]
    assert statuses == [200, 200, 200]
    assert len(slack.state.calls_to("chat.postEphemeral")) == 1


def test_a_replayed_unsubscribe_removes_one_subscription(papers: App, slack: SlackAPI) -> None:
    lab = web_process(papers, slack)
    for query in ("robotics", "speech", "3d"):
        lab.say(f"subscribe {query}")
    replies = [lab.replies("unsubscribe 1", trigger_id="13345224609.738474920.8088930838d88f008e0") for _ in range(3)]
    assert [message_text(m) for m in replies[0]] == ["<@U1> unsubscribed this channel from `robotics`."]
    assert replies[1:] == [[], []]  # acknowledged with nothing to show
    assert "1. `speech`" in lab.say("list") and "2. `3d`" in lab.say("list")


def test_a_replay_sent_to_another_web_process_is_not_acted_on_either(papers: App, slack: SlackAPI) -> None:
    first, second = web_process(papers, slack), web_process(papers, slack)
    first.say("subscribe robotics")
    first.say("subscribe speech")
    trigger = "4200.4200.feedbeef"
    first.replies("unsubscribe 1", trigger_id=trigger)
    assert second.replies("unsubscribe 1", trigger_id=trigger) == []
    assert "1. `speech`" in second.say("list")


def test_a_command_typed_again_is_a_new_request(papers: App, slack: SlackAPI) -> None:
    lab = web_process(papers, slack)
    lab.say("subscribe robotics")
    lab.say("subscribe speech")
    lab.say("unsubscribe 1")
    lab.say("unsubscribe 1")  # a new trigger_id: the person meant it
    assert "no subscriptions" in lab.say("list")


def test_request_ids_are_recorded_once_and_forgotten_after_an_hour(engine: Engine) -> None:
    now = datetime(2026, 11, 30, 9, tzinfo=UTC)
    with UnitOfWork(engine) as uow:
        assert uow.seen_requests.first_time("slack:event:Ev1", now)
        assert not uow.seen_requests.first_time("slack:event:Ev1", now + timedelta(minutes=5))
        assert uow.seen_requests.first_time("slack:trigger:Ev1", now)
        uow.commit()
    clock = [now + KEEP + timedelta(seconds=1)]
    replays = Replays(engine, clock=lambda: clock[0])
    assert replays.first_time("slack:event:Ev2")  # and, once a minute, forgets the old ones
    with UnitOfWork(engine) as uow:
        assert uow.seen_requests.first_time("slack:event:Ev1", clock[0])
        assert not uow.seen_requests.first_time("slack:event:Ev2", clock[0])


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(lambda: event_body({"type": "app_mention"}).replace('"event_id"', '"x"'), id="event-without-id"),
        pytest.param(lambda: json.dumps({"type": "url_verification", "challenge": "abc"}), id="url-verification"),
    ],
)
def test_requests_without_an_id_are_never_dropped(papers: App, slack: SlackAPI, body: object) -> None:
    lab = web_process(papers, slack)
    text = body()  # type: ignore[operator]
    for _ in range(2):
        response = lab.bolt.dispatch(
            BoltRequest(body=text, headers=signed_headers(text, content_type="application/json"))
        )
        assert response.status == 200
    if "challenge" in text:
        assert json.loads(response.body) == {"challenge": "abc"}
