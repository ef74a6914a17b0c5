"""full-text search on posts: FTS5 on SQLite, a tsvector column with a GIN index on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_UP = [
    # External-content FTS5 index over statuses.text, kept in step by triggers so that no
    # write path can forget it.
    "CREATE VIRTUAL TABLE statuses_fts USING fts5(text, content='statuses', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER statuses_fts_ai AFTER INSERT ON statuses BEGIN"
    " INSERT INTO statuses_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER statuses_fts_ad AFTER DELETE ON statuses BEGIN"
    " INSERT INTO statuses_fts(statuses_fts, rowid, text) VALUES ('delete', old.id, old.text);"
    " END",
    "CREATE TRIGGER statuses_fts_au AFTER UPDATE OF text ON statuses BEGIN"
    " INSERT INTO statuses_fts(statuses_fts, rowid, text) VALUES ('delete', old.id, old.text);"
    " INSERT INTO statuses_fts(rowid, text) VALUES (new.id, new.text); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER statuses_fts_au",
    "DROP TRIGGER statuses_fts_ad",
    "DROP TRIGGER statuses_fts_ai",
    "DROP TABLE statuses_fts",
]
POSTGRES_UP = [
    "ALTER TABLE statuses ADD COLUMN search_vector tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple', coalesce(text, ''))) STORED",
    "CREATE INDEX ix_statuses_search_vector ON statuses USING gin (search_vector)",
]
POSTGRES_DOWN = [
    "DROP INDEX ix_statuses_search_vector",
    "ALTER TABLE statuses DROP COLUMN search_vector",
]


def _run(statements: list[str]) -> None:
    for sql in statements:
        op.execute(sql)


def upgrade() -> None:
    _run(SQLITE_UP if op.get_bind().dialect.name == "sqlite" else POSTGRES_UP)


def downgrade() -> None:
    _run(SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else POSTGRES_DOWN)
