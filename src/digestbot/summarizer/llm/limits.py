"""Pacing model calls: a requests-per-minute limiter with a shared pause, and backoff delays.

Providers limit requests per minute and answer bursts with 429 and ``Retry-After``. When one
call is told to wait, the others would be told the same a moment later, so the pause is shared:
every caller waits it out instead of spending a request to learn it.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

MAX_RETRY_AFTER_SECONDS = 120.0
_NEGLIGIBLE = 0.001


class RateLimiter:
    """Spaces request starts ``60 / requests_per_minute`` seconds apart (0 = no limit), and holds
    every start until a pause set by :meth:`pause` has passed."""

    def __init__(self, requests_per_minute: int = 0, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep):
        self._interval = 60.0 / requests_per_minute if requests_per_minute > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next_start = 0.0
        self._paused_until = 0.0

    async def wait(self) -> None:
        """Reserve the next start slot, then sleep until it comes (slots are handed out in order)."""
        now = self._clock()
        start = max(now, self._next_start, self._paused_until)
        if self._interval:
            self._next_start = start + self._interval
        if start - now > _NEGLIGIBLE:
            await self._sleep(start - now)

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with "equal jitter": half the step fixed, half random, so retries of
    many concurrent calls spread out but never retry at once."""
    step = min(cap, base * 2**attempt)
    return step / 2 + (rng or random).uniform(0, step / 2)
