"""Full-text index over papers: SQLite FTS5 by default, a weighted tsvector on PostgreSQL."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence

from sqlalchemy import DDL, Connection, event, text
from sqlmodel import Session

from storage.tables import PaperRow

# Two external-content FTS5 tables: the short text find ranks (title, keywords, authors; bm25
# weights in that order) and the abstracts. Kept apart because bm25 reads every posting of
# each query word to weigh it: with abstracts in the same table, one common word costs a
# find tens of milliseconds at a million papers.
_FTS = "content='paper', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'"
_SHORT = ("title", "keywords", "authors")


def _insert(table: str, columns: tuple[str, ...], row: str, delete: bool = False) -> str:
    names = ", ".join(columns)
    values = ", ".join(f"{row}.{c}" for c in columns)
    if delete:
        return f"INSERT INTO {table}({table}, rowid, {names}) VALUES ('delete', {row}.id, {values});"
    return f"INSERT INTO {table}(rowid, {names}) VALUES ({row}.id, {values});"


_SQLITE_DDL = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS paper_fts USING fts5(title, keywords, authors, {_FTS})",
    # Abstracts are searched by words alone (never phrases): no positions to store halves their cost.
    f"CREATE VIRTUAL TABLE IF NOT EXISTS paper_fts_abstract USING fts5(abstract, {_FTS}, detail=none)",
    # New rows are indexed by `index_new_rows`, one statement per batch: a per-row insert trigger
    # was three quarters of the time of an ingest.
    f"""CREATE TRIGGER IF NOT EXISTS paper_fts_ad AFTER DELETE ON paper BEGIN
        {_insert("paper_fts", _SHORT, "old", True)} {_insert("paper_fts_abstract", ("abstract",), "old", True)} END""",
    # Only a change to indexed text touches an index: upvote refreshes stay cheap.
    f"""CREATE TRIGGER IF NOT EXISTS paper_fts_au AFTER UPDATE OF title, keywords, authors ON paper BEGIN
        {_insert("paper_fts", _SHORT, "old", True)} {_insert("paper_fts", _SHORT, "new")} END""",
    f"""CREATE TRIGGER IF NOT EXISTS paper_fts_abstract_au AFTER UPDATE OF abstract ON paper BEGIN
        {_insert("paper_fts_abstract", ("abstract",), "old", True)} {_insert("paper_fts_abstract", ("abstract",), "new")} END""",
]

# `search` ranks everything (title above keywords above abstract above authors); `search_title`
# is the small vector that find ranks on, so that a query never reads abstracts it does not need.
# Both fold accents (`Lähner` is found as `lahner`), as SQLite's `remove_diacritics` does.
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
    """ALTER TABLE paper ADD COLUMN IF NOT EXISTS search_title tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('papers_english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('papers_english', coalesce(keywords, '')), 'B') ||
        setweight(to_tsvector('papers_simple', coalesce(authors, '')), 'B')) STORED""",
    "CREATE INDEX IF NOT EXISTS ix_paper_search_title ON paper USING GIN (search_title)",
    "CREATE INDEX IF NOT EXISTS ix_paper_title_trgm ON paper USING GIN (lower(title) gin_trgm_ops)",
]

SEARCH_DDL = {"sqlite": _SQLITE_DDL, "postgresql": _POSTGRES_DDL}

for _dialect, _statements in SEARCH_DDL.items():
    for _statement in _statements:
        event.listen(PaperRow.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))


def index_new_rows(session: Session, after_id: int) -> None:
    """Index the papers inserted after `after_id` (SQLite; PostgreSQL's generated columns need nothing)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    for table, columns in (("paper_fts", _SHORT), ("paper_fts_abstract", ("abstract",))):
        names = ", ".join(columns)
        session.execute(text(f"INSERT INTO {table}(rowid, {names}) SELECT id, {names} FROM paper WHERE id > :after"),
                        {"after": after_id})


def install_postgres_extensions(conn: Connection) -> None:
    conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
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


def candidates(session: Session, words: Sequence[str], limit: int = 500) -> list[tuple[int, float]]:
    """Paper ids whose text has any of `words`, best first by bm25 (SQLite) or ts_rank (PostgreSQL).

    Every word is passed as a bound parameter and quoted as a single term, so user text is
    never query syntax; the score is higher-is-better on both engines.
    """
    words = [w for w in words if w and WORD.fullmatch(w)]
    if not words:
        return []
    if session.get_bind().dialect.name == "postgresql":
        params: dict[str, object] = {f"w{i}": w for i, w in enumerate(words)}
        query = " || ".join(f"plainto_tsquery('papers_english', :w{i})" for i in range(len(words)))
        sql = text(
            f"SELECT id, ts_rank(search, q) AS rank FROM paper, (SELECT {query} AS q) AS t "
            "WHERE numnode(q) > 0 AND search @@ q ORDER BY rank DESC, id LIMIT :limit"
        )
        return [(row[0], float(row[1])) for row in session.execute(sql, params | {"limit": limit})]
    match = " OR ".join(f'"{w}"' for w in words)  # `WORD` leaves no quote to escape
    sql = text(
        "SELECT id, max(rank) AS best FROM ("
        "SELECT rowid AS id, -bm25(paper_fts, 10.0, 4.0, 3.0) AS rank FROM paper_fts WHERE paper_fts MATCH :q "
        "UNION ALL SELECT rowid, -0.3 * bm25(paper_fts_abstract) FROM paper_fts_abstract WHERE paper_fts_abstract MATCH :q"
        ") GROUP BY id ORDER BY best DESC, id LIMIT :limit"
    )
    return [(row[0], float(row[1])) for row in session.execute(sql, {"q": match, "limit": limit})]


def find_candidates(session: Session, groups: Sequence[Sequence[str]], singles: int, paired: int, limit: int,
                    titles_only: bool = True,
                    branches: Sequence[Sequence[int]] | None = None) -> list[tuple[int, float]]:
    """Papers for find: those holding one of the first `singles` groups, or two of the first `paired`.

    A group is one query word with its repairs (`exploraton` -> `exploration`); a paper needs
    one word of a group. Callers put rare groups first: asking for two common words together
    keeps the number of papers the engine must rank small. `branches`, when given, replaces
    `singles` and `paired`: a paper needs every group of one branch (group indices), so the
    caller can ask for three common words together where two would still match thousands.
    `titles_only` looks in titles, keywords and authors; otherwise in abstracts.
    """
    kept = [[w for w in g if WORD.fullmatch(w)] for g in groups]
    if branches is None:
        paired = min(paired, len(groups))
        singles = min(singles, len(groups))
        branches = [(i,) for i in range(singles)]
        branches += [(i, j) for i in range(singles, paired) for j in range(i + 1, paired)]
    branches = [tuple(i for i in b if 0 <= i < len(kept) and kept[i]) for b in branches]
    branches = list(dict.fromkeys(b for b in branches if b))
    groups = kept
    if not branches:
        branches = [(i,) for i, g in enumerate(groups) if g][:1]
    if not branches:
        return []
    if session.get_bind().dialect.name == "postgresql":
        params: dict[str, object] = {"limit": limit}
        names = []
        for i, group in enumerate(groups):
            names.append(" || ".join(f"plainto_tsquery('papers_english', :g{i}_{k})" for k in range(len(group))))
            params |= {f"g{i}_{k}": w for k, w in enumerate(group)}
        query = " || ".join("(" + " && ".join(f"({names[i]})" for i in branch) + ")" for branch in branches)
        column = "search_title" if titles_only else "search"
        sql = text(
            f"SELECT id, ts_rank({column}, q) AS rank FROM paper, (SELECT {query} AS q) AS t "
            f"WHERE numnode(q) > 0 AND {column} @@ q ORDER BY rank DESC, id LIMIT :limit"
        )
        return [(row[0], float(row[1])) for row in session.execute(sql, params)]
    names = ["(" + " OR ".join(f'"{w}"' for w in group) + ")" for group in groups]
    match = " OR ".join("(" + " AND ".join(names[i] for i in branch) + ")" for branch in branches)
    table, weights = ("paper_fts", "10.0, 4.0, 3.0") if titles_only else ("paper_fts_abstract", "1.0")
    sql = text(f"SELECT rowid, bm25({table}, {weights}) AS rank FROM {table} WHERE {table} MATCH :q ORDER BY rank LIMIT :limit")
    return [(row[0], -float(row[1])) for row in session.execute(sql, {"q": match, "limit": limit})]


def last_paper_id(session: Session) -> int:
    # Bare max(id) reads one b-tree edge; wrapped in coalesce() SQLite scans the table.
    return int(session.execute(text("SELECT max(id) FROM paper")).scalar_one() or 0)


def title_rows(session: Session, after_id: int, batch: int = 20_000) -> Iterator[tuple[int, str, str, str]]:
    """(id, title, keywords, authors) of every paper after `after_id`, in id order, in batches."""
    sql = text("SELECT id, title, keywords, authors FROM paper WHERE id > :after ORDER BY id LIMIT :batch")
    while True:
        rows = session.execute(sql, {"after": after_id, "batch": batch}).all()
        yield from ((r[0], r[1], r[2], r[3]) for r in rows)
        if len(rows) < batch:
            return
        after_id = rows[-1][0]


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
