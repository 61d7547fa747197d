"""Find over any Unicode at all, on SQLite: what is typed reaches FTS5 as words it tokenises alike, never as an error.

3,000 queries from a seeded generator: real title words glued to characters from every plane
(letters Python and SQLite disagree about among them), FTS5 syntax, controls and lone surrogates.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.app import App, build_app
from bot.config import Settings
from storage.search import _FTS5, abstract_candidates
from storage.uow import UnitOfWork

PAPERS_BOT = Path(sys.executable).parent / "papers-bot"
QUERIES = 3_000
# Letters to Python, separators to SQLite's unicode61 (Unicode 6.1 tables): U+19B0..U+19C0 and U+19C8, U+19C9
# (New Tai Lue vowels, Mc until Unicode 8), U+0D4E, U+A9E0.. (later additions), and the like.
DISAGREED = "\u19b0\u19b5\u19c8\u0d4e\ua9e5\U00011000\U0001e900"
SYNTAX = ['"', "*", "(", ")", "NEAR(", "AND", "OR", "NOT", ":", "^", "-", "+", "'", "\\", "{", "}", "\x00", "\ud800"]
WORDS = [
    "exploration",
    "learning",
    "model",
    "graph",
    "neural",
    "hard",
    "go",
    "explore",
    "diffusion",
    "agents",
    "attention",
    "language",
]


def queries(count: int, seed: int = 21) -> Iterator[str]:
    rng = random.Random(seed)
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 6)):
            roll = rng.random()
            if roll < 0.3:
                parts.append(rng.choice(WORDS) + rng.choice(DISAGREED) + rng.choice(WORDS))
            elif roll < 0.55:
                parts.append("".join(chr(rng.randrange(0x20, 0x110000)) for _ in range(rng.randint(1, 8))))
            elif roll < 0.7:
                parts.append(rng.choice(SYNTAX))
            else:
                parts.append(rng.choice(WORDS) + (rng.choice(DISAGREED) if rng.random() < 0.3 else ""))
        yield rng.choice([" ", "", "\t"]).join(parts)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    path = tmp_path_factory.mktemp("unicode") / "papers.db"
    app = build_app(
        Settings(_env_file=None, database_url=f"sqlite:///{path}", slack_bot_token=None, discord_token=None)
    )
    yield app
    app.engine.dispose()


def test_a_letter_sqlite_splits_is_split_before_it_reaches_fts5(seeded: App) -> None:
    assert _FTS5.split("learn\u19b0model") == ["learn", "model"]
    assert _FTS5.split("lähner") == ["lähner"] and _FTS5.split("日本語") == ["日本語"]
    with UnitOfWork(seeded.engine) as uow:
        found = abstract_candidates(uow.session, [["reinforcement\u19b0learning"], ["\u19b0\u19b0"]], 5)
        assert found == abstract_candidates(uow.session, [["reinforcement"], ["learning"]], 5) != []


@pytest.mark.slow  # about 10 s: a search costs 3-4 ms whatever it is given
def test_three_thousand_random_unicode_queries_never_fail(seeded: App) -> None:
    failures = []
    for query in queries(QUERIES):
        try:
            found = seeded.finder.find(query)
        except Exception as error:  # noqa: BLE001 (every failure is collected and shown)
            failures.append((query, repr(error)[:200]))
            continue
        assert all(0 <= f.score <= 100 for f in found)
    assert failures == []


def test_find_stdin_answers_every_line_even_one_that_fails(seeded: App, tmp_path: Path) -> None:
    """A broken index fails the lines that need it; each becomes an error object, and the lines after still answer."""
    lines = [
        b"go explor hard exploraton",
        "learn\u19b0model zzqx".encode(),
        b"not utf-8 \xff\xfe go explore",
        b"sequence transduction recurrent",
        b"go explor hard exploraton",
    ]
    url = seeded.settings.database_url

    def run() -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(  # by title: its abstracts' step is what the broken index fails
            [str(PAPERS_BOT), "find", "--stdin", "--json", "--mode", "title"],
            input=b"\n".join(lines) + b"\n",
            capture_output=True,
            env={"DATABASE_URL": url, "PATH": ""},
            timeout=120,
        )

    whole = run()
    assert whole.returncode == 0, whole.stderr[-2000:]
    answers = [json.loads(line) for line in whole.stdout.splitlines()]
    assert len(answers) == len(lines) and all(isinstance(a, list) for a in answers)
    assert answers[0][0]["title"].startswith("Go-Explore")

    with seeded.engine.begin() as connection:  # the abstracts' index is gone: the lines that reach it fail
        connection.execute(text("DROP TABLE paper_fts_abstract"))
    broken = run()
    answers = [json.loads(line) for line in broken.stdout.splitlines()]
    assert len(answers) == len(lines), broken.stderr[-2000:]
    assert answers[0][0]["title"].startswith("Go-Explore")  # found by its title, no abstract needed
    assert answers[1] == {"error": answers[1]["error"]} and answers[1]["error"].startswith("Something went wrong")
    assert b"find failed" in broken.stderr and broken.returncode == 0
    assert answers[-1] == answers[0]  # the lines after a failed one are answered as before
