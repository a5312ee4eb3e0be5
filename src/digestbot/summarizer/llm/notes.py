"""The notes the LLM back end attaches to a digest, and how its fallback reasons begin.

A degraded section must say so (users of other bots complain most about summaries that were
secretly just the abstract), so every fallback and every grounding correction leaves a note: a
typed :class:`~digestbot.summarizer.models.Note` (a key in the catalog's ``llm`` section and its
values), worded in the reader's language only when it is rendered.
"""

from __future__ import annotations

from collections.abc import Sequence

from digestbot.summarizer.models import CategoryAssignment, Note

OFFLINE_FALLBACK = "offline fallback"
"""How the reason of an assignment the offline categorizer made in the model's place begins
(for people reading it; code asks ``CategoryAssignment.fallback``)."""


def categorized_offline_note(assignments: Sequence[CategoryAssignment]) -> list[Note | str]:
    """A digest-level note when some papers were categorized offline in the model's place (the
    assignments' ``fallback`` flag says which)."""
    count = sum(a.fallback for a in assignments)
    return [Note(key="llm.categorized_offline", values={"count": count})] if count else []
