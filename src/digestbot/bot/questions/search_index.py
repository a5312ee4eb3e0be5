"""Retrieval over stored papers: their titles and abstracts, and their full text when fetched.

One table of documents (a paper's abstract, or one chunk of its full text), ranked by the
database's own full-text search: SQLite FTS5 with ``bm25()`` (the default ``DATABASE_URL`` and
in-memory databases; the Porter stemmer lets "quantized" find "quantization"), or PostgreSQL's
``tsvector`` / ``websearch_to_tsquery`` / ``ts_rank`` when several instances share a Postgres.
Both are searched with the question's own words, never with syntax a user could inject:
each word is quoted for FTS5, and ``websearch_to_tsquery`` accepts any text.

The tables (the index, the full-text cache and the threads' question turns) are Alembic's, like
every other table: revision ``0002_search_index`` creates them, dialect by dialect.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, TextClause, bindparam, text

from digestbot.summarizer.models import Digest, Paper, Passage
from digestbot.summarizer.offline.answerer import query_terms
from digestbot.summarizer.sources.fulltext import Section
from digestbot.summarizer.stemming import stem

if TYPE_CHECKING:
    from digestbot.bot.digests import DigestStore

SNIPPET_CHARS = 240
_MAX_QUERY_TERMS = 24
_INDEX_LOCK_ID = 7_240_511_002  # arbitrary but fixed, beside the migration lock (storage/db.py)

# bm25() column weights: section, title, body — a title match says most about a paper.
_SQLITE_RANKED = """
    SELECT d.arxiv_id, d.kind, d.section, d.body
    FROM search_fts JOIN search_documents d ON d.id = search_fts.rowid
    WHERE search_fts MATCH :match {filters}
    ORDER BY bm25(search_fts, 0.5, 2.0, 1.0) LIMIT :limit
"""
# Ranked on ids alone, bodies fetched for the winners only: sorting thousands of matches with
# their (TOASTed) bodies attached was most of the query's time.
_POSTGRES_RANKED = """
    SELECT doc.arxiv_id, doc.kind, doc.section, doc.body
    FROM (
        SELECT d.id, ts_rank(d.tsv, q) AS rank
        FROM search_documents d, websearch_to_tsquery('english', :match) AS q
        WHERE d.tsv @@ q {filters}
        ORDER BY rank DESC LIMIT :limit
    ) AS top JOIN search_documents doc ON doc.id = top.id
    ORDER BY top.rank DESC
