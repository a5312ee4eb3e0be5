"""Reading a server's ``Retry-After``: arXiv and model providers both say how long to wait.

Callers decide what a long wait means (the gateway caps it, the arXiv source gives up and says
"try again later"), so the value is returned as asked for.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Mapping


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from ``retry-after-ms`` (OpenAI) or ``retry-after`` (seconds or an HTTP date);
    ``None`` when absent or unreadable. ``headers`` must look names up case-insensitively, as
    ``requests`` and ``httpx`` headers do."""
    if not headers:
        return None
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(float(milliseconds) / 1000, 0.0)
        except ValueError:
            pass
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
