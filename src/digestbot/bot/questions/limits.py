"""Abuse and cost limits on questions: per-user and per-channel token buckets, a length cap.

Every answer may cost a model call, and a thread is open to a whole workspace, so limits are
what keeps a curious (or scripted) channel from spending a team's daily budget.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from digestbot.summarizer.bounded import BoundedMap

if TYPE_CHECKING:
    from digestbot.bot.config import Settings


BUCKETS_KEPT = 100_000
"""Beyond this many recent askers, the least recent one's bucket is dropped (refilled early)."""


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
        # A bucket untouched for an hour is full again, the same as no bucket: forgetting it
        # then changes nothing, and keeps a workspace's every user and channel from piling up.
        self._buckets: BoundedMap[str, tuple[float, float]] = BoundedMap(
            max_items=BUCKETS_KEPT, ttl_seconds=3600.0, clock=clock
        )

    def wait_seconds(self, key: str) -> float:
        """0 if ``key`` may ask now, else how long until it may."""
        tokens = self._tokens(key)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self._refill_per_second

    def take(self, key: str) -> None:
        self._buckets[key] = (self._tokens(key) - 1.0, self._clock())

    def _tokens(self, key: str) -> float:
        tokens, stamp = self._buckets.get(key, (self._capacity, self._clock()))
        return min(self._capacity, tokens + (self._clock() - stamp) * self._refill_per_second)
