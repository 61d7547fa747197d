"""Each paper's hashed word counts, stored once counted, so that a fresh process need not stem papers again."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from storage.tables import PaperWordsRow, table_of

CHUNK = 500  # keys per IN (...): well under every driver's parameter limit
Counted = tuple[str, bytes, bytes]  # (text hash, columns, counts)


class WordsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def load(self, keys: Sequence[str]) -> dict[str, Counted]:
        """The stored counts of those of `keys` that have some."""
        found: dict[str, Counted] = {}
        table = table_of(PaperWordsRow)
        query = select(table.c.key, table.c.text_hash, table.c.columns, table.c.counts)
        for start in range(0, len(keys), CHUNK):
            rows = self.session.execute(query.where(table.c.key.in_(keys[start : start + CHUNK])))
            found.update({key: (text_hash, columns, counts) for key, text_hash, columns, counts in rows})
        return found

    def store(self, counted: Iterable[tuple[str, Counted]]) -> None:
        """Keep each paper's counts, replacing those of a text it no longer has; in key order, so that two
        processes storing the same papers take their rows in one order and never deadlock."""
        rows = [
            {"key": key, "text_hash": text_hash, "columns": columns, "counts": counts}
            for key, (text_hash, columns, counts) in sorted(dict(counted).items())
        ]
        if not rows:
            return
        table = table_of(PaperWordsRow)
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        for start in range(0, len(rows), CHUNK):
            statement = insert(table).values(rows[start : start + CHUNK])
            changed = {name: statement.excluded[name] for name in ("text_hash", "columns", "counts")}
            self.session.execute(statement.on_conflict_do_update(index_elements=["key"], set_=changed))
