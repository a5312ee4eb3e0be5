"""A thread's earlier questions and answers, kept as the bounded context of its next question."""

from __future__ import annotations

from typing import Protocol


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