"""


def _in_ids(sql: str) -> TextClause:
    """A statement whose ``:ids`` is a list (``IN (...)`` with one parameter per id)."""
    return text(sql).bindparams(bindparam("ids", expanding=True))


@dataclass(frozen=True)
class IndexHit:
    """A paper found by a search, the latest digest it appeared in, and the matching text."""

    paper: Paper
    digest_date: dt.date | None
    snippet: str


@dataclass(frozen=True)
class _Row:
    arxiv_id: str
    kind: str
    section: str
    body: str


class SearchIndex:
    """Papers and their passages, searchable; every method is one short transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"

    def index_digest(self, digest: Digest) -> None:
        self.index_papers(digest.papers, digest_date=digest.date)

    def index_papers(self, papers: Sequence[Paper], *, digest_date: dt.date | None = None) -> None:
        """Add papers (title and abstract); a paper already indexed at the same version is left
        alone, a new version replaces the old one's abstract."""
        if not papers:
            return
        ids = list(dict.fromkeys(p.arxiv_id for p in papers))
        with self._engine.begin() as connection:
            _one_writer(connection)
            known: dict[str, int] = dict(
                connection.execute(
                    _in_ids("SELECT arxiv_id, version FROM search_papers WHERE arxiv_id IN :ids"), {"ids": ids}
                ).all()
            )
            changed = list({p.arxiv_id: p for p in papers if known.get(p.arxiv_id) != p.version}.values())
            stale = [p.arxiv_id for p in changed if p.arxiv_id in known]
            if stale:
                _delete_documents(connection, stale, kind="abstract")
                connection.execute(_in_ids("DELETE FROM search_papers WHERE arxiv_id IN :ids"), {"ids": stale})
            if changed:
                connection.execute(
                    text(
                        "INSERT INTO search_papers (arxiv_id, version, title, paper_json) "
                        "VALUES (:arxiv_id, :version, :title, :paper_json) ON CONFLICT (arxiv_id) DO NOTHING"
                    ),
                    [_paper_row(p) for p in changed],
                )
                _insert_documents(connection, [_abstract_row(p) for p in changed])
            if digest_date is not None:
                connection.execute(
                    text(
                        "INSERT INTO search_paper_digests (arxiv_id, digest_date) VALUES (:arxiv_id, :day) "
                        "ON CONFLICT DO NOTHING"
                    ),
                    [{"arxiv_id": arxiv_id, "day": digest_date.isoformat()} for arxiv_id in ids],
                )

    def index_chunks(self, arxiv_id: str, chunks: Sequence[Section]) -> None:
        """Replace a paper's full-text chunks. The title stays on the abstract row only, so the
        title's words do not make every chunk of the paper rank."""
        rows = [
            {"arxiv_id": arxiv_id, "kind": "fulltext", "chunk_no": number, "section": chunk.title, "title": "",
             "body": chunk.text}
            for number, chunk in enumerate(chunks, start=1)
        ]  # fmt: skip
        with self._engine.begin() as connection:
            _one_writer(connection)
            _delete_documents(connection, [arxiv_id], kind="fulltext")
            _insert_documents(connection, rows)

    def has_digest(self, day: dt.date) -> bool:
        return self._exists("SELECT 1 FROM search_paper_digests WHERE digest_date = :day LIMIT 1", day=day.isoformat())

    def has_chunks(self, arxiv_id: str) -> bool:
        return self._exists(
            "SELECT 1 FROM search_documents WHERE arxiv_id = :id AND kind = 'fulltext' LIMIT 1", id=arxiv_id
        )

    def is_empty(self) -> bool:
        """True when no digest has been indexed yet."""
        return not self._exists("SELECT 1 FROM search_paper_digests LIMIT 1")

    def papers(self, arxiv_ids: Iterable[str]) -> dict[str, Paper]:
        """Stored papers by id, in the order asked (ids not stored are absent)."""
        wanted = list(dict.fromkeys(arxiv_ids))
        if not wanted:
            return {}
        with self._engine.connect() as connection:
            rows = connection.execute(
                _in_ids("SELECT arxiv_id, paper_json FROM search_papers WHERE arxiv_id IN :ids"), {"ids": wanted}
            ).all()
        found = {arxiv_id: Paper.model_validate_json(body) for arxiv_id, body in rows}
        return {arxiv_id: found[arxiv_id] for arxiv_id in wanted if arxiv_id in found}

    def search(self, words: str, *, limit: int = 10, arxiv_ids: Sequence[str] | None = None) -> list[IndexHit]:
        """Papers whose title or abstract has all the words (or, failing that, any of them)."""
        terms = query_terms(words)[:_MAX_QUERY_TERMS]
        if not terms:
            return []
        rows = self._ranked(terms, every=True, kind="abstract", arxiv_ids=arxiv_ids, limit=limit)
        if not rows and len(terms) > 1:
            rows = self._ranked(terms, every=False, kind="abstract", arxiv_ids=arxiv_ids, limit=limit)
        papers = self.papers(r.arxiv_id for r in rows)
        dates = self._latest_dates([r.arxiv_id for r in rows])
        return [
            IndexHit(paper=papers[r.arxiv_id], digest_date=dates.get(r.arxiv_id), snippet=snippet(r.body, terms))
            for r in rows
            if r.arxiv_id in papers
        ]

    def passages_for(self, question: str, arxiv_ids: Sequence[str], limit: int) -> list[Passage]:
        """The abstracts and full-text chunks of ``arxiv_ids`` that best match the question; at
        most half of them from one paper, unless only one paper is asked about."""
        terms = query_terms(question)[:_MAX_QUERY_TERMS]
        if not terms or not arxiv_ids:
            return []
        rows = self._ranked(terms, every=False, kind=None, arxiv_ids=arxiv_ids, limit=limit * 3)
        per_paper = limit if len(set(arxiv_ids)) == 1 else max(1, (limit + 1) // 2)
        titles = {arxiv_id: paper.title for arxiv_id, paper in self.papers(r.arxiv_id for r in rows).items()}
        taken: dict[str, int] = {}
        passages: list[Passage] = []
        for row in rows:
            if taken.get(row.arxiv_id, 0) == per_paper:
                continue
            taken[row.arxiv_id] = taken.get(row.arxiv_id, 0) + 1
            passages.append(
                Passage(arxiv_id=row.arxiv_id, title=titles.get(row.arxiv_id, ""), text=row.body, section=row.section)
            )
            if len(passages) == limit:
                break
        return passages

    def _ranked(
        self, terms: list[str], *, every: bool, kind: str | None, arxiv_ids: Sequence[str] | None, limit: int
    ) -> list[_Row]:
        filters = []
        params: dict[str, Any] = {"limit": limit}
        if kind is not None:
            filters.append("AND d.kind = :kind")
            params["kind"] = kind
        if arxiv_ids is not None:
            filters.append("AND d.arxiv_id IN :ids")
            params["ids"] = list(arxiv_ids)
        if self._postgres:
            params["match"] = (" " if every else " or ").join(terms)
            sql = _POSTGRES_RANKED
        else:
            params["match"] = (" AND " if every else " OR ").join(f'"{term}"' for term in terms)
            sql = _SQLITE_RANKED
        sql = sql.format(filters=" ".join(filters))
        statement = _in_ids(sql) if arxiv_ids is not None else text(sql)
        with self._engine.connect() as connection:
            rows = connection.execute(statement, params).all()
        return [_Row(arxiv_id=r[0], kind=r[1], section=r[2], body=r[3]) for r in rows]

    def _latest_dates(self, arxiv_ids: list[str]) -> dict[str, dt.date]:
        if not arxiv_ids:
            return {}
        with self._engine.connect() as connection:
            rows = connection.execute(
                _in_ids(
                    "SELECT arxiv_id, MAX(digest_date) FROM search_paper_digests "
                    "WHERE arxiv_id IN :ids GROUP BY arxiv_id"
                ),
                {"ids": arxiv_ids},
            ).all()
        return {arxiv_id: dt.date.fromisoformat(day) for arxiv_id, day in rows}

    def _exists(self, sql: str, **params: str) -> bool:
        with self._engine.connect() as connection:
            return connection.execute(text(sql), params).first() is not None


def _paper_row(paper: Paper) -> dict[str, Any]:
    return {
        "arxiv_id": paper.arxiv_id,
        "version": paper.version,
        "title": paper.title,
        "paper_json": paper.model_dump_json(),
    }


def _abstract_row(paper: Paper) -> dict[str, Any]:
    return {
        "arxiv_id": paper.arxiv_id,
        "kind": "abstract",
        "chunk_no": 0,
        "section": "abstract",
        "title": paper.title,
        "body": paper.abstract,
    }


def _one_writer(connection: Connection) -> None:
    """Make this indexing transaction's read-then-write atomic across instances: several bots on
    one PostgreSQL index the same digest at once (each both saw a paper missing and inserted it,
    and one failed on the primary key). SQLite's ``BEGIN IMMEDIATE`` already admits one writer."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _INDEX_LOCK_ID})


def _delete_documents(connection: Connection, arxiv_ids: list[str], *, kind: str) -> None:
    connection.execute(
        _in_ids("DELETE FROM search_documents WHERE kind = :kind AND arxiv_id IN :ids"),
        {"kind": kind, "ids": arxiv_ids},
    )


def _insert_documents(connection: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        connection.execute(
            text(
                "INSERT INTO search_documents (arxiv_id, kind, chunk_no, section, title, body) "
                "VALUES (:arxiv_id, :kind, :chunk_no, :section, :title, :body)"
            ),
            rows,
        )


def snippet(body: str, terms: Sequence[str], width: int = SNIPPET_CHARS) -> str:
    """About ``width`` characters of ``body`` around its first matching word, cut at spaces."""
    flat = " ".join(body.split())
    if len(flat) <= width:
        return flat
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(stem(t)) for t in terms) + ")", re.IGNORECASE)
    found = pattern.search(flat)
    start = max(0, (found.start() if found else 0) - width // 3)
    if start:
        start = flat.find(" ", start) + 1 or start
    end = min(len(flat), start + width)
    if end < len(flat):
        space = flat.rfind(" ", start, end)
        end = space if space > start else end
    return ("…" if start else "") + flat[start:end].strip() + ("…" if end < len(flat) else "")


class IndexingDigestStore:
    """A digest store that also indexes every digest it saves, so ``/digest search`` finds every
    stored digest without a separate indexing step. Wrap the bot's store with it."""

    def __init__(self, inner: DigestStore, index: SearchIndex) -> None:
        self.inner = inner
        self.index = index

    def load_digest(self, day: dt.date | None, language: str, source: str) -> Digest | None:
        return self.inner.load_digest(day, language, source)

    def recent_digests(self, before: dt.date, *, language: str, source: str, days: int) -> list[Digest]:
        return self.inner.recent_digests(before, language=language, source=source, days=days)

    def save_digest(self, digest: Digest) -> None:
        self.inner.save_digest(digest)
        self.index.index_digest(digest)
