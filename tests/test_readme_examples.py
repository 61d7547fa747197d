"""The README says what the bot does: its terminal session is what the commands print, its counts are the data's."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.config import Settings
from bot.domain import Actor
from bot.sources.ingest import SEED
from tests.chat import Chat

README = Path(__file__).resolve().parents[1] / "README.md"
# A digest's headline names the day it is shown: the README's is the day it was run.
DAY = re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2}\b")
MORE = "..."  # the README leaves the rest of a reply out


def session() -> list[tuple[str, list[str]]]:
    """The README's terminal session: each command typed at `lab>` and the lines shown under it."""
    block = README.read_text(encoding="utf-8").split("A session in the terminal channel:\n\n", 1)[1]
    turns: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line and not line.startswith("    "):
            break
        if line.startswith("    lab> "):
            turns.append((line.removeprefix("    lab> "), []))
        elif turns:
            turns[-1][1].append(line.removeprefix("    "))
    return turns


@pytest.fixture
def first_run(tmp_path: Path) -> Iterator[App]:
    app = build_app(Settings(_env_file=None, database_url=f"sqlite:///{tmp_path / 'papers.db'}"))  # type: ignore[call-arg]
    yield app
    app.engine.dispose()


def test_the_terminal_session_is_what_a_fresh_start_answers(first_run: App) -> None:
    chat = Chat(first_run, actor=Actor("terminal", "you"))  # as adapters/terminal/channel.py types
    turns = session()
    assert [command for command, _ in turns][:3] == [
        "subscribe reinforcment-learning",
        "subscribe reinforcement-learning",
        "digest",
    ]
    for command, shown in turns:
        while shown and not shown[-1]:
            shown.pop()
        answer = DAY.sub("DAY", chat.say(command)).splitlines()
        cut = shown.index(MORE) if MORE in shown else None
        expected = [DAY.sub("DAY", line) for line in shown[:cut]]
        assert (answer[: len(expected)] if cut is not None else answer) == expected, command


def test_the_readme_counts_the_bundled_papers_and_those_without_links() -> None:
    records = [json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines()]
    linked = [r for r in records if "id" in r]
    text = " ".join(README.read_text(encoding="utf-8").split())
    assert f"starts with {len(records)} bundled papers" in text
    assert f"the {len(linked)} papers of five days" in text
    assert f"the other {len(records) - len(linked)} have no arXiv id" in text
    assert all(r.get("on_hf") and r.get("published_at") and r.get("authors") for r in linked)


def test_the_readme_names_the_python_the_package_requires() -> None:
    required = tomllib.loads((README.parent / "pyproject.toml").read_text())["project"]["requires-python"]
    assert required.startswith(">=")
    text = " ".join(README.read_text(encoding="utf-8").split())
    assert f"It needs Python {required.removeprefix('>=')} or newer" in text
