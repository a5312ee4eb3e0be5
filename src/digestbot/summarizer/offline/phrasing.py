"""The few framing lines the extractive back end writes itself, per output language.

Everything else it shows is quoted from abstracts, which stay in their original language
(English on arXiv); these lines say so plainly in the digest's language, so a Korean digest
reads as Korean framing around deliberate English quotes rather than as a failed translation.
"""

from __future__ import annotations

from digestbot.summarizer.phrases import table

_PHRASES = table("offline")  # the catalog: summarizer/phrases.py


def _phrases(language: str) -> dict[str, str]:
    return _PHRASES.get(language, _PHRASES["en"])


def theme_line(theme: str, count: int, examples: list[str], language: str) -> str:
    quoted = "; ".join(f"'{title}'" for title in examples)
    return _phrases(language)["theme"].format(theme=theme, count=count, examples=quoted)


def outlook(category: str, count: int, *, lead: tuple[str, int] | None, measured: int, language: str) -> str:
    """The closing line: a count, how many papers report numbers, and the largest thread only
    (themes and keywords are listed above it; repeating them would say nothing new)."""
    words = _phrases(language)
    noun = words["paper"] if count == 1 else words["papers"]
    text = words["outlook"].format(count=count, category=category, noun=noun, measured=measured)
    if lead:
        text += words["lead"].format(lead=lead[0], lead_count=lead[1])
    return text + words["close"]
