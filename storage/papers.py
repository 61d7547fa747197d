"""The paper repository: idempotent merge of papers from every source, and lookups."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlmodel import Session, col

from bot.domain import BUNDLED, Paper
from storage.inserts import insert_rows, refused_by_database, why
from storage.search import index_new_rows
from storage.tables import PaperRow, utcnow

log = logging.getLogger(__name__)

BATCH = 10_000
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
    if categories != list(old["categories"]):  # type: ignore[call-overload]
        changes["categories"] = categories
    if old["published_at"] is None and new["published_at"] is not None:
        changes["published_at"] = new["published_at"]
    if new["on_hf"] and not old["on_hf"]:
        changes["on_hf"] = True
    sources = set(str(old["source"]).split("+"))
    if new["source"] not in sources:
        changes["source"] = "+".join(sorted(sources | {str(new["source"])}))
    return changes


_MERGED = tuple(to_row_values(Paper("", "")))  # the columns a merge writes, read back to compare


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
        for half in (keys[: len(keys) // 2], keys[len(keys) // 2 :]):
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
            select(col(PaperRow.id), col(PaperRow.updated_at), *columns).where(col(PaperRow.key).in_(keys))
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
        for key in sorted(existing.keys() & batch.keys()):  # in key order, as the inserts: no deadlock
            if self._update(existing[key], batch[key], now):
                result.updated += 1
            else:
                result.unchanged += 1
        return result

    def _update(self, old: dict[str, object], new: dict[str, object], now: datetime) -> bool:
        """Merge `new` into its stored row; if another process changed the row since we read it, into what it is now.

        The row's `updated_at` says whether it is still as read: no lock is taken on rows that
        do not change, and a concurrent merge's upvotes or categories are never written over.
        """
        while changes := merged(old, new):
            written = self.session.execute(
                update(PaperRow)
                .where(col(PaperRow.id) == old["id"], col(PaperRow.updated_at) == old["updated_at"])
                .values(**changes, updated_at=now)
            )
            if written.rowcount:  # type: ignore[attr-defined]
                return True
            key = str(old["key"])
            current = self._existing([key]).get(key)
            if current is None:
                return False
            old = current
        return False

    def get(self, key: str) -> Paper | None:
        row = self.session.exec(select(PaperRow).where(col(PaperRow.key) == key)).scalar_one_or_none()  # type: ignore[call-overload]
        return to_paper(row) if row else None

    def by_ids(self, ids: Sequence[int]) -> dict[int, Paper]:
        if not ids:
            return {}
        rows = self.session.execute(select(PaperRow).where(col(PaperRow.id).in_(list(ids)))).scalars()
        return {row.id: to_paper(row) for row in rows}

    def titles(self, ids: Sequence[int]) -> dict[int, str]:
        rows = self.session.execute(
            select(col(PaperRow.id), col(PaperRow.title)).where(col(PaperRow.id).in_(list(ids)))
        )
        return {row[0]: row[1] for row in rows}

    def added_since(self, since: datetime) -> list[Paper]:
        """Papers that arrived (were first stored) at or after `since`, newest first."""
        return self.news(since)

    def news(self, added_since: datetime, published_since: datetime | None = None) -> list[Paper]:
        """Papers that arrived at or after `added_since`, newest first (the latest stored first among
        those that came together); with `published_since`, only those published then or later, undated, or
        bundled with the bot (a fresh database's first post is the bundled set, whatever its dates)."""
        query = select(PaperRow).where(col(PaperRow.added_at) >= added_since)
        if published_since is not None:
            query = query.where(
                or_(
                    col(PaperRow.published_at).is_(None),
                    col(PaperRow.published_at) >= published_since,
                    col(PaperRow.source).contains(BUNDLED),
                )
            )
        query = query.order_by(col(PaperRow.added_at).desc(), col(PaperRow.id).desc())
        return [to_paper(row) for row in self.session.execute(query).scalars()]

    def by_keys(self, keys: Sequence[str]) -> list[Paper]:
        """The stored papers with these keys, in no particular order."""
        found: list[Paper] = []
        for start in range(0, len(keys), 500):
            query = select(PaperRow).where(col(PaperRow.key).in_(list(keys[start : start + 500])))
            found.extend(to_paper(row) for row in self.session.execute(query).scalars())
        return found

    def recent(self, since: datetime) -> list[Paper]:
        """Papers published (or, lacking a date or bundled with the bot, stored) at or after `since`."""
        moment = since
        undated_or_bundled = col(PaperRow.published_at).is_(None) | col(PaperRow.source).contains(BUNDLED)
        query = select(PaperRow).where(
            (col(PaperRow.published_at) >= moment) | (undated_or_bundled & (col(PaperRow.added_at) >= moment))
        )
        return [to_paper(row) for row in self.session.execute(query).scalars()]

    def count(self) -> int:
        return int(self.session.execute(select(func.count()).select_from(PaperRow)).scalar_one())
