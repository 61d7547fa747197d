"""Ingest under hostile input: whatever and wherever the bad lines, every good paper goes in and every bad line is told.

The file is 20,000 papers made from the saved corpus lines (new ids, varied titles and
abstracts), with each hostile line of issue 21 at a random position.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from bot.app import App
from bot.domain import Paper
from bot.sources.ingest import SEED, IngestSummary, ingest_files
from bot.sources.limits import MAX_TEXT, MAX_TITLE
from storage.uow import UnitOfWork

SOURCES = Path(__file__).parent / "data" / "sources"
CORPUS = [json.loads(line) for line in (SOURCES / "corpus-arxiv-cs.jsonl").read_text().splitlines()]
RESEMBLED = CORPUS[0]  # 2604.01274, stored as it is; the wrong id below looks like it
PAPERS = 20_000
PAPERS_BOT = Path(sys.executable).parent / "papers-bot"

# Lines no database should see: each is skipped with its line number and one sentence.
REFUSED = {
    "upvotes over 64 bits": '{"title": "Huge upvotes", "abstract": "x", "upvotes": 1000000000000000000000000000000}',
    "upvotes over PostgreSQL's integer": '{"title": "Many upvotes", "abstract": "x", "upvotes": 2147483648}',
    "a date beyond the calendar": '{"title": "Late", "abstract": "x", "published_at": "9999-12-31T23:59:59-14:00"}',
    "a date before arXiv": '{"title": "Early", "abstract": "x", "published_at": "1850-01-01"}',
    "an old-style id longer than its column": json.dumps({"title": "L", "abstract": "x", "id": "a" * 300 + "/9901001"}),
    "a wrong id": json.dumps(
        {
            **RESEMBLED,
            "id": RESEMBLED["id"] + "5",
            "abs": "https://example.org/other",
            "categories": ["math.XX"],
            "upvotes": 99,
        }
    ),
    "not JSON": '{"title": "Broken", "abstract": ',
}
# Lines that hold a good paper once cleaned: stored, without what no database can hold.
CLEANED = {
    "a lone surrogate in the title": '{"title": "Lone \\ud800 surrogate", "abstract": "x", "id": "2607.00001"}',
    "a NUL in the URL": '{"title": "NUL link", "abstract": "x", "id": "2607.00002", "url": "https://arxiv.org/abs/\\u0000x"}',
    "a NUL in the abstract": '{"title": "NUL text", "abstract": "one\\u0000two", "id": "2607.00003"}',
    "a 2 MB title": json.dumps({"title": "Long title " * 200_000, "abstract": "x", "id": "2607.00004"}),
    "a 1 MB abstract": json.dumps({"title": "Long abstract", "abstract": "words " * 200_000, "id": "2607.00005"}),
}


def good_lines(count: int) -> list[str]:
    """`count` papers from the saved corpus lines: the first as it is, the rest with new ids and varied text."""
    lines = [json.dumps(RESEMBLED)]
    for n in range(1, count):
        base, paper_id = CORPUS[n % len(CORPUS)], f"26{4 + n % 3:02d}.{10_000 + n:05d}"
        lines.append(
            json.dumps(
                base
                | {
                    "id": paper_id,
                    "title": f"{base['title']} ({n})",
                    "summary": f"Variant {n}. " + base["summary"],
                    "abs": f"https://arxiv.org/abs/{paper_id}",
                }
            )
        )
    return lines


@pytest.fixture(scope="module")
def hostile_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The 20,000 good lines with each hostile one at a random position; where each went (line numbers from 1)."""
    lines = good_lines(PAPERS)
    rng = random.Random(21)
    placed = {}
    for name, line in {**REFUSED, **CLEANED}.items():
        at = rng.randrange(1, len(lines))  # after the resembled paper, which comes first
        lines.insert(at, line)
        placed = {other: (n + 1 if n > at else n) for other, n in placed.items()} | {name: at + 1}
    path = tmp_path_factory.mktemp("hostile") / "papers.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path, placed


