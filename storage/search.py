"""Full-text index over papers: SQLite FTS5 by default, a weighted tsvector on PostgreSQL."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import DDL, Connection, event, select, text
from sqlmodel import Session, col

from storage.tables import PaperRow, table_of
from storage.tokenizer import Fts5Splitter

# Titles, keywords and authors are searched in memory (`bot/find/title_index.py`); the engine holds
# the abstracts, which are too large for memory, for the text that describes a paper rather than
# naming it. Searched by words alone (never phrases): no positions to store halves their cost.
_TOKENIZE = "porter unicode61 remove_diacritics 2"
_FTS = f"content='paper', content_rowid='id', tokenize='{_TOKENIZE}'"
_FTS5 = Fts5Splitter(_TOKENIZE)
_ABSTRACT = (
    "INSERT INTO paper_fts_abstract(paper_fts_abstract, rowid, abstract) VALUES ('delete', old.id, old.abstract);"
)

_SQLITE_DDL = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS paper_fts_abstract USING fts5(abstract, {_FTS}, detail=none)",
    # New rows are indexed by `index_new_rows`, one statement per batch: a per-row insert trigger
    # was three quarters of the time of an ingest. Only a change to the abstract touches the index.
    f"CREATE TRIGGER IF NOT EXISTS paper_fts_abstract_ad AFTER DELETE ON paper BEGIN {_ABSTRACT} END",
    f"""CREATE TRIGGER IF NOT EXISTS paper_fts_abstract_au AFTER UPDATE OF abstract ON paper BEGIN {_ABSTRACT}
        INSERT INTO paper_fts_abstract(rowid, abstract) VALUES (new.id, new.abstract); END""",
]

# `search` holds everything (title above keywords above abstract above authors), accents folded
# (`Lähner` is found as `lahner`) as SQLite's `remove_diacritics` does.
_POSTGRES_DDL = [
    """DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'papers_english'
                       AND cfgnamespace = current_schema()::regnamespace) THEN
            CREATE TEXT SEARCH CONFIGURATION papers_english (COPY = english);
            ALTER TEXT SEARCH CONFIGURATION papers_english
                ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, english_stem;
            CREATE TEXT SEARCH CONFIGURATION papers_simple (COPY = simple);
            ALTER TEXT SEARCH CONFIGURATION papers_simple
                ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, simple;
        END IF;
    END $$""",
    """ALTER TABLE paper ADD COLUMN IF NOT EXISTS search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('papers_english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('papers_english', coalesce(keywords, '')), 'B') ||
        setweight(to_tsvector('papers_english', coalesce(abstract, '')), 'C') ||
        setweight(to_tsvector('papers_simple', coalesce(authors, '')), 'D')) STORED""",
    "CREATE INDEX IF NOT EXISTS ix_paper_search ON paper USING GIN (search)",
]

SEARCH_DDL = {"sqlite": _SQLITE_DDL, "postgresql": _POSTGRES_DDL}

for _dialect, _statements in SEARCH_DDL.items():
    for _statement in _statements:
        event.listen(table_of(PaperRow), "after_create", DDL(_statement).execute_if(dialect=_dialect))


def index_new_rows(session: Session, ids: Sequence[int]) -> None:
    """Index the papers just inserted with these ids (SQLite; PostgreSQL's generated columns need nothing)."""
    if not ids or session.get_bind().dialect.name != "sqlite":
        return
    # The inserting transaction holds SQLite's write lock, so its new ids are all the ids in their
    # range: one range scan instead of a list of thousands.
    session.execute(
        text(
            "INSERT INTO paper_fts_abstract(rowid, abstract) SELECT id, abstract FROM paper "
            "WHERE id BETWEEN :first AND :last"
        ),
        {"first": min(ids), "last": max(ids)},
    )


def install_postgres_extensions(conn: Connection) -> None:
    conn.execute(text("CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public"))


# What both engines' tokenizers call a word: letters and digits, case and accents folded.
WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_WORDS = 32
MAX_WORD = 64


def fold(text_: str) -> str:
    """Lower case without accents: `Lähner` -> `lahner`, as the index stores it."""
    if text_.isascii():
        return text_.lower()
    decomposed = unicodedata.normalize("NFKD", text_.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text_: str) -> list[str]:
    """Every word of `text_`, folded; the same split the full-text index makes."""
    return WORD.findall(fold(text_))


def words_of(query: str) -> list[str]:
    """The searchable words of user text; nothing in it survives as FTS or SQL syntax."""
    words = [w[:MAX_WORD] for w in tokens(query[:4000]) if len(w) > 1 or w.isdigit()]
    return list(dict.fromkeys(words))[:MAX_WORDS]


FEW = 300  # up to this many papers holding the words are ranked by the engine; past it the newest are taken


def abstract_candidates(session: Session, groups: Sequence[Sequence[str]], limit: int) -> list[tuple[int, float]]:
    """Papers whose abstracts (or, on PostgreSQL, any text) hold every group of words; failing that, all but one.

    A group is one word of the text with its repairs: a paper needs one word of it. Every
    word is a bound parameter, quoted as one term, so user text is never query syntax.
    Ranking costs the engine tens of microseconds a paper, seconds for a common pair of
    words at a million papers, so it ranks only a set of at most `FEW`; a larger set is one
    that these words do not tell apart, and its newest papers stand for it.
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    kept = []
    for group in groups:
        terms = [_fts5_term(w) if sqlite else w for w in group if WORD.fullmatch(w)]
        if terms := [t for t in terms if t]:
            kept.append(terms)
    if not kept:
        return []
    found = dict(_holding(session, kept, limit))
    if len(found) < limit and len(kept) >= 3:  # one word may be wrong or missing from the abstract
        for left_out in range(len(kept)):
            for paper_id, rank in _holding(session, kept[:left_out] + kept[left_out + 1 :], limit):
                found.setdefault(paper_id, rank / 2)
    return sorted(found.items(), key=lambda item: (-item[1], -item[0]))[:limit]


def _fts5_term(word: str) -> str:
    """The word as FTS5 query text: each token it makes quoted (never syntax), all of them required; "" if none."""
    pieces = [f'"{piece}"' for piece in _FTS5.split(word)]
    return "(" + " AND ".join(pieces) + ")" if len(pieces) > 1 else "".join(pieces)


def _holding(session: Session, groups: list[list[str]], limit: int) -> list[tuple[int, float]]:
    if session.get_bind().dialect.name == "postgresql":
        params = {f"g{i}_{k}": w for i, group in enumerate(groups) for k, w in enumerate(group)}
        query = " && ".join(
            "(" + " || ".join(f"plainto_tsquery('papers_english', :g{i}_{k})" for k in range(len(group))) + ")"
            for i, group in enumerate(groups)
        )
        matching = f"FROM paper, (SELECT {query} AS q) AS t WHERE numnode(q) > 0 AND search @@ q"
        ranked = f"SELECT id, ts_rank(search, q) {matching} ORDER BY 2 DESC, id"
        newest = f"SELECT id, 0 {matching} ORDER BY id DESC"
    else:
        params = {"q": " AND ".join("(" + " OR ".join(group) + ")" for group in groups)}
        matching = "FROM paper_fts_abstract WHERE paper_fts_abstract MATCH :q"
        ranked = f"SELECT rowid, -bm25(paper_fts_abstract) {matching} ORDER BY 2 DESC, rowid"
        newest = f"SELECT rowid, 0 {matching} ORDER BY rowid DESC"
    count = len(session.execute(text(f"SELECT 1 {matching} LIMIT {FEW + 1}"), params).all())
    sql = ranked if count <= FEW else newest
    return [(row[0], float(row[1])) for row in session.execute(text(f"{sql} LIMIT {int(limit)}"), params)]


def last_paper_id(session: Session) -> int:
    # Bare max(id) reads one b-tree edge; wrapped in coalesce() SQLite scans the table.
    return int(session.execute(text("SELECT max(id) FROM paper")).scalar_one() or 0)


def count_between(session: Session, after_id: int, upto_id: int) -> int:
    """How many papers have an id after `after_id` and up to `upto_id` (a range of the primary key)."""
    sql = text("SELECT count(*) FROM paper WHERE id > :after AND id <= :upto")
    return int(session.execute(sql, {"after": after_id, "upto": upto_id}).scalar_one())


def ids_between(session: Session, after_id: int, upto_id: int) -> set[int]:
    sql = text("SELECT id FROM paper WHERE id > :after AND id <= :upto")
    return {int(r[0]) for r in session.execute(sql, {"after": after_id, "upto": upto_id})}


def title_rows_of(session: Session, ids: Sequence[int]) -> list[tuple[int, str, str, str]]:
    """(id, title, keywords, authors) of the given papers, in id order."""
    if not ids:
        return []
    listed = ",".join(str(int(i)) for i in ids)  # integers from the database, never user text
    sql = text(f"SELECT id, title, keywords, authors FROM paper WHERE id IN ({listed}) ORDER BY id")
    return [(r[0], r[1], r[2], r[3]) for r in session.execute(sql)]


def title_rows(session: Session, after_id: int, batch: int = 20_000) -> Iterator[tuple[int, str, str, str]]:
    """(id, title, keywords, authors) of every paper after `after_id`, in id order, in batches."""
    sql = text("SELECT id, title, keywords, authors FROM paper WHERE id > :after ORDER BY id LIMIT :batch")
    while True:
        rows = session.execute(sql, {"after": after_id, "batch": batch}).all()
        yield from ((r[0], r[1], r[2], r[3]) for r in rows)
        if len(rows) < batch:
            return
        after_id = rows[-1][0]


def changed_rows(session: Session, since: datetime, upto_id: int) -> list[tuple[int, str, str, str]]:
    """(id, title, keywords, authors) of the papers up to `upto_id` changed after `since`."""
    query = select(col(PaperRow.id), col(PaperRow.title), col(PaperRow.keywords), col(PaperRow.authors)).where(
        col(PaperRow.updated_at) > since, col(PaperRow.id) <= upto_id
    )
    return [(r[0], r[1], r[2], r[3]) for r in session.execute(query)]


def abstracts_of(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """(title, abstract) of the given papers (find reads a handful to settle near-ties)."""
    if not ids:
        return {}
    listed = ",".join(str(int(i)) for i in ids)  # integers from the engine, never user text
    sql = text(f"SELECT id, title, abstract FROM paper WHERE id IN ({listed})")
    return {r[0]: (r[1] or "", r[2] or "") for r in session.execute(sql)}


def titles_of(session: Session, ids: Sequence[int], abstracts: bool = False) -> dict[int, tuple[str, str, str]]:
    """(title, keywords, authors) of the given papers; with `abstracts`, the abstract joins the authors."""
    if not ids:
        return {}
    listed = ",".join(str(int(i)) for i in ids)  # integers from the engine, never user text
    authors = "authors || ' ' || abstract" if abstracts else "authors"
    sql = text(f"SELECT id, title, keywords, {authors} FROM paper WHERE id IN ({listed})")
    return {r[0]: (r[1], r[2], r[3]) for r in session.execute(sql)}


def papers_identity(session: Session, last_id: int) -> str:
    """What tells this database from another: how many papers up to `last_id`, the keys of the first and that one."""
    row = session.execute(
        text(
            "SELECT count(*), (SELECT key FROM paper ORDER BY id LIMIT 1), (SELECT key FROM paper WHERE id = :id) "
            "FROM paper WHERE id <= :id"
        ),
        {"id": last_id},
    ).one()
    return f"{row[0]}:{row[1]}:{row[2]}"
