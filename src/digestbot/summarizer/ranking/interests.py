"""A channel's interests: short phrases ("speech recognition", "speculative decoding") that
raise matching papers into its top picks.

Matching is by Snowball stems in order, over the title and abstract, so "speculative decoding"
matches "speculatively decoded" and "Speculative-Decoding", but "decoding" alone does not match
"speculative decoding"'s paper unless the channel asked for "decoding".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from digestbot.summarizer.models import Paper
from digestbot.summarizer.stemming import stems

MAX_INTERESTS = 12
MAX_INTEREST_CHARS = 60
_TOKEN = re.compile(r"[a-z0-9]+")
_SEPARATORS = re.compile(r"[,;\n]+")


def parse_interests(text: str) -> tuple[str, ...]:
    """Comma-separated phrases, cleaned and without repeats; ``ValueError`` names what is wrong."""
    phrases = [" ".join(part.split()) for part in _SEPARATORS.split(text)]
    unique = tuple(dict.fromkeys(p for p in phrases if p))
    if len(unique) > MAX_INTERESTS:
        raise ValueError(f"{len(unique)} interests is too many; give at most {MAX_INTERESTS}, separated by commas.")
    too_long = next((p for p in unique if len(p) > MAX_INTEREST_CHARS), None)
    if too_long is not None:
        raise ValueError(
            f"interest '{too_long[:MAX_INTEREST_CHARS]}…' is too long; keep each phrase under "
            f"{MAX_INTEREST_CHARS} characters."
        )
    return unique


@lru_cache(maxsize=2048)  # two days of 1,000 papers; ~2 KB each
def _stemmed(text: str) -> str:
    """The text as space-separated stems, padded so that a phrase matches whole words only;
    cached, because every channel's post re-ranks the same day's papers."""
    return " " + " ".join(stems(_TOKEN.findall(text.lower()))) + " "


class InterestMatcher:
    """Which of a channel's interests a paper matches, in the channel's order."""

    def __init__(self, interests: Sequence[str]) -> None:
        self._phrases = [(phrase, _stemmed(phrase), phrase.lower()) for phrase in interests]

    def __bool__(self) -> bool:
        return bool(self._phrases)

    def matches(self, paper: Paper) -> list[str]:
        text = f"{paper.title}\n{paper.abstract}"
        stemmed = _stemmed(text)
        lowered = text.lower()
        # A phrase with no Latin letters or digits ("음성 인식") has no stems; it matches as written.
        return [
            phrase
            for phrase, pattern, raw in self._phrases
            if (pattern in stemmed if pattern.strip() else raw in lowered)
        ]