def test_every_good_paper_is_stored_and_every_bad_line_reported(
    engine: Engine, hostile_file: tuple[Path, dict[str, int]]
) -> None:
    path, placed = hostile_file
    summary = ingest_files(engine, [path])

    reported = sorted(int(problem.split(": line ")[1].split(":")[0]) for problem in summary.problems)
    assert reported == sorted(placed[name] for name in REFUSED), summary.problems
    assert all(
        problem.endswith(("id", "not an arXiv id", "2,147,483,647", "readable ISO date"))
        or "JSON" in problem
        or "between 1990-01-01" in problem
        for problem in summary.problems
    ), summary.problems
    assert summary.result.added == PAPERS + len(CLEANED)
    assert summary.line().startswith(
        f"{PAPERS + len(CLEANED)} new, 0 updated, 0 unchanged, {len(REFUSED)} skipped "
        "(see above); 2 fields cut to their limit; "  # then how many of the spring's papers are too old to post
    )
    with UnitOfWork(engine) as uow:
        assert uow.papers.count() == PAPERS + len(CLEANED)
        assert uow.papers.get("2607.00001").title == "Lone surrogate"  # type: ignore[union-attr]
        assert uow.papers.get("2607.00002").url is None  # type: ignore[union-attr]
        assert uow.papers.get("2607.00003").abstract == "one two"  # type: ignore[union-attr]
        assert len(uow.papers.get("2607.00004").title) <= MAX_TITLE  # type: ignore[union-attr]
        assert len(uow.papers.get("2607.00005").abstract) <= MAX_TEXT  # type: ignore[union-attr]
        resembled = uow.papers.get(RESEMBLED["id"])
    # The wrong id is refused, not read as the paper it resembles: that paper is as its own line made it.
    assert resembled is not None and resembled.url == RESEMBLED["abs"]
    assert resembled.categories == tuple(RESEMBLED["categories"]) and resembled.upvotes is None
    again = ingest_files(engine, [path])  # and a second run changes nothing
    assert (again.result.added, again.result.updated, again.skipped) == (0, 0, len(REFUSED))


def test_a_row_the_database_refuses_is_left_out_alone(engine: Engine) -> None:
    """Papers built without the parsers' limits: the database refuses some, each on its own, and the rest go in."""
    good = [Paper(f"Good {n}", "x", arxiv_id=f"2605.{n:05d}") for n in range(1, 2_001)]
    bad = {
        "2606.00001": Paper("Huge upvotes", "x", arxiv_id="2606.00001", upvotes=10**30),
        "2606.00002": Paper("Lone \ud800 surrogate", "x", arxiv_id="2606.00002"),
    }
    if engine.dialect.name == "postgresql":  # SQLite stores these; PostgreSQL does not
        bad |= {
            "2606.00003": Paper("Over 2^31", "x", arxiv_id="2606.00003", upvotes=2**31),
            "2606.00004": Paper("NUL link", "x", arxiv_id="2606.00004", url="https://x/\x00"),
            "a" * 100: Paper("Long id", "x", arxiv_id="a" * 100),
        }
    papers = good[:700] + list(bad.values())[:2] + good[700:1500] + list(bad.values())[2:] + good[1500:]

    with UnitOfWork(engine) as uow:
        result = uow.papers.merge(papers)
        uow.commit()
        assert uow.papers.count() == len(good)

    assert sorted(key for key, _ in result.refused) == sorted(bad)
    assert result.added == len(good)


