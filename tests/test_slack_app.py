"""/papers through the real slack-bolt App and WebClient, against the local Web API stand-in."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import slack_bolt
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from adapters.slack.app import build_slack_app
from adapters.slack.replies import render
from adapters.slack.translator import Permissions, typed_text
from bot.app import App, build_app
from bot.chat import replies as r
from bot.config import Settings
from bot.domain import ChannelRef, Digest, Found, Match, Paper, Schedule
from bot.feedback.paper_kinds import Kind
from bot.sources.ingest import merge_papers
from storage.uow import UnitOfWork
from tests.slack_api import SECRET, SlackAPI, signed_headers

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # the app's clock where a test gives it one

HOSTILE = "<!channel> Attention <https://x|click> & *bold* world-model agents"


def slack_settings(database_url: str, slack: SlackAPI, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "slack_bot_token": "xoxb-test",
        "slack_signing_secret": SECRET,
        "slack_api_url": slack.url,
        "discord_token": None,
    }
    return Settings(_env_file=None, **(values | extra))  # type: ignore[call-arg]


def slack_app(database_url: str, slack: SlackAPI, **extra: Any) -> Iterator[App]:
    """The real wiring on a fresh database, its Slack client pointed at the stand-in (for a fixture to yield from)."""
    app = build_app(slack_settings(database_url, slack, **extra))
    yield app
    app.engine.dispose()


def app_holding(database_url: str, slack: SlackAPI, papers: list[Paper]) -> Iterator[App]:
    """The real wiring on an empty database holding only `papers` (for a fixture to yield from)."""
    app = build_app(slack_settings(database_url, slack), seed=False)
    with UnitOfWork(app.engine) as uow:
        uow.papers.merge(papers)
        uow.commit()
    yield app
    app.engine.dispose()


def fresh_stand_in() -> Iterator[SlackAPI]:
    """A stand-in of its own for one test (for a fixture to yield from)."""
    with SlackAPI() as server:
        yield server


class RunAtOnce(Executor):
    """Runs bolt's lazy listeners inside `dispatch`, so that a test reads every reply right after it."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


@dataclass
class Workspace:
    """One Slack channel and the person typing in it; `say` returns everything they then read."""

    bolt: slack_bolt.App
    slack: SlackAPI
    team: str = "T1"
    channel: str = "C1"
    user: str = "U1"
    name: str = "ana"
    acks: list[BoltResponse] = field(default_factory=list)

    def command(self, text: str, user: str | None = None, trigger_id: str | None = None) -> BoltResponse:
        """A signed slash command; Slack gives each one a trigger_id of its own, a replay keeps it."""
        body = urlencode(
            {
                "token": "legacy",
                "team_id": self.team,
                "team_domain": "lab",
                "channel_id": self.channel,
                "channel_name": "papers",
                "user_id": user or self.user,
                "user_name": self.name,
                "command": "/papers",
                "text": text,
                "api_app_id": "A1",
                "trigger_id": trigger_id or uuid.uuid4().hex,
                "response_url": self.slack.response_url(f"{self.team}/{len(self.acks) + 1}"),
            }
        )
        response = self.bolt.dispatch(BoltRequest(body=body, headers=signed_headers(body)))
        self.acks.append(response)
        return response

    def replies(self, text: str, user: str | None = None, trigger_id: str | None = None) -> list[dict[str, Any]]:
        """The ack's message (if any) and every message posted to this command's response_url."""
        before = len(self.slack.state.responses)
        ack = self.command(text, user, trigger_id)
        assert ack.status == 200, ack.body
        messages = [json.loads(ack.body)] if ack.body else []
        return messages + self.slack.state.responses[before:]

    def say(self, text: str, user: str | None = None) -> str:
        return "\n".join(message_text(m) for m in self.replies(text, user))


def message_text(message: dict[str, Any]) -> str:
    """What a reader sees: the blocks' texts, or the plain `text` of a message without blocks."""
    parts = [] if message.get("blocks") else [message.get("text", "")]
    for block in message.get("blocks") or []:
        for holder in [block.get("text") or {}, *block.get("elements", []), *block.get("fields", [])]:
            shown = holder.get("text", "")
            parts.append(shown if isinstance(shown, str) else shown.get("text", ""))  # a button's label
    return "\n".join(parts)


@pytest.fixture(scope="module")
def slack_server() -> Iterator[SlackAPI]:
    with SlackAPI() as server:
        yield server


@pytest.fixture
def slack(slack_server: SlackAPI) -> SlackAPI:
    slack_server.reset()
    return slack_server


@pytest.fixture(scope="module")
def papers(tmp_path_factory: pytest.TempPathFactory, slack_server: SlackAPI) -> Iterator[App]:
    """One database with the bundled papers for the module; each test talks in a channel of its own."""
    app = build_app(slack_settings(f"sqlite:///{tmp_path_factory.mktemp('slack') / 'papers.db'}", slack_server))
    yield app
    app.engine.dispose()


