"""The question service's tables: search index (SQLite FTS5 or PostgreSQL tsvector), full-text cache, thread turns.

Revision ID: 0002_search_index
Revises: 0001_initial
Create Date: 2026-06-30

The DDL is dialect-specific (an FTS5 virtual table and triggers on SQLite, a generated tsvector
column and a GIN index on PostgreSQL), so it is written out here rather than generated from
``tables.py``; ``bot/questions/search_index.py`` queries these tables. ``IF NOT EXISTS`` because databases
from before this revision may have had them created outside Alembic.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0002_search_index"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

# The same tables on both databases, but for the id column and the full-text search column.
_ID = {"sqlite": "INTEGER PRIMARY KEY", "postgresql": "BIGSERIAL PRIMARY KEY"}
_TSV = """,
        tsv tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('english', title), 'A')
            || setweight(to_tsvector('english', section), 'C')
            || setweight(to_tsvector('english', body), 'B')
        ) STORED"""


def _common_ddl(dialect: str) -> list[str]:
    return [
        """CREATE TABLE IF NOT EXISTS search_papers (
        arxiv_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        title TEXT NOT NULL,
        paper_json TEXT NOT NULL
    )""",
        # ISO dates as text: identical in both databases, and they sort correctly.
        """CREATE TABLE IF NOT EXISTS search_paper_digests (
        arxiv_id TEXT NOT NULL,
        digest_date TEXT NOT NULL,
        PRIMARY KEY (arxiv_id, digest_date)
    )""",
        "CREATE INDEX IF NOT EXISTS search_paper_digests_date ON search_paper_digests (digest_date)",
        """CREATE TABLE IF NOT EXISTS fulltext_cache (
        cache_key TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        fetched_at TEXT NOT NULL
    )""",
        f"""CREATE TABLE IF NOT EXISTS question_turns (
        id {_ID[dialect]},
        thread_key TEXT NOT NULL,
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        asked_at TEXT NOT NULL
    )""",
        "CREATE INDEX IF NOT EXISTS question_turns_thread ON question_turns (thread_key, id)",
        f"""CREATE TABLE IF NOT EXISTS search_documents (
        id {_ID[dialect]},
        arxiv_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        chunk_no INTEGER NOT NULL,
        section TEXT NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL{_TSV if dialect == "postgresql" else ""}
    )""",
        "CREATE INDEX IF NOT EXISTS search_documents_paper ON search_documents (arxiv_id, kind)",
    ]


_SQLITE_DDL = [
    *_common_ddl("sqlite"),
    # An external-content FTS5 table kept in step by triggers (the FTS5 manual's recipe), so a
    # paper's rows are deleted through the ordinary index above instead of a full-text scan.
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
        section, title, body,
        content='search_documents', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_ai AFTER INSERT ON search_documents BEGIN
        INSERT INTO search_fts (rowid, section, title, body) VALUES (new.id, new.section, new.title, new.body);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_documents_ad AFTER DELETE ON search_documents BEGIN
        INSERT INTO search_fts (search_fts, rowid, section, title, body)
        VALUES ('delete', old.id, old.section, old.title, old.body);
    END""",
]
_POSTGRES_DDL = [
    *_common_ddl("postgresql"),
    "CREATE INDEX IF NOT EXISTS search_documents_tsv ON search_documents USING GIN (tsv)",
]
_DROP = [
    "DROP TABLE IF EXISTS search_fts",
    "DROP TABLE IF EXISTS search_documents",
    "DROP TABLE IF EXISTS search_paper_digests",
    "DROP TABLE IF EXISTS search_papers",
    "DROP TABLE IF EXISTS fulltext_cache",
    "DROP TABLE IF EXISTS question_turns",
]


def upgrade() -> None:
    bind = op.get_bind()
    for statement in _POSTGRES_DDL if bind.dialect.name == "postgresql" else _SQLITE_DDL:
        bind.execute(text(statement))


def downgrade() -> None:
    for statement in _DROP:
        op.get_bind().execute(text(statement))
