"""The find index's snapshot, on SQLite and PostgreSQL: a restart reads it instead of every title, and misses nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bot.domain import Paper
from bot.find import snapshot as title_snapshot
from bot.find.finder import Finder
from storage import search
from storage.engine import make_engine
from storage.uow import UnitOfWork

PAPERS = [
    Paper(f"Quokka Routing Study {n}: Sparse Graphs", "Routing on road graphs.", arxiv_id=f"2501.{n:05d}")
    for n in range(1, 41)
]
GO_EXPLORE = Paper("Go-Explore: a New Approach for Hard-Exploration Problems", "Exploration.", arxiv_id="1901.10995")


@pytest.fixture
def snapshot(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Snapshots of small indexes, in a folder of this test's own."""
    monkeypatch.setattr(title_snapshot, "SMALL", 10)
    monkeypatch.setattr(title_snapshot, "STALE", 2)
    path = tmp_path / "find-index"
    monkeypatch.setattr(title_snapshot, "path_for", lambda _engine: path)
    store(engine, [*PAPERS, GO_EXPLORE])
    Finder(engine).warm()
    assert path.exists()
    yield path


def store(engine: Engine, papers: list[Paper]) -> None:
    with UnitOfWork(engine) as uow:
        uow.papers.merge(papers)
        uow.commit()


def titles_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids after which a refresh read titles from the database, as they happen."""
    calls: list[int] = []
    real = search.title_rows

    def counted(session, after_id, batch=20_000):  # type: ignore[no-untyped-def]
        calls.append(after_id)
        return real(session, after_id, batch)

    monkeypatch.setattr(search, "title_rows", counted)
    return calls


def test_a_restart_reads_the_snapshot_not_every_title(
    engine: Engine, snapshot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = titles_read(monkeypatch)
    finder = Finder(engine)
    finder.warm()
    assert calls == [] and finder.index.papers == 41
    assert [f.paper.arxiv_id for f in finder.find("go explor hard exploraton")][:1] == ["1901.10995"]
    cold = Finder(engine)  # `papers-bot find` and `say`: the first search warms it
    assert [f.paper.arxiv_id for f in cold.find("go explor hard exploraton")][:1] == ["1901.10995"]
    assert calls == [] and cold.index.papers == 41


def test_papers_added_and_changed_after_the_snapshot_are_found(
    engine: Engine, snapshot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store(
        engine,
        [
            Paper("Zygomorphic Flowers Attract Bees", "Pollination.", arxiv_id="2502.00001"),
            GO_EXPLORE.with_changes(title="Go-Explore: Wombats Remember and Return", source="arxiv"),
        ],
    )
    calls = titles_read(monkeypatch)
    finder = Finder(engine)
    finder.warm()
    assert calls == [41]  # only what came after the snapshot
    assert [f.paper.arxiv_id for f in finder.find("zygomorfic flowers")][:1] == ["2502.00001"]
    assert [f.paper.arxiv_id for f in finder.find("wombats remember")][:1] == ["1901.10995"]


def test_a_snapshot_of_another_database_or_a_damaged_one_is_not_used(
    engine: Engine, snapshot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with UnitOfWork(engine) as uow:
        uow.session.execute(text("DELETE FROM paper WHERE arxiv_id = '2501.00001'"))
        uow.commit()
    calls = titles_read(monkeypatch)
    Finder(engine).warm()
    assert calls == [0]  # the database no longer matches: every title is read again
    snapshot.write_bytes(snapshot.read_bytes()[:-20])  # cut short
    Finder(engine).warm()
    snapshot.write_bytes(b"not a snapshot")
    finder = Finder(engine)
    finder.warm()
    assert calls == [0, 0, 0] and finder.index.papers == 40
    assert [f.paper.arxiv_id for f in finder.find("go explore")][:1] == ["1901.10995"]


def test_the_snapshot_goes_beside_a_sqlite_file_and_never_names_a_password(tmp_path: Path) -> None:
    beside = title_snapshot.path_for(make_engine(f"sqlite:///{tmp_path / 'papers.db'}"))
    assert beside == tmp_path / "papers.db.find-index"
    assert title_snapshot.path_for(make_engine("sqlite://")) is None
    server = title_snapshot.path_for(make_engine("postgresql+psycopg://bot:s3cret@db.example/papers"))
    assert server is not None and "s3cret" not in str(server) and server.name.startswith("find-index-")


def test_a_snapshot_that_cannot_be_written_costs_only_speed(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(title_snapshot, "SMALL", 10)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setattr(title_snapshot, "path_for", lambda _engine: blocked / "find-index")
    store(engine, [*PAPERS, GO_EXPLORE])
    assert [f.paper.arxiv_id for f in Finder(engine).find("go explore")][:1] == ["1901.10995"]