def race(database_url: str, engine: Engine, first: list[Paper], second: list[Paper]) -> tuple[object, object]:
    """B reads which of its papers are stored; then A merges its papers (and, on PostgreSQL, commits); then B writes.

    On SQLite A waits instead, for B's write lock, and merges after B. (A's result, B's result.)
    """
    from storage.engine import make_engine

    other, threads, a = make_engine(database_url), [], []

    def merge_first() -> None:
        try:
            with UnitOfWork(engine) as uow:
                a.append(uow.papers.merge(first))
                uow.commit()
        except Exception as error:  # noqa: BLE001 (shown by the caller's assertion)
            a.append(error)

    @event.listens_for(other, "after_cursor_execute")
    def a_merges_when_b_has_looked(conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("SELECT paper.id, paper.") and " IN (" in statement and not threads:
            threads.append(threading.Thread(target=merge_first))
            threads[0].start()
            threads[0].join(timeout=2)  # PostgreSQL: A commits in between; SQLite: A waits for B's write lock

    with UnitOfWork(other) as b:
        result = b.papers.merge(second)
        b.commit()
    threads[0].join()
    other.dispose()
    return a[0], result


def test_a_paper_stored_by_another_process_since_we_looked_is_merged_into_not_an_error(
    database_url: str, engine: Engine
) -> None:
    first = [Paper(f"Paper {n}", "x", arxiv_id=f"2605.{n:05d}", upvotes=1) for n in range(1, 3_001)]
    second = [p.with_changes(upvotes=5) for p in first[1_000:]] + [
        Paper(f"Paper {n}", "x", arxiv_id=f"2605.{n:05d}") for n in range(3_001, 4_001)
    ]
    a, b = race(database_url, engine, first, second)

    assert type(a).__name__ == type(b).__name__ == "MergeResult", (a, b)
    if engine.dialect.name == "postgresql":  # A stored 2,000 of B's papers after B looked: B merged into them
        assert (b.added, b.updated, b.unchanged, b.refused) == (1_000, 2_000, 0, [])  # type: ignore[attr-defined]
    else:  # SQLite: B held the write lock from its look to its commit; A waited, then merged into B's rows
        assert (b.added, a.added, a.updated) == (3_000, 1_000, 0)  # type: ignore[attr-defined]
    with UnitOfWork(engine) as uow:
        assert uow.papers.count() == 4_000
        assert uow.papers.get("2605.01001").upvotes == 5 and uow.papers.get("2605.00001").upvotes == 1  # type: ignore[union-attr]


def test_a_paper_changed_by_another_process_since_we_read_it_keeps_both_changes(
    database_url: str, engine: Engine
) -> None:
    stored = Paper("Go-Explore", "x", arxiv_id="1901.10995", categories=("cs.LG",), upvotes=1)
    with UnitOfWork(engine) as uow:
        uow.papers.merge([stored])
        uow.commit()

    race(
        database_url,
        engine,
        [stored.with_changes(categories=("cs.AI",), upvotes=3)],
        [stored.with_changes(categories=("cs.RO",), upvotes=2)],
    )

    with UnitOfWork(engine) as uow:
        paper = uow.papers.get("1901.10995")
    assert paper is not None and paper.upvotes == 3  # the larger count, whoever wrote last
    assert sorted(paper.categories) == ["cs.AI", "cs.LG", "cs.RO"]  # each side's category, none written over


def test_a_truncated_atom_file_keeps_its_whole_entries(engine: Engine, tmp_path: Path) -> None:
    whole = (SOURCES / "atom-new-testing-10.xml").read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(whole[: len(whole) // 2])

    summary = ingest_files(engine, [cut])

    assert summary.result.added == 4
    assert summary.skipped == 1 and "breaks off after 4 whole entries" in summary.problems[0]


def test_a_whole_json_file_nested_too_deep_is_reported_and_the_next_file_still_goes_in(
    engine: Engine, tmp_path: Path
) -> None:
    deep, sniffed, good = tmp_path / "deep.json", tmp_path / "deep-first-line", tmp_path / "good.jsonl"
    deep.write_text("[" * 100_000)
    sniffed.write_text('{"a": ' + "[" * 100_000 + "\n" + good_lines(1)[0] + "\n")  # no suffix: its head is sniffed
    good.write_text("\n".join(good_lines(2)) + "\n")

    summary = ingest_files(engine, [deep, sniffed, good])

    assert summary.result.added == 2
    assert [problem.split(":")[0] for problem in summary.problems] == [str(deep), str(sniffed)]


def test_a_summary_counts_every_problem_but_keeps_a_readable_number() -> None:
    told: list[str] = []
    summary = IngestSummary(report=told.append)
    for n in range(5_000):
        summary.problem(f"line {n}: no title")
    assert summary.skipped == len(told) == 5_000 and len(summary.problems) == 1_000


# --- `papers-bot ingest` as scripts run it -------------------------------------------------------------


def papers_bot(args: list[str], database_url: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(PAPERS_BOT), *args],
        env={"DATABASE_URL": database_url},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, stderr = process.communicate(timeout=300)
    return process.returncode, stderr


def test_ingest_names_each_skipped_line_and_exits_non_zero(app: App, tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    hostile = [REFUSED["a wrong id"], CLEANED["a 2 MB title"], REFUSED["not JSON"]]
    path.write_text("\n".join(good_lines(3) + hostile) + "\n")

    code, stderr = finished(papers_bot(["ingest", str(path)], app.settings.database_url, tmp_path))

    assert code == 1, stderr
    said = [line for line in stderr.splitlines() if line.strip()]  # the progress bar leaves a blank line
    assert len(said) == 3, stderr
    assert said[0] == f"skipped: {path}: line 4: id '2604.012745' is not an arXiv id"
    assert said[1].startswith(f"skipped: {path}: line 6: not valid JSON (Expecting value")
    assert said[2].startswith("4 new, 0 updated, 0 unchanged, 2 skipped (see above); 1 field cut to their limit")
    missing = tmp_path / "missing.jsonl"
    code, stderr = finished(papers_bot(["ingest", str(path), str(missing)], app.settings.database_url, tmp_path))
    assert code == 2 and stderr.strip() == f"error: No such file: {tmp_path / 'missing.jsonl'}; nothing was ingested."


def test_two_overlapping_ingests_at_once_both_succeed_and_store_the_union(app: App, tmp_path: Path) -> None:
    lines = good_lines(12_000)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text("\n".join(lines[:8_000]) + "\n")
    second.write_text("\n".join(reversed(lines[4_000:])) + "\n")  # the shared papers in the other order

    runs = [papers_bot(["ingest", str(path)], app.settings.database_url, tmp_path) for path in (first, second)]
    results = [finished(run) for run in runs]

    assert [code for code, _ in results] == [0, 0], [stderr[-2_000:] for _, stderr in results]
    with UnitOfWork(app.engine) as uow:
        assert uow.papers.count() == len(SEED.read_text().splitlines()) + 12_000  # the bundled papers and the union
