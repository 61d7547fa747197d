"""Thumbs up and down on a delivered Slack post, sent as signed events through the real slack-bolt App."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.request import BoltRequest

from adapters.slack.app import SCOPES, build_slack_app
from adapters.slack.sender import SlackSender, make_client
from bot.app import App
from bot.domain import ChannelRef, Digest, Match, Paper
from bot.feedback.signals import labels
from storage.uow import UnitOfWork
from tests.slack_api import SlackAPI, event_body, signed_headers
from tests.slack_server import TOKEN
from tests.test_slack_app import RunAtOnce, app_holding, fresh_stand_in
from tests.test_slack_oauth import manifest_scopes

LAB = ChannelRef("slack", "T1", "C1")
ANA = ChannelRef.person("slack", "T1", "U7")
PAPERS = [Paper(f"World models <!channel> part {n}", "An agent learns.", f"2611.{n:05d}") for n in range(6)]
KEYS = [paper.key for paper in PAPERS]


@pytest.fixture
def slack() -> Iterator[SlackAPI]:
    yield from fresh_stand_in()


@pytest.fixture
def papers(tmp_path: Any, slack: SlackAPI) -> Iterator[App]:
    yield from app_holding(f"sqlite:///{tmp_path / 'papers.db'}", slack, PAPERS)


def deliver(papers: App, slack: SlackAPI, feed: ChannelRef, count: int, mark: str = "mark-1") -> list[str]:
    """A post recorded in the outbox, sent to the stand-in and confirmed, as a delivery pass does it."""
    digest = Digest(feed, tuple(Match(p, 1.0, ("world-models",)) for p in PAPERS[:count]), 0, f"{count} new papers")
    with UnitOfWork(papers.engine) as uow:
        delivery = uow.outbox.record(feed, mark, digest.title, [(k, 1.0, ()) for k in KEYS[:count]])
        uow.commit()
    client = make_client(TOKEN, slack.url)
    ids = SlackSender(lambda _team: client, backoff=0.01).send(feed, digest, mark)
    with UnitOfWork(papers.engine) as uow:
        uow.outbox.sent(delivery, ids, papers.service.clock())
        uow.commit()
    return ids


def react(
    papers: App,
    ts: str,
    emoji: str = "+1",
    user: str = "U7",
    added: bool = True,
    channel: str = "C1",
    author: str = "UBOT",
) -> None:
    event = {
        "type": "reaction_added" if added else "reaction_removed",
        "user": user,
        "reaction": emoji,
        "item_user": author,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": "1764.999999",
    }
    body = event_body(event)
    bolt = build_slack_app(papers, executor=RunAtOnce())
    response = bolt.dispatch(BoltRequest(body=body, headers=signed_headers(body, content_type="application/json")))
    assert response.status == 200


def votes(papers: App, feed: ChannelRef = LAB) -> dict[str, int]:
    with UnitOfWork(papers.engine) as uow:
        return uow.feedback.votes(str(feed))


def test_a_thumbs_up_on_a_thread_reply_likes_that_replys_papers_for_whoever_reacted(
    papers: App, slack: SlackAPI
) -> None:
    _, first, second = deliver(papers, slack, LAB, 6)  # a parent, then replies of four and two papers
    react(papers, second)
    assert votes(papers) == {KEYS[4]: 1, KEYS[5]: 1}
    react(papers, first, "thumbsup::skin-tone-2", user="U8")
    with UnitOfWork(papers.engine) as uow:
        assert uow.feedback.mine(str(LAB), KEYS[0], "U8") == {"like"}
        assert uow.feedback.mine(str(LAB), KEYS[0], "U7") == set()
        assert uow.feedback.signals([str(LAB)]) == {str(LAB): 6}  # what the channel's re-ranking counts
        assert {p.key for p in labels(uow, LAB).liked} == set(KEYS)


def test_a_thumbs_down_dislikes_and_removing_it_undoes_it(papers: App, slack: SlackAPI) -> None:
    _, _, second = deliver(papers, slack, LAB, 6)
    react(papers, second, "-1")
    assert votes(papers) == {KEYS[4]: -1, KEYS[5]: -1}
    react(papers, second, "-1", added=False)
    assert votes(papers) == {}


def test_a_single_message_post_and_the_same_reaction_twice_count_once(papers: App, slack: SlackAPI) -> None:
    [only] = deliver(papers, slack, LAB, 2)
    react(papers, only)
    react(papers, only)
    assert votes(papers) == {KEYS[0]: 1, KEYS[1]: 1}


def test_the_parent_someone_elses_message_and_other_emoji_count_for_nothing(papers: App, slack: SlackAPI) -> None:
    parent, first, _ = deliver(papers, slack, LAB, 6)
    react(papers, parent)  # the parent holds no papers
    react(papers, first, author="U5")  # a message by someone else (its ts is ours only by chance)
    react(papers, "1764.000001")  # a message of the bot that is not a post (a reply to a command)
    react(papers, first, "heart")
    react(papers, first, channel="C2")  # the same ts in another channel
    assert votes(papers) == {}


def test_a_thumbs_up_in_a_personal_feeds_direct_message_counts_for_that_feed(papers: App, slack: SlackAPI) -> None:
    _, first, _ = deliver(papers, slack, ANA, 6)
    react(papers, first, channel="DU7")
    assert votes(papers, ANA) == dict.fromkeys(KEYS[:4], 1)


def test_reaction_events_and_scope_are_in_the_manifest() -> None:
    manifest = (Path(__file__).parents[1] / "slack" / "manifest.yml").read_text()
    assert "- reaction_added" in manifest and "- reaction_removed" in manifest
    assert "reactions:read" in manifest_scopes() and "reactions:read" in SCOPES
