"""One worker thread for CPU-bound work (offline categorizing and summarizing, charts).

Chat adapters share the event loop and must answer within 3 s (Slack acks, Discord
deferrals). CPU work on the loop blocks them, and CPU work in *many* threads starves the
loop's thread of the GIL just as badly; a single worker lets the loop run between its
slices, so a digest build never delays an acknowledgement noticeably.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from digestbot.summarizer.io_pools import run_in

_P = ParamSpec("_P")
_T = TypeVar("_T")

_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digestbot-cpu")


async def run_cpu_bound(function: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """Run ``function`` in the shared CPU worker and await its result."""
    return await run_in(_WORKER, function, *args, **kwargs)


def keep_event_loop_responsive() -> None:
    """Hand the GIL over every 1 ms instead of CPython's 5 ms.

    With a CPU-bound worker running, the event loop's thread otherwise waits up to a whole
    switch interval per wake-up, and those waits add up to >100 ms acknowledgement delays;
    ``digestbot run`` calls this once at start-up.
    """
    sys.setswitchinterval(0.001)
