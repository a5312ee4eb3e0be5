"""The one splitter every adapter uses to fit text into a platform's limits.

Limits differ (Slack: 3,000 characters per section, 50 blocks; Discord: 2,000 per message,
4,096 per embed description); the rule does not: split at the largest natural boundary that
fits — paragraph, line, sentence, word — and never drop a character.
"""

from __future__ import annotations

from collections.abc import Iterable

_BOUNDARIES = ("\n\n", "\n", ". ", " ")


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most ``limit`` characters whose concatenation (modulo the boundary
    whitespace at the cuts) is ``text``."""
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = _best_cut(rest, limit)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def _best_cut(text: str, limit: int) -> int:
    window = text[: limit + 1]
    for boundary in _BOUNDARIES:
        position = window.rfind(boundary, 0, limit)
        if position > limit // 4:
            return position + len(boundary.rstrip(" ")) if boundary == ". " else position
    return limit


def pack(items: Iterable[str], *, limit: int, separator: str = "\n") -> list[str]:
    """Join items into as few chunks of at most ``limit`` characters as possible, keeping
    each item whole unless it alone is too long (then it is split with :func:`split_text`)."""
    chunks: list[str] = []
    current = ""
    for item in items:
        for piece in split_text(item, limit):
            candidate = f"{current}{separator}{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks
