"""A journal club in a Slack channel, through the real slack-bolt App and the Web API stand-in: the vote posted
with a button a paper, clicks counted live (moved, taken back), and the clock announcing the winner at the end."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.request import BoltRequest

from adapters.slack.app import build_slack_app
from adapters.slack.translator import Permissions
from adapters.wiring import close_clubs
from bot.app import App
from storage.uow import UnitOfWork
from tests.slack_api import SlackAPI, event_body, mention, signed_headers
from tests.test_slack_app import RunAtOnce, Workspace, fresh_stand_in, message_text, slack_app


@pytest.fixture
def slack() -> Iterator[SlackAPI]:
    yield from fresh_stand_in()


@pytest.fixture
def papers(tmp_path: Any, slack: SlackAPI) -> Iterator[App]:
    yield from slack_app(f"sqlite:///{tmp_path / 'papers.db'}", slack)  # the bundled papers


@pytest.fixture
def lab(papers: App, slack: SlackAPI) -> Workspace:
    bolt = build_slack_app(papers, permissions=Permissions("anyone", []), executor=RunAtOnce())
    return Workspace(bolt, slack)


def vote_message(slack: SlackAPI) -> dict[str, Any]:
    [message] = [m for m in slack.state.messages["C1"] if m["text"].startswith("Journal club: which paper")]
    return message


def button(slack: SlackAPI, label: str) -> dict[str, Any]:
    [found] = [
        b["accessory"]
        for b in vote_message(slack)["blocks"]
        if b.get("accessory", {}).get("text", {}).get("text") == label
    ]
    return found


def click(lab: Workspace, user: str, label: str, pressed: dict[str, Any] | None = None) -> str:
    """`user` clicks a button of the vote message as everyone sees it now (or `pressed`, one shown earlier);
    returns what they alone are told."""
    message = vote_message(lab.slack)
    payload = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "lab"},
        "user": {"id": user, "username": user.lower(), "team_id": "T1"},
        "api_app_id": "A1",
        "channel": {"id": "C1", "name": "papers"},
        "message": {"ts": message["ts"], "text": message["text"]},
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": "C1"},
        "trigger_id": uuid.uuid4().hex,
        "response_url": lab.slack.response_url(uuid.uuid4().hex[:6]),
        "actions": [{**(pressed or button(lab.slack, label)), "block_id": "club", "action_ts": "1.2"}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    before = len(lab.slack.state.responses)
    assert lab.bolt.dispatch(BoltRequest(body=body, headers=signed_headers(body))).status == 200
    [told] = lab.slack.state.responses[before:]
    assert told["response_type"] == "ephemeral" and told["replace_original"] is False
    return message_text(told)


def titles(slack: SlackAPI) -> list[str]:
    """Each paper's title as the vote shows it (`*1.* <url|title>  ·  0 votes`)."""
    return [
        b["text"]["text"].split("|", 1)[1].split(">", 1)[0]
        for b in vote_message(slack)["blocks"]
        if b["type"] == "section"
    ]


def counts(slack: SlackAPI) -> list[str]:
    return [
        b["text"]["text"].rsplit("·", 1)[1].strip() for b in vote_message(slack)["blocks"] if b["type"] == "section"
    ]


def test_a_club_is_voted_on_live_and_its_winner_announced_when_it_closes(papers: App, lab: Workspace) -> None:
    lab.replies("subscribe reinforcement-learning")
    assert lab.say("club 3 48") == "The vote is open: 3 papers, 48 hours."
    message = vote_message(lab.slack)
    assert [b["accessory"]["text"]["text"] for b in message["blocks"] if "accessory" in b] == [
        "Vote 1",
        "Vote 2",
        "Vote 3",
    ]
    assert message["blocks"][1]["text"]["text"].startswith("*1.* <https://arxiv.org/abs/")
    assert counts(lab.slack) == ["0 votes", "0 votes", "0 votes"]

    assert click(lab, "U1", "Vote 2") == "You voted for paper 2."
    assert click(lab, "U2", "Vote 2") == "You voted for paper 2."
    assert click(lab, "U3", "Vote 1") == "You voted for paper 1."
    assert counts(lab.slack) == ["1 vote", "2 votes", "0 votes"]  # everyone sees the counts as they change
    assert click(lab, "U1", "Vote 3") == "You moved your vote from paper 2 to paper 3."
    assert click(lab, "U3", "Vote 1") == "You took back your vote for paper 1."
    assert counts(lab.slack) == ["0 votes", "1 vote", "1 vote"]

    shown, stale = titles(lab.slack), button(lab.slack, "Vote 1")
    with UnitOfWork(papers.engine) as uow:
        club = uow.clubs.get(1)
        assert club is not None and club.message_ids == [message["ts"]]
    papers.service.clock = lambda: club.closes_at + timedelta(minutes=1)  # the clock process's next tick
    assert close_clubs(papers) == [1]
    announcement = lab.slack.state.messages["C1"][-1]
    assert announcement["text"].startswith("Journal club: a tie between papers 2 and 3, 1 vote each (2 in all).")
    said = message_text(announcement)
    assert shown[1] in said and shown[2] in said and shown[0] not in said  # the tied papers' cards
    closed = vote_message(lab.slack)
    assert not any("accessory" in b for b in closed["blocks"]) and "Vote closed" in message_text(closed)
    assert counts(lab.slack) == ["0 votes", "1 vote", "1 vote"]
    assert click(lab, "U4", "", pressed=stale) == "That vote has closed; the winner is announced in the channel."
    assert close_clubs(papers) == []  # once


def test_a_club_in_a_direct_message_is_refused_in_one_sentence(lab: Workspace) -> None:
    lab.channel = "D0123"
    assert lab.say("club") == ":warning: A journal club needs a channel to vote in, not a direct message."


def test_a_channel_that_follows_nothing_gets_one_sentence_and_no_vote(lab: Workspace) -> None:
    assert lab.say("club 4").endswith("This channel follows nothing yet, so there are no papers to vote on.")
    assert "C1" not in lab.slack.state.messages


def test_a_club_asked_for_by_mention_is_the_same_vote_in_the_channel(papers: App, lab: Workspace) -> None:
    lab.replies("subscribe reinforcement-learning")
    body = event_body(mention("club 2 6"))
    headers = signed_headers(body, content_type="application/json")
    assert lab.bolt.dispatch(BoltRequest(body=body, headers=headers)).status == 200
    assert counts(lab.slack) == ["0 votes", "0 votes"]
    assert click(lab, "U2", "Vote 2") == "You voted for paper 2."
    with UnitOfWork(papers.engine) as uow:
        club = uow.clubs.get(1)
        assert club is not None and club.status == "open" and club.votes == {"U2": 1}
