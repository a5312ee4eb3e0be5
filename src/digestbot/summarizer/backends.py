"""The interfaces every back end implements: categorizer, summarizer and answerer.

The offline (extractive) and LLM back ends both implement them, so the pipeline, the bot and
the tests never ask which one they hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class CategoryBatch:
    """What a summarizer is given for one category: its papers, and the whole day's for contrast
    (the offline back end weighs a phrase by how particular it is to the category that day).

    One object rather than four arguments, so that every back end and every wrapper around one
    (fallbacks, the wanted-categories filter) passes the same thing on unchanged.
    """

    category: Category
    papers: Sequence[Paper]
    day_papers: Sequence[Paper]
    language: str


@dataclass(frozen=True)
class Question:
    """What an answerer is asked: the question, the only passages it may answer from, and the
    thread's earlier (question, answer) turns, which give a follow-up its referents."""

    text: str
    passages: Sequence[Passage]
    history: Sequence[tuple[str, str]] = ()
    language: str = "en"


class Summarizer(Protocol):
    backend: Backend

    async def summarize_category(self, batch: CategoryBatch) -> CategorySummary:
        """The five-part summary of ``batch.papers``."""
        ...

    async def summarize_paper(self, paper: Paper, *, language: str) -> PaperSummary: ...


class Answerer(Protocol):
    backend: Backend

    async def answer(self, question: Question) -> Answer:
        """Answer only from ``question.passages``."""
        ...

    async def search_terms(self, question: str) -> str | None:
        """English search words for a question that has none to match (a Korean question), so
        its passages can be found; ``None`` when this back end cannot translate (offline)."""
        ...
