"""Headings and labels of rendered digests, per output language (the seed is Korean); the words
themselves are in the phrase catalog, ``summarizer/phrases.py``."""

from __future__ import annotations

from dataclasses import dataclass

from digestbot.summarizer.phrases import table


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


_LABELS = {language: Labels(**values) for language, values in table("labels").items()}

SUPPORTED_LANGUAGES = tuple(_LABELS)


def labels_for(language: str) -> Labels:
    """Labels in ``language``; other languages get English headings (the content follows the setting)."""
    return _LABELS.get(language, _LABELS["en"])
