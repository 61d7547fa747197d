"""What the meaning index (`bot/retrieval/`) reads of the papers: their text, by id, new or changed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

Row = tuple[int, str, str, str, str]  # id, title, abstract, AI summary, keywords

_COLUMNS = "id, title, abstract, coalesce(ai_summary, ''), keywords"


def rows_after(session: Session, after_id: int, batch: int = 5_000) -> Iterator[Row]:
    """Every paper after `after_id`, in id order, read in batches (a million abstracts never sit in memory)."""
    sql = text(f"SELECT {_COLUMNS} FROM paper WHERE id > :after ORDER BY id LIMIT :batch")
    while True:
        rows = session.execute(sql, {"after": after_id, "batch": batch}).all()
        yield from ((r[0], r[1], r[2], r[3], r[4]) for r in rows)
        if len(rows) < batch:
            return
        after_id = rows[-1][0]


def changed_rows(session: Session, since: datetime, upto_id: int) -> list[Row]:
    """The papers up to `upto_id` changed after `since` (a new abstract, summary, keywords or upvotes); not
    those only inserted since (their `updated_at` is their `added_at`): a restart just after a large ingest
    would read them all again."""
    sql = text(f"SELECT {_COLUMNS} FROM paper WHERE updated_at > :since AND updated_at > added_at AND id <= :upto")
    return [(r[0], r[1], r[2], r[3], r[4]) for r in session.execute(sql, {"since": since, "upto": upto_id})]


def rows_of(session: Session, ids: Sequence[int]) -> list[Row]:
    """The given papers' rows, in id order."""
    if not ids:
        return []
    listed = ",".join(str(int(i)) for i in ids)  # integers from the database, never user text
    sql = text(f"SELECT {_COLUMNS} FROM paper WHERE id IN ({listed}) ORDER BY id")
    return [(r[0], r[1], r[2], r[3], r[4]) for r in session.execute(sql)]


def texts_of(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str, str, str]]:
    """(title, abstract, AI summary, keywords) of the given papers."""
    if not ids:
        return {}
    listed = ",".join(str(int(i)) for i in ids)  # integers from the index, never user text
    sql = text(f"SELECT {_COLUMNS} FROM paper WHERE id IN ({listed})")
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in session.execute(sql)}
