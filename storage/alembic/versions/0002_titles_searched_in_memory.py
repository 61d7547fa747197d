"""titles, keywords and authors are searched in memory: drop their full-text index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 04:05:00

`/papers find` scores titles, keywords and authors in the process (bot/title_index.py);
the engine keeps only what describes a paper (SQLite: the abstracts; PostgreSQL: the
`search` vector of everything). Dropping the title index, its triggers, the title vector and
the unused trigram index makes every ingest cheaper. Statements are frozen as at this revision.
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ABSTRACT_DELETE = (
    "INSERT INTO paper_fts_abstract(paper_fts_abstract, rowid, abstract) VALUES ('delete', old.id, old.abstract);"
)

UPGRADE = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS paper_fts_au",
        "DROP TRIGGER IF EXISTS paper_fts_ad",
        "DROP TABLE IF EXISTS paper_fts",
        f"CREATE TRIGGER IF NOT EXISTS paper_fts_abstract_ad AFTER DELETE ON paper BEGIN {_ABSTRACT_DELETE} END",
    ],
    "postgresql": [
        "DROP INDEX IF EXISTS ix_paper_search_title",
        "ALTER TABLE paper DROP COLUMN IF EXISTS search_title",
        "DROP INDEX IF EXISTS ix_paper_title_trgm",
    ],
}

DOWNGRADE = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS paper_fts_abstract_ad",
        "CREATE VIRTUAL TABLE IF NOT EXISTS paper_fts USING fts5(title, keywords, authors, content='paper', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
        "INSERT INTO paper_fts(paper_fts) VALUES ('rebuild')",
        "CREATE TRIGGER IF NOT EXISTS paper_fts_ad AFTER DELETE ON paper BEGIN\n        INSERT INTO paper_fts(paper_fts, rowid, title, keywords, authors) VALUES ('delete', old.id, old.title, old.keywords, old.authors); INSERT INTO paper_fts_abstract(paper_fts_abstract, rowid, abstract) VALUES ('delete', old.id, old.abstract); END",
        "CREATE TRIGGER IF NOT EXISTS paper_fts_au AFTER UPDATE OF title, keywords, authors ON paper BEGIN\n        INSERT INTO paper_fts(paper_fts, rowid, title, keywords, authors) VALUES ('delete', old.id, old.title, old.keywords, old.authors); INSERT INTO paper_fts(rowid, title, keywords, authors) VALUES (new.id, new.title, new.keywords, new.authors); END",
    ],
    "postgresql": [
        "ALTER TABLE paper ADD COLUMN IF NOT EXISTS search_title tsvector GENERATED ALWAYS AS (\n        setweight(to_tsvector('papers_english', coalesce(title, '')), 'A') ||\n        setweight(to_tsvector('papers_english', coalesce(keywords, '')), 'B') ||\n        setweight(to_tsvector('papers_simple', coalesce(authors, '')), 'B')) STORED",
        "CREATE INDEX IF NOT EXISTS ix_paper_search_title ON paper USING GIN (search_title)",
        "CREATE INDEX IF NOT EXISTS ix_paper_title_trgm ON paper USING GIN (lower(title) gin_trgm_ops)",
    ],
}


def upgrade() -> None:
    for statement in UPGRADE.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE.get(op.get_bind().dialect.name, []):
        op.execute(statement)
