"""The paper repository: idempotent merge of papers from every source, and lookups."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlmodel import Session

from bot.domain import Paper
from storage.search import index_new_rows
from storage.tables import PaperRow, utcnow

log = logging.getLogger(__name__)

BATCH = 10_000
ROWS_PER_INSERT = 500  # rows of one INSERT statement: 9,000 parameters, under SQLite's 32,766
SEP = "; "


@dataclass
class MergeResult:
    """How many papers a merge added, changed and left alone; the keys of the added ones; the refused ones."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    added_keys: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (key, why the database refused it)

    def __iadd__(self, other: MergeResult) -> MergeResult:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.added_keys += other.added_keys
        self.refused += other.refused
        return self


def to_row_values(paper: Paper) -> dict[str, object]:
    return {
        "key": paper.key,
        "arxiv_id": paper.arxiv_id,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": SEP.join(paper.authors),
        "keywords": SEP.join(paper.ai_keywords),
        "categories": list(paper.categories),
        "published_at": paper.published_at,
        "upvotes": paper.upvotes,
        "url": paper.url,
        "code_url": paper.code_url,
        "project_url": paper.project_url,
        "thumbnail_url": paper.thumbnail_url,
        "ai_summary": paper.ai_summary,
        "on_hf": paper.on_hf,
        "source": paper.source,
    }


def to_paper(row: PaperRow) -> Paper:
    return Paper(
        title=row.title,
        abstract=row.abstract,
        arxiv_id=row.arxiv_id,
        authors=tuple(a for a in row.authors.split(SEP) if a),
        published_at=row.published_at,
        categories=tuple(row.categories or ()),
        upvotes=row.upvotes,
        url=row.url,
        code_url=row.code_url,
        project_url=row.project_url,
        thumbnail_url=row.thumbnail_url,
        ai_summary=row.ai_summary,
        ai_keywords=tuple(k for k in row.keywords.split(SEP) if k),
        on_hf=row.on_hf,
        source=row.source,
    )


def merged(old: dict[str, object], new: dict[str, object]) -> dict[str, object]:
    """The fields of `old` that `new` changes: a source fills gaps and refreshes what it owns.

    Upvotes take the larger count; links and AI fields the newer non-empty value; categories are a union; a paper
    once seen on Hugging Face stays so; arXiv's text replaces other sources' text.
    """
    changes: dict[str, object] = {}
    for name in ("url", "code_url", "project_url", "thumbnail_url", "ai_summary", "arxiv_id"):
        if new[name] not in (None, "") and new[name] != old[name]:
            changes[name] = new[name]
    # Upvotes only grow in practice; an older snapshot read after a newer one must not undo it.
    if new["upvotes"] is not None and (old["upvotes"] is None or new["upvotes"] > old["upvotes"]):  # type: ignore[operator]
        changes["upvotes"] = new["upvotes"]
    if new["keywords"] and new["keywords"] != old["keywords"]:
        changes["keywords"] = new["keywords"]
    for name in ("title", "abstract", "authors"):
        if new[name] and (not old[name] or (new["source"] == "arxiv" and new[name] != old[name])):
            changes[name] = new[name]
    # Keep the stored order (its first is the primary category) and append what is new: stable
    # under re-ingest, whatever order the sources come in.
    categories = list(dict.fromkeys([*old["categories"], *new["categories"]]))  # type: ignore[misc]
    if categories != list(old["categories"]):  # type: ignore[arg-type]
        changes["categories"] = categories
    if old["published_at"] is None and new["published_at"] is not None:
        changes["published_at"] = new["published_at"]
    if new["on_hf"] and not old["on_hf"]:
        changes["on_hf"] = True
    sources = set(str(old["source"]).split("+"))
    if new["source"] not in sources:
        changes["source"] = "+".join(sorted(sources | {str(new["source"])}))
    return changes


