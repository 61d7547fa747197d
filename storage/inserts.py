"""Writing many papers at once: an insert that leaves keys already taken alone, and what counts as a refused row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from storage.tables import PaperRow, table_of

ROWS_PER_INSERT = 500  # rows of one SQLite INSERT statement: 9,000 parameters, under its 32,766


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
    table = table_of(PaperRow)
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
        part = params[start : start + ROWS_PER_INSERT]
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
