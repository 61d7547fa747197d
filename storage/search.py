"""Full-text index over papers: SQLite FTS5 by default, a weighted tsvector on PostgreSQL."""

from __future__ import annotations

import re

from sqlalchemy import DDL, Connection, event, text
from sqlmodel import Session

from storage.tables import PaperRow

_SQLITE_DDL = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS paper_fts USING fts5(
        title, keywords, abstract, authors,
        content='paper', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER IF NOT EXISTS paper_fts_ai AFTER INSERT ON paper BEGIN
        INSERT INTO paper_fts(rowid, title, keywords, abstract, authors)
        VALUES (new.id, new.title, new.keywords, new.abstract, new.authors); END""",
    """CREATE TRIGGER IF NOT EXISTS paper_fts_ad AFTER DELETE ON paper BEGIN
        INSERT INTO paper_fts(paper_fts, rowid, title, keywords, abstract, authors)
        VALUES ('delete', old.id, old.title, old.keywords, old.abstract, old.authors); END""",
    # Only a change to indexed text touches the index: upvote refreshes stay cheap.
    """CREATE TRIGGER IF NOT EXISTS paper_fts_au AFTER UPDATE OF title, keywords, abstract, authors
        ON paper BEGIN
        INSERT INTO paper_fts(paper_fts, rowid, title, keywords, abstract, authors)
        VALUES ('delete', old.id, old.title, old.keywords, old.abstract, old.authors);
        INSERT INTO paper_fts(rowid, title, keywords, abstract, authors)
        VALUES (new.id, new.title, new.keywords, new.abstract, new.authors); END""",
]

_POSTGRES_DDL = [
    """ALTER TABLE paper ADD COLUMN IF NOT EXISTS search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(keywords, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(abstract, '')), 'C') ||
        setweight(to_tsvector('simple', coalesce(authors, '')), 'D')) STORED""",
    "CREATE INDEX IF NOT EXISTS ix_paper_search ON paper USING GIN (search)",
    "CREATE INDEX IF NOT EXISTS ix_paper_title_trgm ON paper USING GIN (lower(title) gin_trgm_ops)",
]

SEARCH_DDL = {"sqlite": _SQLITE_DDL, "postgresql": _POSTGRES_DDL}

for _dialect, _statements in SEARCH_DDL.items():
    for _statement in _statements:
        event.listen(PaperRow.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))


def install_postgres_extensions(conn: Connection) -> None:
    conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))


WORD = re.compile(r"\w+", re.UNICODE)


def words_of(query: str) -> list[str]:
    """The searchable words of user text; nothing in it survives as FTS or SQL syntax."""
    return [w.lower() for w in WORD.findall(query) if len(w) > 1 or w.isdigit()][:32]


def candidates(session: Session, words: list[str], limit: int = 500) -> list[tuple[int, float]]:
    """Paper ids whose text has any of `words`, best first by bm25 (SQLite) or ts_rank (PostgreSQL)."""
    if not words:
        return []
    if session.get_bind().dialect.name == "postgresql":
        sql = text(
            "SELECT id, ts_rank(search, q) AS rank FROM paper, to_tsquery('english', :q) q "
            "WHERE search @@ q ORDER BY rank DESC LIMIT :limit"
        )
        query = " | ".join(f"'{w}'" for w in words)
        return [(row[0], float(row[1])) for row in session.execute(sql, {"q": query, "limit": limit})]
    sql = text(
        "SELECT rowid, bm25(paper_fts, 10.0, 4.0, 1.0, 2.0) AS rank FROM paper_fts "
        "WHERE paper_fts MATCH :q ORDER BY rank LIMIT :limit"
    )
    query = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
    return [(row[0], -float(row[1])) for row in session.execute(sql, {"q": query, "limit": limit})]
