"""The notes the LLM back end attaches to what it produced, in the digest's language.

A degraded section must say so (users of other bots complain most about summaries that were
secretly just the abstract), so every fallback and every grounding correction leaves a note.
"""

from __future__ import annotations

from collections.abc import Sequence

from digestbot.summarizer.models import CategoryAssignment
from digestbot.summarizer.phrases import table

OFFLINE_FALLBACK = "offline fallback"
"""How the reason of an assignment the offline categorizer made in the model's place begins
(for people reading it; code asks ``CategoryAssignment.fallback``)."""

_PHRASES = table("llm")  # the catalog: summarizer/phrases.py


def note(kind: str, language: str, **values: object) -> str:
    phrases = _PHRASES.get(language) or _PHRASES.get(language.split("-")[0]) or _PHRASES["en"]
    return phrases[kind].format(**values)


def categorized_offline_note(assignments: Sequence[CategoryAssignment], language: str) -> list[str]:
    """A digest-level note when some papers were categorized offline in the model's place."""
    count = sum(a.fallback for a in assignments)
    return [note("categorized_offline", language, count=count)] if count else []
