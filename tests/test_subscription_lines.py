"""Subscriptions in and out as JSON Lines: export, import checked as chat checks, idempotent, numbered refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from bot.chat.transfer import export_lines, import_lines
from bot.domain import ChannelRef
from bot.relevance.topics import default_taxonomy
from storage.engine import make_engine
from storage.migrations import ensure_schema
from storage.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[1]
LINES = [
    '{"channel": "slack:T1:C1", "query": "reinforcement-learning -survey", "schedule": "09:00 Europe/Berlin weekdays"}',
    '{"channel": "slack:T1:C1", "query": "author:\\"Sergey Levine\\""}',
    '{"channel": "discord:G1:C9", "query": "cat:cs.CL OR \\"machine translation\\"", "schedule": "07:30 UTC weekly friday"}',
]


def imported(engine: Engine, lines: list[str]) -> list[str]:
    report = import_lines(engine, default_taxonomy(), lines)
    assert not report.refused, report.refused
    return list(export_lines(engine))


def test_what_is_exported_imports_into_another_deployment_unchanged(engine: Engine, tmp_path: Path) -> None:
    exported = imported(engine, LINES)
    assert [json.loads(line) for line in exported] == [
        {
            "channel": "discord:G1:C9",
            "query": 'cat:cs.CL OR "machine translation"',
            "schedule": "07:30 UTC weekly friday",
        },
        {
            "channel": "slack:T1:C1",
            "query": "reinforcement-learning -survey",
            "schedule": "09:00 Europe/Berlin weekdays",
        },
        {"channel": "slack:T1:C1", "query": 'author:"Sergey Levine"', "schedule": "09:00 Europe/Berlin weekdays"},
    ]
    elsewhere = make_engine(f"sqlite:///{tmp_path / 'elsewhere.db'}")
    ensure_schema(elsewhere)
    assert imported(elsewhere, exported) == exported


def test_importing_the_same_lines_again_changes_nothing(engine: Engine) -> None:
    imported(engine, LINES)
    again = import_lines(engine, default_taxonomy(), LINES)
    assert (again.added, again.already, again.schedules, again.refused) == (0, 3, 0, [])


def test_a_bad_line_is_refused_with_its_number_and_the_rest_goes_in(engine: Engine) -> None:
    lines = [
        LINES[0],
        "not json at all",
        '{"channel": "slack:T1:C2", "query": "reinforcment-learning"}',
        '{"channel": "irc:#papers", "query": "robotics"}',
        '{"channel": "slack:T1:C3", "query": "robotics", "schedule": "9am Mars/Olympus"}',
        '["slack:T1:C4", "robotics"]',
        '{"channel": "slack:T1:C5"}',
        LINES[2],
    ]
    report = import_lines(engine, default_taxonomy(), lines)

    assert report.added == 2
    assert [number for number, _ in report.refused] == [2, 3, 4, 5, 6, 7]
    reasons = dict(report.refused)
    assert reasons[3] == "I don't know the topic `reinforcment-learning`. Did you mean reinforcement-learning?"
    assert "is not a channel" in reasons[4] and "not a time zone I know" in reasons[5]
    assert reasons[2] == "This line is not JSON; write one object a line."


def test_a_channel_never_gets_more_than_25_subscriptions(engine: Engine) -> None:
    topics = [t.slug for t in default_taxonomy()][:30]
    report = import_lines(
        engine, default_taxonomy(), [json.dumps({"channel": "slack:T1:C1", "query": t}) for t in topics]
    )

    assert report.added == 25 and [n for n, _ in report.refused] == list(range(26, 31))
    assert report.refused[0][1] == "slack:T1:C1 already has 25 subscriptions, the most a channel can have."
    with UnitOfWork(engine) as uow:
        assert uow.subscriptions.count(ChannelRef("slack", "T1", "C1")) == 25


def test_the_command_line_exports_and_imports_and_says_which_lines_it_refused(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'papers.db'}",
        "SLACK_BOT_TOKEN": "",
        "DISCORD_TOKEN": "",
    }
    source = tmp_path / "subscriptions.jsonl"
    source.write_text("\n".join([*LINES, "{oops"]) + "\n")

    def papers_bot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "adapters.cli", *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    loaded = papers_bot("subscriptions", "import", str(source))
    assert loaded.returncode == 1
    assert "line 4: This line is not JSON; write one object a line." in loaded.stderr
    assert "3 added, 0 already there" in loaded.stderr
    exported = papers_bot("subscriptions", "export", "slack:T1:C1")
    assert exported.returncode == 0
    assert [json.loads(line)["query"] for line in exported.stdout.splitlines()] == [
        "reinforcement-learning -survey",
        'author:"Sergey Levine"',
    ]
    assert papers_bot("subscriptions", "import", str(tmp_path / "missing.jsonl")).returncode == 2

    source.write_text("\n".join([LINES[0], "[" * 100_000, LINES[2]]) + "\n")  # deeper than Python recurses
    nested = papers_bot("subscriptions", "import", str(source))
    assert nested.returncode == 1 and "Traceback" not in nested.stderr
    assert "line 2: This line is not JSON; write one object a line." in nested.stderr
    assert "0 added, 2 already there" in nested.stderr
