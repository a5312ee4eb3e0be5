"""A thread's earlier questions and answers, kept as the bounded context of its next question."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from sqlalchemy import Engine, text


class ThreadTurns(Protocol):
    """A thread's earlier questions and answers, the bounded context of its next question."""

    def recent(self, thread_key: str, limit: int) -> list[tuple[str, str]]:
        """The last ``limit`` (question, answer) turns, oldest first."""
        ...

    def add(self, thread_key: str, question: str, answer: str) -> None: ...


class MemoryThreadTurns:
    def __init__(self) -> None:
        self._turns: dict[str, list[tuple[str, str]]] = {}

    def recent(self, thread_key: str, limit: int) -> list[tuple[str, str]]:
        return self._turns.get(thread_key, [])[-limit:]

    def add(self, thread_key: str, question: str, answer: str) -> None:
        self._turns.setdefault(thread_key, []).append((question, answer))


class SqlThreadTurns:
    """Turns in the ``question_turns`` table (see :mod:`.search_index`), so context survives restarts."""

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
