"""Storage for ``digestbot run``: the engine and migrations (``db``), the schema (``tables``) and
one small repository module per port (digests, threads, events, llm, subscriptions, deliveries).

Only the composition root imports these modules, so SQLAlchemy stays out of ``digestbot --help``.
The clock lives here because every repository and use-case that stamps or compares times takes
it as a parameter, so tests can freeze it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
