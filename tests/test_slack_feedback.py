"""The feedback buttons under each paper of a Slack post, clicked through the real slack-bolt App."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.request import BoltRequest

from adapters.slack import replies as slack_replies
from adapters.slack.app import build_slack_app
from adapters.slack.render import render_part
from bot.app import App
from bot.chat.limits import CommandRate
from bot.chat.replies import Problem
from bot.delivery.senders import parts
from bot.domain import Actor, ChannelRef, Digest, Match, Paper
from storage.uow import UnitOfWork
from tests.slack_api import SlackAPI, signed_headers
from tests.test_slack_app import RunAtOnce, app_holding, fresh_stand_in, message_text

PAPER = Paper("World Models <!channel> for Agents", "An agent learns a model of its world.", "2605.00042")


@pytest.fixture
def slack() -> Iterator[SlackAPI]:
    yield from fresh_stand_in()


@pytest.fixture
def papers(tmp_path: Any, slack: SlackAPI) -> Iterator[App]:
    yield from app_holding(f"sqlite:///{tmp_path / 'papers.db'}", slack, [PAPER])


def click(
    papers: App, slack: SlackAPI, button: dict[str, Any], user: str = "U7", state: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """A signed block_actions payload as Slack sends it for a click in channel C1; returns what the clicker read."""
    payload = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "lab"},
        "user": {"id": user, "username": "ana", "team_id": "T1"},
        "api_app_id": "A1",
        "channel": {"id": "C1", "name": "papers"},
        "container": {"type": "message", "message_ts": "1.1", "channel_id": "C1"},
        "trigger_id": uuid.uuid4().hex,
        "response_url": slack.response_url(uuid.uuid4().hex[:6]),
        "actions": [{**button, "block_id": "papers_feedback:x", "type": "button", "action_ts": "1.2"}],
    }
    if state is not None:
        payload["state"] = {"values": state}  # what the message's inputs hold (ticked checkboxes)
    body = urlencode({"payload": json.dumps(payload)})
    bolt = build_slack_app(papers, executor=RunAtOnce())
    before = len(slack.state.responses)
    response = bolt.dispatch(BoltRequest(body=body, headers=signed_headers(body)))
    assert response.status == 200
    return slack.state.responses[before:]


def buttons_of_the_post() -> list[dict[str, Any]]:
    digest = Digest(ChannelRef("slack", "T1", "C1"), (Match(PAPER, 1.0, ("world-models",)),), title="1 new paper")
    _, blocks = render_part(digest, parts(digest)[0])
    return [button for block in blocks if block["type"] == "actions" for button in block["elements"]]


def test_each_paper_of_a_post_has_more_less_and_save(papers: App, slack: SlackAPI) -> None:
    assert [(b["action_id"], b["value"]) for b in buttons_of_the_post()] == [
        ("papers_like", "2605.00042"),
        ("papers_dislike", "2605.00042"),
        ("papers_save", "2605.00042"),
    ]


def test_a_click_is_feedback_from_whoever_clicked_answered_to_them_alone(papers: App, slack: SlackAPI) -> None:
    like, dislike, save = buttons_of_the_post()
    [answer] = click(papers, slack, like)
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    text = message_text(answer)
    assert text.startswith("Noted: more papers like *World Models &lt;!channel&gt; for Agents*")
    assert "You had already liked" in message_text(click(papers, slack, like)[0])
    click(papers, slack, dislike, user="U8")
    click(papers, slack, save, user="U8")
    with UnitOfWork(papers.engine) as uow:
        assert uow.feedback.votes("slack:T1:C1") == {"2605.00042": 0}
        assert [(key, who) for key, _, who in uow.feedback.saved("slack:T1:C1")] == [("2605.00042", "U8")]


def test_a_button_naming_an_unknown_paper_gets_one_sentence(papers: App, slack: SlackAPI) -> None:
    [answer] = click(papers, slack, {"action_id": "papers_save", "value": "2609.99999"})
    assert "I have no paper `2609.99999`" in message_text(answer)


def test_clicks_share_the_command_rate_with_typed_commands(papers: App, slack: SlackAPI) -> None:
    papers.service.rate = CommandRate(per_minute=3, clock=lambda: 0.0)  # one minute that never ends
    flood = "That is more than 3 commands in a minute; please wait a moment."
    like, dislike, save = buttons_of_the_post()
    assert "Noted" in message_text(click(papers, slack, like)[0])
    assert "Saved" in message_text(click(papers, slack, save)[0])
    typed = papers.service.answer(ChannelRef("slack", "T1", "C1"), Actor("U7", "ana"), "/papers list")
    assert not isinstance(typed, Problem)  # the third of the minute

    assert flood in message_text(click(papers, slack, dislike)[0])  # the fourth, a click: refused, not acted on
    with UnitOfWork(papers.engine) as uow:
        assert uow.feedback.votes("slack:T1:C1") == {"2605.00042": 1}
    assert "Noted" in message_text(click(papers, slack, dislike, user="U8")[0])  # each person their own minute


def test_the_first_subscriptions_button_shows_the_warmup_to_whoever_clicked(papers: App, slack: SlackAPI) -> None:
    subscribed = papers.service.answer(
        ChannelRef("slack", "T1", "C1"), Actor("U7", "ana", True), "subscribe world-models"
    )
    [*_, offer] = slack_replies.render(subscribed, "U7")["blocks"]
    [answer] = click(papers, slack, offer["elements"][0])
    assert answer["replace_original"] is False
    # The warm-up of channel C1, which follows world-models (and holds no new paper): not "follows nothing yet".
    assert message_text(answer) == "No new paper matches this channel's subscriptions to learn from yet."


def test_the_warmups_done_picks_the_kinds_ticked(papers: App, slack: SlackAPI) -> None:
    """Ticking kinds sends nothing; Done sends `/papers warmup pick` with them and the offer's name."""
    channel, actor = ChannelRef("slack", "T1", "C1"), Actor("U7", "ana", True)
    papers.service.answer(channel, actor, "subscribe world-models")
    done = {"action_id": "papers_kinds_done", "value": "0badc0de", "text": {"type": "plain_text", "text": "Done"}}
    ticked = {"papers_kinds": {"papers_kinds_pick": {"type": "checkboxes", "selected_options": [{"value": "2"}]}}}
    [answer] = click(papers, slack, done, state=ticked)
    # C1's recent papers changed since that offer (there was none): the pick is refused, not applied to others.
    assert message_text(answer).startswith(":warning: Those kinds were answered or have changed since")
    with UnitOfWork(papers.engine) as uow:
        assert uow.feedback.votes("slack:T1:C1") == {}
