"""Ingest from files: every shared data variant goes in, twice changes nothing, bad lines are reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from bot.sources.ingest import ingest_files
from storage.uow import UnitOfWork

SOURCES = Path(__file__).parent / "data" / "sources"
EVERY_VARIANT = sorted(
    p for p in SOURCES.iterdir() if p.suffix in (".json", ".jsonl", ".xml") and "anomaly" not in p.name
)


def test_every_saved_variant_goes_in_and_twice_is_once(engine: Engine) -> None:
    first = ingest_files(engine, EVERY_VARIANT)
    assert first.result.added > 40
    with UnitOfWork(engine) as uow:
        stored = uow.papers.count()
    second = ingest_files(engine, EVERY_VARIANT)
    assert (second.result.added, second.result.updated) == (0, 0)
    with UnitOfWork(engine) as uow:
        assert uow.papers.count() == stored


def test_the_malformed_hf_archive_is_refused_with_a_reason(engine: Engine) -> None:
    summary = ingest_files(engine, [SOURCES / "hf-anomaly-python-repr-strings.json"])
    assert summary.result.added == 0
    assert "Python repr() strings" in summary.problems[0]


def test_a_bad_line_is_skipped_by_number_and_the_rest_goes_in(engine: Engine, tmp_path: Path) -> None:
    papers = tmp_path / "papers.jsonl"
    papers.write_text(
        '{"title": "A", "abstract": "first"}\n'
        "{not json\n"
        '{"abstract": "no title"}\n'
        '{"title": "B", "summary": "second", "id": "2401.00002v2", "upvotes": 3}\n'
    )
    summary = ingest_files(engine, [papers, tmp_path / "missing.jsonl"])
    assert summary.result.added == 2
    assert [p.split(": ")[1] for p in summary.problems[:2]] == ["line 2", "line 3"]
    assert "missing.jsonl" in summary.problems[-1]
    assert summary.line().startswith("2 new, 0 updated, 0 unchanged, 3 skipped (see above); 1 published over 45 days")


def test_ingest_says_how_many_papers_are_too_old_to_be_posted_and_why(engine: Engine, tmp_path: Path) -> None:
    papers = tmp_path / "papers.jsonl"
    now = datetime(2026, 6, 18, 9, tzinfo=UTC)
    fresh = now - timedelta(days=2)
    papers.write_text(
        f'{{"title": "Fresh", "abstract": "x", "published_at": "{fresh.isoformat()}"}}\n'
        '{"title": "Archive", "abstract": "x", "published_at": "2020-05-01"}\n'
        '{"title": "Old by its id", "abstract": "x", "id": "2301.00001"}\n'
        '{"title": "Undated", "abstract": "x"}\n'
    )
    summary = ingest_files(engine, [papers], now=now)
    assert summary.line() == (
        "4 new, 0 updated, 0 unchanged, 0 skipped; 2 published over 45 days ago: searchable with find, "
        "but never posted (a post holds recent papers only)"
    )
