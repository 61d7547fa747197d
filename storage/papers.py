"""The paper repository: idempotent merge of papers from every source, and lookups."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, or_, select, update
from sqlmodel import Session

from bot.domain import Paper
from storage.search import index_new_rows
from storage.tables import PaperRow, utcnow

BATCH = 10_000
SEP = "; "


@dataclass
class MergeResult:
    """How many papers a merge added, changed and left alone; the keys of the added ones."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    added_keys: list[str] = field(default_factory=list)

    def __iadd__(self, other: MergeResult) -> MergeResult:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.added_keys += other.added_keys
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


def insert_rows(connection: Connection, rows: list[dict[str, object]]) -> None:
    """Insert many papers in one `executemany`, every value converted once per distinct value.

    Not the ORM's bulk insert (a third of an ingest went to its bookkeeping), nor Core's
    `execute(insert(), rows)`: that converts every value of every row through its type, and
    a batch shares its timestamps, dates and category lists.
    """
    table = PaperRow.__table__  # type: ignore[attr-defined]
    names = list(rows[0])
    statement = table.insert().inline().compile(dialect=connection.dialect, column_keys=names)
    order = list(statement.positiontup) if statement.positional else names
    convert = {name: _once(table.c[name].type.dialect_impl(connection.dialect).bind_processor(connection.dialect))
               for name in order}
    if statement.positional:
        params: list = [tuple(convert[n](row[n]) for n in order) for row in rows]
    else:
        params = [{n: convert[n](row[n]) for n in order} for row in rows]
    connection.exec_driver_sql(str(statement), params)


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


class PaperRepository:
    """Papers by key; `merge` is the one way papers get in."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def merge(self, papers: Iterable[Paper]) -> MergeResult:
        result = MergeResult()
        batch: dict[str, dict[str, object]] = {}
        for paper in papers:
            values = to_row_values(paper)
            key = str(values["key"])
            batch[key] = batch[key] | merged(batch[key], values) if key in batch else values
            if len(batch) >= BATCH:
                result += self._merge_batch(batch)
                batch = {}
        if batch:
            result += self._merge_batch(batch)
        return result

    def _merge_batch(self, batch: dict[str, dict[str, object]]) -> MergeResult:
        result = MergeResult()
        columns = [getattr(PaperRow, name) for name in next(iter(batch.values()))]
        rows = self.session.execute(
            select(PaperRow.id, *columns).where(PaperRow.key.in_(list(batch)))  # type: ignore[attr-defined]
        ).mappings()
        existing = {row["key"]: dict(row) for row in rows}
        fresh = [values for key, values in batch.items() if key not in existing]
        now = utcnow()
        if fresh:
            last = self.session.execute(select(func.coalesce(func.max(PaperRow.id), 0))).scalar_one()
            insert_rows(self.session.connection(), [v | {"added_at": now, "updated_at": now} for v in fresh])
            index_new_rows(self.session, last)
            result.added = len(fresh)
            result.added_keys = [str(v["key"]) for v in fresh]
        for key, old in existing.items():
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
        return self.news(since)

    def news(self, added_since: datetime, published_since: datetime | None = None) -> list[Paper]:
        """Papers that arrived at or after `added_since`, newest first (the latest stored first among
        those that came together); with `published_since`, only those published then or later, or undated."""
        query = select(PaperRow).where(PaperRow.added_at >= added_since)
        if published_since is not None:
            query = query.where(or_(PaperRow.published_at.is_(None), PaperRow.published_at >= published_since))  # type: ignore[union-attr]
        query = query.order_by(PaperRow.added_at.desc(), PaperRow.id.desc())  # type: ignore[attr-defined, union-attr]
        return [to_paper(row) for row in self.session.execute(query).scalars()]

    def by_keys(self, keys: Sequence[str]) -> list[Paper]:
        """The stored papers with these keys, in no particular order."""
        found: list[Paper] = []
        for start in range(0, len(keys), 500):
            query = select(PaperRow).where(PaperRow.key.in_(list(keys[start:start + 500])))  # type: ignore[attr-defined]
            found.extend(to_paper(row) for row in self.session.execute(query).scalars())
        return found

    def recent(self, since: datetime) -> list[Paper]:
        """Papers published (or, lacking a date, stored) at or after `since`."""
        moment = since
        query = select(PaperRow).where(
            (PaperRow.published_at >= moment) | (PaperRow.published_at.is_(None) & (PaperRow.added_at >= moment))  # type: ignore[union-attr]
        )
        return [to_paper(row) for row in self.session.execute(query).scalars()]

    def count(self) -> int:
        return int(self.session.execute(select(func.count()).select_from(PaperRow)).scalar_one())
