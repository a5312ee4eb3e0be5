"""The interfaces every back end implements: categorizer, summarizer and answerer.

The offline (extractive) and LLM back ends both implement them, so the pipeline, the bot and
the tests never ask which one they hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from digestbot.summarizer.models import (
    Answer,
    Backend,
    Category,
    CategoryAssignment,
    CategorySummary,
    Paper,
    PaperSummary,
    Passage,
)


class Categorizer(Protocol):
    async def categorize(self, papers: Sequence[Paper], *, language: str = "en") -> list[CategoryAssignment]:
        """Exactly one assignment per paper, in input order; ``language`` is the digest's, for
        any text a back end writes along (the LLM's one-line TL;DRs)."""
        ...


class Summarizer(Protocol):
    backend: Backend

    async def summarize_category(
        self,
        category: Category,
        papers: Sequence[Paper],
        *,
        language: str,
        day_papers: Sequence[Paper],
    ) -> CategorySummary:
        """The five-part summary of ``papers``; ``day_papers`` is the whole day, for contrast."""
        ...

    async def summarize_paper(self, paper: Paper, *, language: str) -> PaperSummary: ...


class Answerer(Protocol):
    backend: Backend

    async def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        history: Sequence[tuple[str, str]],
        language: str,
    ) -> Answer:
        """Answer only from ``passages``; ``history`` is the thread's earlier (question, answer) turns."""
        ...

    async def search_terms(self, question: str) -> str | None:
        """English search words for a question that has none to match (a Korean question), so
        its passages can be found; ``None`` when this back end cannot translate (offline)."""
        ...
