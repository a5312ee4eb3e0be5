"""Fetched full text in the ``fulltext_cache`` table (created by Alembic revision
``0002_search_index``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, text


class SqlFullTextCache:
    """The full-text cache (:class:`~digestbot.summarizer.sources.fulltext.FullTextCache`) in the
    database: a paper's text is fetched from arXiv once, ever, not once per process."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, key: str) -> str | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                text("SELECT body FROM fulltext_cache WHERE cache_key = :key"), {"key": key}
            ).first()
        return None if row is None else str(row[0])

    def put(self, key: str, body: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO fulltext_cache (cache_key, body, fetched_at) VALUES (:key, :body, :at) "
                    "ON CONFLICT (cache_key) DO UPDATE SET body = excluded.body, fetched_at = excluded.fetched_at"
                ),
                {"key": key, "body": body, "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
            )
