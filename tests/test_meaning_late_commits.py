"""Find by meaning sees every stored paper, also one committed after a paper with a higher id.

On PostgreSQL two ingests running at once take ids N and N+1 and may commit N+1 first; the meaning
index, which adds "the papers after the last id it holds", must still find paper N once it commits.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from bot.domain import Paper
from bot.retrieval import gaps, meaning
from bot.retrieval.meaning import RECHECK_EVERY, MeaningIndex
from storage.papers import to_row_values
from storage.tables import PaperRow
from storage.uow import UnitOfWork

SLOTHS = Paper("Arboreal Locomotion", "Three-toed sloths hang upside down from branches.", arxiv_id="2501.00001")
OTTERS = Paper("Tool Use in Mustelids", "Sea otters crack shellfish open on stones.", arxiv_id="2501.00002")
BATS = Paper("Echolocation", "Bats find moths in the dark by their echoes.", arxiv_id="2501.00003")


def store_as(engine: Engine, paper_id: int, paper: Paper) -> None:
    """Store a paper under a given id, as a transaction that took it earlier and committed late leaves it."""
    with UnitOfWork(engine) as uow:
        stamp = datetime(2026, 1, 5, tzinfo=UTC)  # inserted, never changed since: added and updated at once
        values = to_row_values(paper) | {"added_at": stamp, "updated_at": stamp}
        uow.session.execute(insert(PaperRow).values(id=paper_id, **values))
        uow.commit()


def titles(index: MeaningIndex, text: str) -> list[str]:
    with UnitOfWork(index.engine) as uow:
        stored = uow.papers.by_ids([h.paper_id for h in index.search(text, 5)])
    return sorted(p.title for p in stored.values())


def seconds_later(index: MeaningIndex) -> None:
    assert index._recounted_at is not None
    index._recounted_at -= gaps.RECOUNT_EVERY + 1


def test_a_paper_committed_after_a_higher_id_is_found(engine: Engine) -> None:
    index = MeaningIndex(engine)
    store_as(engine, 11, OTTERS)
    assert titles(index, "otters cracking shellfish on stones") == ["Tool Use in Mustelids"]
    store_as(engine, 10, SLOTHS)  # id 10 commits after id 11 was indexed
    seconds_later(index)
    assert titles(index, "sloths hanging from branches") == ["Arboreal Locomotion"]
    assert titles(index, "otters cracking shellfish on stones") == ["Tool Use in Mustelids"]  # not twice
    assert index._index is not None and index._index.papers == 2


def test_the_hourly_recount_finds_one_committed_long_after(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gaps, "RECENT", 1)  # the per-search check sees only the newest id
    monkeypatch.setattr(gaps, "LISTED", 2)  # ranges halved down to two ids
    index = MeaningIndex(engine)
    store_as(engine, 40, OTTERS)
    assert titles(index, "otters cracking shellfish") == ["Tool Use in Mustelids"]
    store_as(engine, 3, SLOTHS)
    seconds_later(index)
    assert titles(index, "sloths hanging from branches") == []  # too far below the newest to be counted
    assert index._checked_at is not None
    index._checked_at -= RECHECK_EVERY + 1  # an hour later
    assert titles(index, "sloths hanging from branches") == ["Arboreal Locomotion"]


def test_concurrent_ingests_committing_out_of_order_on_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer at a time: its ids commit in order")
    index = MeaningIndex(engine)
    with UnitOfWork(engine) as first:
        first.papers.merge([SLOTHS])  # takes id N, not committed yet
        with UnitOfWork(engine) as second:
            second.papers.merge([OTTERS, BATS])  # takes N+1 and N+2, committed first
            second.commit()
        assert titles(index, "otters cracking shellfish") == ["Tool Use in Mustelids"]
        assert titles(index, "sloths hanging from branches") == []  # not committed: nobody sees it
        first.commit()
    seconds_later(index)
    with UnitOfWork(engine) as uow:
        ids = {p.title: i for i, p in uow.papers.by_ids(list(range(1, 100))).items()}
    assert ids["Arboreal Locomotion"] < ids["Tool Use in Mustelids"] < ids["Echolocation"]
    assert titles(index, "sloths hanging from branches") == ["Arboreal Locomotion"]
    assert titles(index, "bats hunting moths by echoes") == ["Echolocation"]


def test_a_restart_after_a_late_commit_adds_it_without_building_again(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(meaning, "SMALL", 0)  # indexed in a folder, as 5,000 papers or more are
    monkeypatch.setattr(meaning, "file_beside", lambda engine, name: tmp_path / name)
    store_as(engine, 1, OTTERS)
    store_as(engine, 3, BATS)
    MeaningIndex(engine).warm()
    store_as(engine, 2, SLOTHS)  # committed after the index moved past id 2, then the bot restarts
    with caplog.at_level(logging.INFO, logger="bot.retrieval.meaning"):
        again = MeaningIndex(engine)
        assert titles(again, "sloths hanging from branches") == ["Arboreal Locomotion"]
    assert "built" not in caplog.text and "1 papers committed out of id order added" in caplog.text
