"""status in the channel's clock, topics as a tree, help with examples, and a terminal that never throttles its owner."""

from __future__ import annotations

import pytest

from adapters.terminal.channel import chat as terminal_chat
from bot.chat import replies as r
from bot.chat.commands import parse_command
from bot.chat.help_text import EXAMPLES, USAGE
from tests.chat import Chat


def test_status_shows_times_in_the_channels_time_zone_and_says_where_papers_came_from(chat: Chat) -> None:
    chat.say("/papers schedule 09:00 Europe/Berlin")
    chat.say("/papers subscribe robotics")
    answer = chat.say("/papers status")
    assert "Sources: none fetched yet; the papers came from files or the bundled set." in answer
    assert "09:00 Europe/Berlin." in answer  # the zone as the channel set it, not an abbreviation
    assert " UTC" not in answer.replace("Europe/Berlin", "")


def test_topics_lists_the_areas_and_a_prefix_shows_its_tree(chat: Chat) -> None:
    areas = chat.say("/papers topics").splitlines()
    assert "machine-learning  Machine learning (" in "\n".join(areas) and not any(a.startswith(" ") for a in areas)
    assert len(areas) < 40
    tree = chat.say("/papers topics reinforcement").splitlines()
    assert tree[0] == "reinforcement-learning  Reinforcement learning"
    assert all(line.startswith("  ") for line in tree[1:-1])  # everything else sits under it
    assert "  offline-reinforcement-learning  Offline reinforcement learning" in tree


@pytest.mark.parametrize("command", sorted(USAGE))
def test_help_for_a_command_shows_examples_that_parse(chat: Chat, command: str) -> None:
    answer = chat.say(f"/papers help {command}")
    assert "For example:" in answer
    for example in EXAMPLES[command]:
        assert f"  {example}" in answer
        parsed = parse_command(example)
        assert command in (parsed.name, getattr(parsed, "kind", None))  # like, dislike, save, forget: one Feedback


def test_every_subscribe_example_is_a_query_the_bot_takes(chat: Chat) -> None:
    for example in EXAMPLES["subscribe"]:
        assert isinstance(chat.reply(example), r.Subscribed), example


class ScriptedConsole:
    """A console that types the given lines, then ends the input; it records what it was shown."""

    def __init__(self, lines: list[str]) -> None:
        self.lines, self.shown = list(lines), []

    def input(self, prompt: str) -> str:
        if not self.lines:
            raise EOFError
        return self.lines.pop(0)

    def print(self, *things: object) -> None:
        self.shown.append(" ".join(str(t) for t in things))


def test_the_terminal_channel_never_rate_limits_its_only_user(chat: Chat) -> None:
    console = ScriptedConsole(["list"] * 30)
    terminal_chat(chat.app.service, chat.channel, console)  # type: ignore[arg-type]
    assert not any("commands in a minute" in shown for shown in console.shown)
    assert sum("no subscriptions" in shown for shown in console.shown) == 30


def test_topics_reads_a_prefix_of_slugs_and_aliases_as_whole_words(chat: Chat) -> None:
    rl = chat.say("/papers topics rl").splitlines()
    assert rl[0] == "reinforcement-learning  Reinforcement learning"  # its acronym
    assert not any(slug in line for line in rl for slug in ("distributed-systems", "time-series", "world-models"))
    assert "  rlhf  Reinforcement learning from human feedback" in rl
    assert any(line.startswith("speech-and-audio  ") for line in chat.say("/papers topics speech").splitlines())