def insert_rows(connection: Connection, rows: list[dict[str, object]]) -> list[tuple[int, str]]:
    """Insert the papers whose key nobody holds yet; (id, key) of each one this call inserted.

    `ON CONFLICT (key) DO NOTHING`: a key another process stored since we looked is left to
    the caller to merge, never an error. On PostgreSQL the statement waits for a concurrent
    insert of the same key to commit or roll back, then knows. Rows go in key order, so that
    two merges of overlapping papers take their keys in one order and never deadlock.

    Not the ORM's bulk insert (a third of an ingest went to its bookkeeping), nor Core's
    `execute(insert(), rows)`: that converts every value of every row through its type, and
    a batch shares its timestamps, dates and category lists.
    """
    table = PaperRow.__table__  # type: ignore[attr-defined]
    dialect = connection.dialect
    names = list(rows[0])
    convert = [_once(table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names]
    columns = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    row_marks = "(" + ", ".join(["?" if dialect.paramstyle == "qmark" else "%s"] * len(names)) + ")"
    rows = sorted(rows, key=lambda row: str(row["key"]))
    params = [tuple(c(row[name]) for name, c in zip(names, convert, strict=True)) for row in rows]
    if dialect.name == "postgresql":
        sql = f"INSERT INTO paper ({columns}) VALUES {row_marks} {_NEW_ONLY}"
        return _insert_many_returning(connection, sql, params)
    # sqlite3's executemany cannot return rows: a few hundred rows a statement instead.
    inserted: list[tuple[int, str]] = []
    for start in range(0, len(params), ROWS_PER_INSERT):
        part = params[start:start + ROWS_PER_INSERT]
        sql = f"INSERT INTO paper ({columns}) VALUES {', '.join([row_marks] * len(part))} {_NEW_ONLY}"
        inserted += [(row[0], row[1]) for row in connection.exec_driver_sql(sql, tuple(v for row in part for v in row))]
    return inserted


_NEW_ONLY = "ON CONFLICT (key) DO NOTHING RETURNING id, key"


def _insert_many_returning(connection: Connection, sql: str, params: list[tuple]) -> list[tuple[int, str]]:
    """psycopg's `executemany(returning=True)`: one statement a row, pipelined, each row's result kept.

    (A statement of hundreds of rows costs psycopg more to parse than PostgreSQL to run.)
    """
    dbapi = connection.dialect.loaded_dbapi
    cursor = connection.connection.cursor()
    inserted: list[tuple[int, str]] = []
    try:
        cursor.executemany(sql, params, returning=True)  # type: ignore[call-arg]
        while True:
            inserted += [(row[0], row[1]) for row in cursor.fetchall()]
            if not cursor.nextset():
                return inserted
    except dbapi.Error as error:  # as SQLAlchemy would have raised it: DataError, OperationalError, ...
        raise DBAPIError.instance(sql, params[:1], error, dbapi.Error, dialect=connection.dialect) from error
    finally:
        cursor.close()


def _once(convert: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """`convert`, remembering its answer for each distinct value (lists by their items)."""
    if convert is None:
        return lambda value: value
    seen: dict[object, object] = {}

    def once(value: Any) -> Any:
        key = (list, *value) if isinstance(value, list) else value
        if key not in seen:
            seen[key] = convert(value)
        return seen[key]
    return once


_MERGED = tuple(to_row_values(Paper("", "")))  # the columns a merge writes, read back to compare


def refused_by_database(error: BaseException) -> bool:
    """A value the database (or its driver) will not store, as opposed to a lock, a lost connection or a bug."""
    if isinstance(error, DataError | IntegrityError):
        return True
    if isinstance(error, DBAPIError):
        return False  # OperationalError and the like: the database's state, not the row
    cause = error.orig if isinstance(error, StatementError) else error  # raised while binding a value
    return isinstance(cause, OverflowError | ValueError)  # UnicodeEncodeError is a ValueError


def why(error: BaseException) -> str:
    """The first line of what the database said, short."""
    cause = getattr(error, "orig", None) or error
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0][:160]


class PaperRepository:
    """Papers by key; `merge` is the one way papers get in."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def merge(self, papers: Iterable[Paper]) -> MergeResult:
        """Store new papers and merge known ones into their rows, `BATCH` at a time.

        Safe beside another process merging the same papers. A paper the database refuses
        (a value the parsers' limits did not foresee) is left out and reported in `refused`,
        never at the cost of the rest of its batch.
        """
        result = MergeResult()
        batch: dict[str, dict[str, object]] = {}
        for paper in papers:
            values = to_row_values(paper)
            key = str(values["key"])
            batch[key] = batch[key] | merged(batch[key], values) if key in batch else values
            if len(batch) >= BATCH:
                result += self._merge_isolating(batch)
                batch = {}
        if batch:
            result += self._merge_isolating(batch)
        return result

    def _merge_isolating(self, batch: dict[str, dict[str, object]]) -> MergeResult:
        """The batch in a savepoint; if the database refuses it, each half in its own, down to the refused rows."""
        self._begin_writing()
        existing = self._existing(list(batch))
        try:
            with self.session.begin_nested():
                return self._merge_batch(batch, existing)
        except Exception as error:
            if not refused_by_database(error):
                raise
            if len(batch) == 1:
                key = next(iter(batch))
                log.warning("the database refused paper %s: %s", key, why(error))
                return MergeResult(refused=[(key, why(error))])
        keys = list(batch)
        result = MergeResult()
        for half in (keys[:len(keys) // 2], keys[len(keys) // 2:]):
            result += self._merge_isolating({key: batch[key] for key in half})
        return result

    def _begin_writing(self) -> None:
        """On SQLite, take the database's one write lock before reading which keys exist.

        Then nobody stores a key between that read and the insert, and the transaction never
        has to turn a stale read into a write (which SQLite refuses at once, busy timeout or
        not). PostgreSQL needs nothing: its insert waits for a concurrent one of the same key.
        """
        connection = self.session.connection()
        if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    def _existing(self, keys: list[str]) -> dict[str, dict[str, object]]:
        columns = [getattr(PaperRow, name) for name in _MERGED]
        rows = self.session.execute(
            select(PaperRow.id, *columns).where(PaperRow.key.in_(keys))  # type: ignore[attr-defined]
        ).mappings()
        return {row["key"]: dict(row) for row in rows}

    def _merge_batch(self, batch: dict[str, dict[str, object]], existing: dict[str, dict[str, object]]) -> MergeResult:
        result = MergeResult()
        fresh = [values for key, values in batch.items() if key not in existing]
        now = utcnow()
        if fresh:
            inserted = insert_rows(self.session.connection(), [v | {"added_at": now, "updated_at": now} for v in fresh])
            index_new_rows(self.session, [paper_id for paper_id, _ in inserted])
            result.added = len(inserted)
            result.added_keys = [key for _, key in inserted]
            if len(inserted) < len(fresh):  # stored by another process since we looked: merge into theirs
                taken = {str(v["key"]) for v in fresh} - set(result.added_keys)
                existing = existing | self._existing(sorted(taken))
        for key in sorted(existing.keys() & batch.keys()):
            old = existing[key]
            changes = merged(old, batch[key])
            if changes:
                self.session.execute(update(PaperRow).where(PaperRow.id == old["id"]).values(**changes, updated_at=now))
                result.updated += 1
            else:
                result.unchanged += 1
        return result

    def get(self, key: str) -> Paper | None:
        row = self.session.exec(select(PaperRow).where(PaperRow.key == key)).scalar_one_or_none()  # type: ignore[call-overload]
        return to_paper(row) if row else None

    def by_ids(self, ids: Sequence[int]) -> dict[int, Paper]:
        if not ids:
            return {}
        rows = self.session.execute(select(PaperRow).where(PaperRow.id.in_(list(ids)))).scalars()  # type: ignore[union-attr]
        return {row.id: to_paper(row) for row in rows}

    def titles(self, ids: Sequence[int]) -> dict[int, str]:
        rows = self.session.execute(select(PaperRow.id, PaperRow.title).where(PaperRow.id.in_(list(ids))))  # type: ignore[union-attr]
        return {row[0]: row[1] for row in rows}

    def added_since(self, since: datetime) -> list[Paper]:
        """Papers that arrived (were first stored) at or after `since`, newest first."""
        query = select(PaperRow).where(PaperRow.added_at >= since).order_by(PaperRow.added_at.desc())  # type: ignore[attr-defined]
        return [to_paper(row) for row in self.session.execute(query).scalars()]

    def recent(self, since: datetime) -> list[Paper]:
        """Papers published (or, lacking a date, stored) at or after `since`."""
        moment = since
        query = select(PaperRow).where(
            (PaperRow.published_at >= moment) | (PaperRow.published_at.is_(None) & (PaperRow.added_at >= moment))  # type: ignore[union-attr]
        )
        return [to_paper(row) for row in self.session.execute(query).scalars()]

    def count(self) -> int:
        return int(self.session.execute(select(func.count()).select_from(PaperRow)).scalar_one())
