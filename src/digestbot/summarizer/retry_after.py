"""Reading a server's ``Retry-After``: arXiv and model providers both say how long to wait.

The header is untrusted input. ``Retry-After: nan`` once made ``asyncio.sleep(nan)`` never
return (holding a build's lock forever), and ``inf``, ``1e308`` or a date in the year 9999 would
do the same in effect, so every value read is clamped into ``[0, ceiling]``: a caller can sleep
whatever this returns. A value at the ceiling means "at least that long"; callers decide what
that means (the gateway waits it out, the arXiv source gives up and says "try again later").
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
from collections.abc import Mapping

MAX_RETRY_AFTER_SECONDS = 300.0
"""The default ceiling: no server makes a request of ours wait more than five minutes."""


def retry_after_seconds(headers: Mapping[str, str] | None, *, ceiling: float = MAX_RETRY_AFTER_SECONDS) -> float | None:
    """Seconds from ``retry-after-ms`` (OpenAI) or ``retry-after`` (seconds or an HTTP date),
    clamped to ``[0, ceiling]``; ``None`` when absent or unreadable (``nan`` and garbage alike).
    ``headers`` must look names up case-insensitively, as ``requests`` and ``httpx`` headers do."""
    if not headers:
        return None
    milliseconds = _number(headers.get("retry-after-ms"))
    if milliseconds is not None:
        return _clamp(milliseconds / 1000, ceiling)
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    seconds = _number(value)
    if seconds is None:
        seconds = _seconds_until(value)
    return None if seconds is None else _clamp(seconds, ceiling)


def _number(text: str | None) -> float | None:
    """A number of seconds, or ``None`` for empty text, garbage and ``nan``."""
    try:
        number = float(text or "")
    except ValueError:
        return None
    return None if math.isnan(number) else number


def _seconds_until(http_date: str) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(http_date)
    except (TypeError, ValueError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    try:
        return (when - dt.datetime.now(dt.UTC)).total_seconds()
    except OverflowError:
        return None


def _clamp(seconds: float, ceiling: float) -> float:
    return min(max(seconds, 0.0), ceiling)
