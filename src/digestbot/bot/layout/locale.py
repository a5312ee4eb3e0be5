"""Headings and labels of rendered digests, per output language (the seed is Korean); the words
themselves are in the phrase catalog, ``summarizer/phrases.py``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from digestbot.summarizer.models import Note, note_text
from digestbot.summarizer.phrases import phrase, table


@dataclass(frozen=True)
class Labels:
    title: str
    chart_alt: str
    summary: str
    sources: str
    main_themes: str
    keywords: str
    key_facts: str
    impact: str
    outlook: str
    paper: str
    papers: str
    extractive: str
    llm: str
    tldr: str
    key_points: str
    paper_keywords: str
    category_count: str
    # The catalog language these labels are in: the post's notes are put into words in it too.
    language: str

    def count(self, papers: int) -> str:
        """ "261 papers", "261편": the number and its noun as the language joins them."""
        return phrase("brief.total", self.language, count=papers, noun=self.paper if papers == 1 else self.papers)

    def categories(self, count: int) -> str:
        """ "7 categories", "7개 분야"."""
        return self.category_count.format(count=count)

    def notes(self, notes: Sequence[Note | str]) -> list[str]:
        """Typed notes in this language; plain-string ones (stored before) as written."""
        return [note_text(note, self.language) for note in notes]


_LABELS = {language: Labels(**values, language=language) for language, values in table("labels").items()}

SUPPORTED_LANGUAGES = tuple(_LABELS)


def labels_for(language: str) -> Labels:
    """Labels in ``language``; other languages get English headings (the content follows the setting)."""
    return _LABELS.get(language, _LABELS["en"])
