"""Whatever anyone types, through the real service on SQLite: every answer a reply, refusals one short
sentence, each rendered for the terminal, Slack and Discord within the platform's limits, mentions inert."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.discord import render as discord_render
from adapters.discord import replies as discord_replies
from adapters.slack import replies as slack_replies
from adapters.terminal import render as terminal_render
from bot.app import App, build_app
from bot.chat import commands as c
from bot.chat import replies as r
from bot.chat.limits import CommandRate
from bot.config import Settings
from bot.domain import Actor, ChannelRef
from tests.test_hostile_input import (
    BIDI_OR_CONTROL,
    DISCORD_MENTION,
    SLACK_MENTION,
    SLACK_OWN,
    assert_one_sentence,
    command_text,
    query_text,
)

# Refusals that once quoted a whole token, or a whole multi-line argument, of what was typed.
ONCE_LONG_ECHOES = [
    "/papers subscribe " + "x-" * 140 + "y",
    "/papers subscribe cat:" + "1" * 290,
    "/papers subscribe " + "z" * 296 + '"a"',
    "/papers schedule " + "z" * 980,
    "/papers schedule 09:00 " + "Q" * 900,
    "/papers unsubscribe ))) AND NOT (((\n))) AND NOT (((",
    "/papers topics no\nsuch",
    "/papers help no\nsuch",
]


@pytest.fixture(scope="module")
def service_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """One app for the module (SQLite, bundled papers): the examples share it, as a busy channel would."""
    path = tmp_path_factory.mktemp("hostile") / "papers.db"
    app = build_app(
        Settings(_env_file=None, database_url=f"sqlite:///{path}", slack_bot_token=None, discord_token=None)
    )
    app.service.rate = CommandRate(per_minute=10**9)  # the flood limit has tests of its own (test_limits.py)
    yield app
    app.engine.dispose()


@pytest.mark.parametrize("typed", ONCE_LONG_ECHOES)
def test_a_refusal_quotes_only_a_short_piece_of_what_was_typed(service_app: App, typed: str) -> None:
    reply = service_app.service.answer(ChannelRef("terminal", "local", "echoes"), Actor("U1", "ana"), typed)
    assert isinstance(reply, r.Problem)
    assert_one_sentence(reply.message)


# --- the service on a real database, every reply rendered for every platform ---------------------


CHANNELS = [ChannelRef("terminal", "local", "lab"), ChannelRef("slack", "T1", "C1"), ChannelRef("discord", "1", "2")]
ACTORS = [Actor("U1", "ana"), Actor("U2", "<!channel> @everyone", is_admin=False), Actor("U3", "\u202eeve")]
REAL_COMMANDS = [f"/papers {word} " for word in c.USAGE] + [
    "/papers subscribe reinforcement-learning",
    "/papers unsubscribe all",
    "/papers find ",
]
service_text = st.one_of(
    command_text, st.builds(lambda head, rest: head + rest, st.sampled_from(REAL_COMMANDS), query_text)
)


def slack_within_limits(message: dict[str, Any]) -> list[str]:
    blocks = message["blocks"]
    assert 1 <= len(blocks) <= 50 and 0 < len(message["text"]) <= 40_000
    texts = [message["text"]]
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3_000
            texts.append(block["text"]["text"])
        elif block["type"] == "context":
            assert len(block["elements"]) <= 10 and all(len(e["text"]) <= 2_000 for e in block["elements"])
            texts += [e["text"] for e in block["elements"]]
        elif block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
            texts.append(block["text"]["text"])
    return texts


def discord_within_limits(message: discord_render.Message) -> list[str]:
    assert len(message.content) <= 2_000 and len(message.embeds) <= 10
    assert sum(len(embed) for embed in message.embeds) <= 6_000
    texts = [message.content]
    for embed in message.embeds:
        data = embed.to_dict()
        title, description = data.get("title", ""), data.get("description", "")
        footer, author = (data.get("footer") or {}).get("text", ""), (data.get("author") or {}).get("name", "")
        assert len(title) <= 256 and len(description) <= 4_096 and len(footer) <= 2_048 and len(author) <= 256
        assert len(data.get("fields", [])) <= 25
        assert all(len(f["name"]) <= 256 and len(f["value"]) <= 1_024 for f in data.get("fields", []))
        texts += [title, description, footer, author] + [f["name"] + f["value"] for f in data.get("fields", [])]
    assert message.kwargs()["allowed_mentions"].to_dict() == {"parse": []}
    return texts


@settings(
    max_examples=2_000,
    deadline=None,
    derandomize=False,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(channel=st.sampled_from(CHANNELS), actor=st.sampled_from(ACTORS), text=service_text)
def test_every_answer_is_a_reply_that_fits_every_platform(
    service_app: App, channel: ChannelRef, actor: Actor, text: str
) -> None:
    reply = service_app.service.answer(channel, actor, text)
    assert isinstance(
        reply,
        r.Problem
        | r.HelpText
        | r.Subscribed
        | r.Unsubscribed
        | r.SubscriptionList
        | r.FindResults
        | r.DigestPreview
        | r.ScheduleSet
        | r.TopicList
        | r.StatusReport
        | r.ExportFile
        | r.Imported
        | r.FeedbackNoted
        | r.SavedList
        | r.Explained
        | r.TasteShown
        | r.TasteReset
        | r.RankingSet
        | r.WarmUpKinds
        | r.KindsPicked
        | r.ClubBallot,
    )
    if isinstance(reply, r.Problem):
        assert "Something went wrong" not in reply.message, text  # an internal error, not a refusal
        assert_one_sentence(reply.message)
    assert isinstance(terminal_render.render(reply), str)
    for out in slack_within_limits(slack_replies.render(reply, actor.id)):
        assert not BIDI_OR_CONTROL.search(out) and not SLACK_MENTION.search(SLACK_OWN.sub("", out)), repr(out[:200])
    for page in (0, 1):
        for out in discord_within_limits(discord_replies.render(reply, page)):
            assert not BIDI_OR_CONTROL.search(out) and not DISCORD_MENTION.search(out), repr(out[:200])
