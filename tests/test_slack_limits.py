"""Every Slack message within Slack's limits: long answers are paged, never refused for their size."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_bolt.request import BoltRequest

from adapters.slack.limits import MAX_BLOCK_CHARS, fitted, pages, problems, size
from bot.app import App
from bot.domain import Paper
from bot.sources.ingest import merge_papers
from tests.slack_api import SlackAPI, event_body, mention, signed_headers
from tests.slack_server import blocks_problem
from tests.test_slack_app import Workspace, message_text, papers, slack, slack_server, workspace_for  # noqa: F401  (the same fixtures)


def wordy(n: int) -> Paper:
    """A paper whose every field is as long as Slack's rendering lets it be."""
    long = "https://github.com/" + "a-very-long-organisation-name/" * 9 + f"project-{n}"
    return Paper(
        title=f"Reinforcement learning for {'very ' * 40}long horizons, part {n}",
        abstract="Agents learn. " * 200,
        arxiv_id=f"2611.{90000 + n}",
        authors=tuple(f"Author {'Longname-' * 6}{i}" for i in range(8)),
        upvotes=n,
        code_url=long,
        project_url=long,
        on_hf=True,
        published_at=datetime.now(UTC),
        ai_summary="A summary that goes on. " * 30,
    )


@pytest.fixture
def lab(papers: App, slack: SlackAPI) -> Workspace:
    merge_papers(papers.engine, [wordy(n) for n in range(25)])
    lab = workspace_for(papers, slack)
    lab.say('subscribe "reinforcement learning for very"')  # the 25 wordy papers
    return lab


def test_a_mention_asking_for_the_digest_is_answered_in_pages_slack_accepts(lab: Workspace, slack: SlackAPI) -> None:
    body = event_body(mention("digest", channel=lab.channel))
    assert (
        lab.bolt.dispatch(BoltRequest(body=body, headers=signed_headers(body, content_type="application/json"))).status
        == 200
    )
    sent = slack.state.calls_to("chat.postEphemeral")
    assert len(sent) >= 2
    for params in sent:
        blocks = json.loads(params["blocks"]) if isinstance(params["blocks"], str) else params["blocks"]
        assert blocks_problem(blocks) is None and size(blocks) <= MAX_BLOCK_CHARS
    shown = "\n".join(
        message_text({"blocks": json.loads(p["blocks"]) if isinstance(p["blocks"], str) else p["blocks"]}) for p in sent
    )
    assert shown.count("_why:") >= 10  # the preview's first ten papers (a line per subscription that found each)
    assert "Papers 1–10 of" in shown and "Next 10 ▶" in shown


def test_the_digest_preview_command_arrives_whole_through_the_response_url(lab: Workspace, slack: SlackAPI) -> None:
    replies = lab.replies("digest")
    assert replies[0]["text"] == "Looking…" and len(replies) >= 3
    assert slack.state.refused == []
    assert sum(message_text(r).count("_why:") for r in replies) >= 10  # the first page; the rest by its buttons


def test_a_long_list_is_answered_in_the_ack_and_continued_through_the_response_url(
    papers: App, slack: SlackAPI
) -> None:
    lab = workspace_for(papers, slack)
    for n in range(25):  # as long as queries may be, from several people (each may send 20 commands a minute)
        query = " OR ".join(f'"reinforcement learning variant {n} {k}"' for k in range(7))
        assert "subscribed" in lab.say(f"subscribe {query}", user=f"U{n}")
    ack, *more = lab.replies("list")
    assert more and slack.state.refused == [] and not problems(ack)
    assert (
        "".join(message_text(m) for m in [ack, *more]).count("reinforcement learning variant") == 25 * 7 * 2
    )  # each query and how it was understood


BLOCK = st.one_of(
    st.builds(lambda t: {"type": "section", "text": {"type": "mrkdwn", "text": t}}, st.text(min_size=1, max_size=4000)),
    st.builds(
        lambda t: {"type": "context", "elements": [{"type": "mrkdwn", "text": t}]}, st.text(min_size=1, max_size=2500)
    ),
    st.just({"type": "divider"}),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(BLOCK, max_size=120), st.integers(1, 5))
def test_pages_fit_every_limit_and_keep_the_blocks_in_order(blocks: list[dict[str, object]], max_pages: int) -> None:
    cut = pages({"text": "t", "blocks": blocks, "response_type": "ephemeral"}, max_pages)
    assert 1 <= len(cut) <= max_pages
    assert all(problems(page) == [] and page["response_type"] == "ephemeral" for page in cut)
    kept = [b["type"] for page in cut for b in page["blocks"]]
    if len(kept) > len(blocks):  # the last page says what it left out
        assert kept[-1] == "context" and "more not shown" in json.dumps(cut[-1]["blocks"][-1])
        kept = kept[:-1]
    assert kept == [b["type"] for b in blocks][: len(kept)]
    assert fitted({"blocks": blocks}) == pages({"blocks": blocks}, 1)[0]