def workspace_for(papers: App, slack: SlackAPI, permissions: Permissions | None = None) -> Workspace:
    bolt = build_slack_app(papers, permissions=permissions, executor=RunAtOnce())
    return Workspace(bolt, slack, channel="C" + uuid.uuid4().hex[:8].upper())


@pytest.fixture
def workspace(papers: App, slack: SlackAPI) -> Workspace:
    return workspace_for(papers, slack)


def test_help_is_answered_in_the_ack_and_only_the_asker_sees_it(workspace: Workspace) -> None:
    [help_message] = workspace.replies("help")
    assert help_message["response_type"] == "ephemeral"
    assert "/papers subscribe &lt;query&gt;" in message_text(help_message)
    assert workspace.slack.state.responses == []


def test_subscribing_is_announced_in_the_channel_with_a_dry_run(workspace: Workspace) -> None:
    [announcement] = workspace.replies("subscribe reinforcement-learning")
    assert announcement["response_type"] == "in_channel"
    assert announcement["text"].startswith("<@U1> subscribed this channel to `reinforcement-learning`")
    assert "papers a day" in message_text(announcement)
    assert "1. `reinforcement-learning`" in workspace.say("list")


def test_a_typo_gets_did_you_mean_and_the_usage_only_for_the_asker(workspace: Workspace) -> None:
    [problem] = workspace.replies("subscribe reinforcment-learning")
    assert problem["response_type"] == "ephemeral"
    assert "Did you mean reinforcement-learning" in problem["text"]
    assert "Usage: `/papers subscribe" in message_text(problem)


def test_find_acks_at_once_then_answers_with_the_right_paper_first(workspace: Workspace) -> None:
    looking, found = workspace.replies("find go explor hard exploraton")
    assert looking == {"text": "Looking…", "response_type": "ephemeral"}
    assert found["response_type"] == "ephemeral"
    papers = [b["text"]["text"] for b in found["blocks"][1:] if b["type"] == "section"]
    assert papers[0].startswith("*Go-Explore")


def test_unsubscribe_and_schedule_are_announced_too(workspace: Workspace) -> None:
    workspace.say("subscribe robotics")
    assert "<@U1> scheduled this channel's post on weekdays at 08:30 Europe/Berlin" in workspace.say(
        "schedule 08:30 Europe/Berlin weekdays"
    )
    [gone] = workspace.replies("unsubscribe 1")
    assert gone["response_type"] == "in_channel"
    assert gone["text"] == "<@U1> unsubscribed this channel from `robotics`."


def test_non_changing_commands_never_ask_slack_who_the_user_is(papers: App, slack: SlackAPI) -> None:
    workspace = workspace_for(papers, slack, Permissions("admins", []))
    for text in ("help", "list", "topics robotics", "status", "find attention", "digest"):
        workspace.say(text)
    assert slack.state.calls_to("users.info") == []


def test_only_admins_and_listed_people_may_change_when_the_setting_says_admins(papers: App, slack: SlackAPI) -> None:
    slack.state.admins.add("U3")
    workspace = workspace_for(papers, slack, Permissions("admins", ["U4", " U5"]))

    assert "Only workspace admins" in workspace.say("subscribe robotics", user="U2")
    assert "Only workspace admins" in workspace.say("schedule 10:00", user="U2")
    assert len(slack.state.calls_to("users.info")) == 1  # the answer is cached
    assert "<@U3> subscribed this channel to `robotics`" in workspace.say("subscribe robotics", user="U3")
    assert "<@U4> unsubscribed this channel from `robotics`" in workspace.say("unsubscribe robotics", user="U4")
    assert [call["user"] for call in slack.state.calls_to("users.info")] == ["U2", "U3"]


def test_a_hostile_title_is_harmless_text_in_every_answer(tmp_path: Path, slack: SlackAPI) -> None:
    settings = slack_settings(f"sqlite:///{tmp_path / 'papers.db'}", slack)
    papers = build_app(settings, clock=lambda: NOW)  # the bundled papers, and a paper new on the app's day
    workspace = workspace_for(papers, slack)
    merge_papers(
        papers.engine,
        [
            Paper(
                title=HOSTILE,
                abstract="We study <@U999> and <!here> in a world model for agents. " * 40,
                arxiv_id="2601.00001",
                authors=("<!everyone>", "Eve & Mallory"),
                upvotes=7,
                published_at=NOW,
                code_url="https://x|click>",
            )
        ],
    )
    payloads = [
        workspace.replies("find attention click world-model agents"),
        workspace.replies('subscribe "world-model agents"'),
        workspace.replies("digest"),
    ]
    raw = json.dumps(payloads)
    assert HOSTILE.split(" ", 1)[1][:20] in raw.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    for danger in ("<!channel>", "<!here>", "<!everyone>", "<@U999>", "<https://x|click>", "|click>"):
        assert danger not in raw
    assert "&lt;!channel&gt; Attention &lt;https://x|click&gt; &amp; *bold*" in raw
    papers.engine.dispose()


