"""Abuse and cost limits on questions: per-user and per-channel token buckets, a length cap.

Every answer may cost a model call, and a thread is open to a whole workspace, so limits are
what keeps a curious (or scripted) channel from spending a team's daily budget.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digestbot.bot.config import Settings


@dataclass(frozen=True)
class QuestionLimits:
    """Abuse and cost limits; the first three are settings of the same names (upper-cased)."""

    questions_per_user_per_hour: int = 20
    questions_per_channel_per_hour: int = 60
    question_max_chars: int = 500
    history_turns: int = 4
    passages: int = 8
    fulltext_papers: int = 2
    search_results: int = 10

    @classmethod
    def from_settings(cls, settings: Settings) -> QuestionLimits:
        names = {f.name for f in fields(cls)}
        return cls(**settings.model_dump(include=names))


class RateLimiter:
    """Token buckets by key: ``per_hour`` questions, refilled evenly, bursts up to the same number."""

    def __init__(self, *, per_hour: int, clock: Callable[[], float]) -> None:
        self._capacity = float(max(1, per_hour))
        self._refill_per_second = self._capacity / 3600.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def wait_seconds(self, key: str) -> float:
        """0 if ``key`` may ask now, else how long until it may."""
        tokens = self._tokens(key)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self._refill_per_second

    def take(self, key: str) -> None:
        self._buckets[key] = (self._tokens(key) - 1.0, self._clock())

    def _tokens(self, key: str) -> float:
        tokens, stamp = self._buckets.get(key, (self._capacity, self._clock()))
        return min(self._capacity, tokens + (self._clock() - stamp) * self._refill_per_second)
