"""The chat grammar: what people type becomes one Command, or one clear sentence."""

from __future__ import annotations

import pytest

from bot.chat import commands as c
from bot.errors import BadCommand


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("/papers subscribe reinforcement-learning", c.Subscribe("reinforcement-learning")),
        ("subscribe  cat:cs.LG   min-upvotes=5", c.Subscribe("cat:cs.LG   min-upvotes=5")),
        ("/papers unsubscribe 2", c.Unsubscribe("2")),
        ("/papers list", c.ListSubscriptions()),
        ("/papers find go explor hard exploraton", c.Find("go explor hard exploraton")),
        ("/papers digest", c.PreviewDigest()),
        ("/papers schedule 08:30 Europe/Berlin weekdays", c.SetSchedule("08:30 Europe/Berlin weekdays")),
        ("/papers topics", c.BrowseTopics("")),
        ("/papers topics robo", c.BrowseTopics("robo")),
        ("/papers status", c.Status()),
        ("/papers help", c.Help("")),
        ("/papers help subscribe", c.Help("subscribe")),
        ("/PAPERS LIST", c.ListSubscriptions()),
        ("sub robotics", c.Subscribe("robotics")),
    ],
)
def test_what_people_type_becomes_a_command(typed: str, command: c.Command) -> None:
    assert c.parse_command(typed) == command


@pytest.mark.parametrize(
    ("typed", "sentence", "usage"),
    [
        ("/papers", "Tell me what to do", None),
        ("", "Tell me what to do", None),
        ("/papers frobnicate", "I don't know the command `frobnicate`.", None),
        ("/papers subscrbe rl", "Did you mean subscribe?", None),
        ("/papers subscribe", "`subscribe` needs a query", "subscribe"),
        ("/papers find", "`find` needs some text", "find"),
        ("/papers list everything", "`list` takes no arguments.", "list"),
        ("/papers find " + "x" * 5000, "the limit is 1,000", None),
        ("/papers find bad\x00byte", "control characters", None),
        ("/papers find right\u202eto-left", "control characters", None),
    ],
)
def test_bad_input_gets_one_sentence(typed: str, sentence: str, usage: str | None) -> None:
    with pytest.raises(BadCommand) as raised:
        c.parse_command(typed)
    assert sentence in raised.value.message
    assert raised.value.usage == usage


def test_every_command_has_a_usage_line() -> None:
    assert (
        c.usage_line("schedule")
        == "Usage: /papers schedule [HH:MM] [time zone] [daily|weekdays|weekly <day>|off] [for me]"
    )
    assert "subscribe" in c.usage_line(None)