def test_what_slack_wraps_or_escapes_reaches_the_core_as_typed(workspace: Workspace) -> None:
    sent = "find <https://arxiv.org/abs/1706.03762|arxiv.org/abs/1706.03762> &amp; &lt;!channel&gt;"
    assert typed_text(sent) == "find https://arxiv.org/abs/1706.03762 & <!channel>"
    workspace.say("subscribe cat:cs.LG &amp; robotics")
    assert "`cat:cs.LG &amp; robotics`" in workspace.say("list")


def test_a_mention_answers_in_a_thread_through_chat_post_message(workspace: Workspace, slack: SlackAPI) -> None:
    body = json.dumps(
        {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": "Ev1",
            "event_time": int(NOW.timestamp()),
            "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
            "event": {
                "type": "app_mention",
                "user": "U1",
                "text": "<@UBOT> subscribe robotics",
                "ts": "1764.000100",
                "channel": workspace.channel,
                "event_ts": "1764.000100",
            },
        }
    )
    response = workspace.bolt.dispatch(
        BoltRequest(body=body, headers=signed_headers(body, content_type="application/json"))
    )
    assert response.status == 200
    [posted] = slack.state.calls_to("chat.postMessage")
    assert posted["channel"] == workspace.channel and posted["thread_ts"] == "1764.000100"
    assert posted["text"].startswith("<@U1> subscribed this channel to `robotics`")
    assert slack.state.token_for("chat.postMessage") == ["xoxb-test"]


# --- every reply type, rendered from hostile and oversized text ---------------------------------

NASTY = HOSTILE + " <@U999> <#C1> <!subteam^S1> &amp; &lt;"
HUGE = (NASTY + " ") * 200  # about 20,000 characters


def hostile_replies() -> list[r.Reply]:
    paper = Paper(
        title=HUGE,
        abstract=HUGE,
        arxiv_id="2601.00001",
        authors=(NASTY,) * 30,
        upvotes=3,
        code_url="https://x|y><!channel>",
        ai_summary=HUGE,
    )
    match = Match(paper, 1.0, (NASTY, HUGE))
    schedule = Schedule()
    when = datetime(2026, 1, 5, 9, tzinfo=UTC)
    return [
        r.Problem(HUGE, "Usage: /papers " + NASTY),
        r.HelpText(((NASTY, HUGE),) * 40),
        r.Subscribed(HUGE, HUGE, NASTY, 3.5, 7, (match,) * 3, HUGE),
        r.Unsubscribed((NASTY, HUGE) * 20, NASTY),
        r.SubscriptionList(((NASTY, HUGE),) * 25, schedule, HUGE, when),
        r.FindResults(HUGE, (Found(paper, 1.0, NASTY),) * 5, HUGE),
        r.DigestPreview(Digest(ChannelRef("slack", "T1", "C1"), (match,) * 60, more=5, title=HUGE)),
        r.ScheduleSet(schedule, NASTY, when),
        r.TopicList(NASTY, ((NASTY, HUGE, 2),) * 300, 300),
        r.StatusReport(
            (r.SourceState(NASTY, when, 3, HUGE),) * 3, (NASTY,) * 25, schedule, HUGE, when, when, 9, (HUGE,) * 20
        ),
        r.LookedUp((r.PaperCard(paper, (NASTY, HUGE)),) * 5, (NASTY,) * 3),
        r.ExportFile(NASTY, HUGE, 25),
        r.Imported(3, 2, schedule, ((1, HUGE),) * 200, NASTY),
        r.FeedbackNoted("like", paper, NASTY, True, 3),
        r.SavedList(((paper, when, NASTY),) * 40),
        r.Explained(paper, ((NASTY, (HUGE, NASTY)),) * 25),
        r.WarmUpKinds(tuple(Kind((NASTY, HUGE, NASTY), (match,) * 3, 9) for _ in range(10)), "1a2b3c4d"),
        r.KindsPicked(NASTY, ((NASTY, HUGE),) * 10, 30, 3),
    ]


@pytest.mark.parametrize("reply", hostile_replies(), ids=lambda reply: type(reply).__name__)
def test_every_reply_type_is_harmless_and_within_block_kit_limits(reply: r.Reply) -> None:
    message = render(reply, "U1")
    blocks = message["blocks"]
    assert 1 <= len(blocks) <= 50 and 0 < len(message["text"]) <= 3000
    texts = [message["text"]]
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
            texts.append(block["text"]["text"])
        elif block["type"] == "context":
            assert all(len(e["text"]) <= 2000 for e in block["elements"])
            texts += [e["text"] for e in block["elements"]]
        elif block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
    for text in texts:
        assert not re.search(r"<[!#]|<@(?!U1>)|\|click>|&(?![a-z]+;)|&[a-z]*…", text), text[:300]
        assert text.count("<") == text.count(">")  # only our own links and the actor's mention remain
