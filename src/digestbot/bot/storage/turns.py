"""A thread's question turns in the ``question_turns`` table (created by Alembic revision
``0002_search_index``), so a thread's context survives restarts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, text


class SqlThreadTurns:
    """Implements :class:`~digestbot.bot.thread_turns.ThreadTurns`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def recent(self, thread_key: str, limit: int) -> list[tuple[str, str]]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                text("SELECT question, answer FROM question_turns WHERE thread_key = :key ORDER BY id DESC LIMIT :n"),
                {"key": thread_key, "n": limit},
            ).all()
        return [(question, answer) for question, answer in reversed(rows)]

    def add(self, thread_key: str, question: str, answer: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO question_turns (thread_key, question, answer, asked_at) "
                    "VALUES (:key, :question, :answer, :at)"
                ),
                {
                    "key": thread_key,
                    "question": question,
                    "answer": answer,
                    "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                },
            )
