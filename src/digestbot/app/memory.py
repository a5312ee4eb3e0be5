"""Keep a bot that runs for months its size: memory it frees goes back to the system.

Measured, not guessed (``benchmarks/memory_growth.py``: the soak's daily work in one process,
its fakes in another): from the 3rd to the 20th simulated day the bot's live Python objects
grew 1.7 MB (``tracemalloc``: bounded caches filling, lazy imports) while its resident memory
grew 11.8 MB (+6.0 %). The rest is memory the bot had freed and glibc's ``malloc`` kept. Each
thread that allocates (database and arXiv pools, the CPU worker, aiohttp's resolver) gets an
arena of its own, up to eight per core, and an arena returns pages only from its top, which
one long-lived block pins; every day's build and posts leave such holes behind. Two remedies,
each measured over the same 17 days:

- ``malloc_trim(0)`` after the day's work gives the free pages inside every arena back
  (``madvise``): +5.7 MB (+2.9 %);
- two arenas shared by all threads (``mallopt(M_ARENA_MAX, 2)``): +7.0 MB (+3.6 %); both
  together +5.5 MB.

``digestbot run`` does both: :func:`share_malloc_arenas` before its first thread, and
:func:`release_memory_when_idle` trims each time the process goes quiet after work, while the
work's garbage is free and before the next work spreads live blocks over it. Elsewhere than
glibc (musl, macOS) both do nothing.

The same quiet moment keeps Python's cyclic garbage collector short (:func:`settle_heap`). A
full collection walks every object it tracks while holding the GIL, so nothing else runs: once
the bot has imported SQLAlchemy, matplotlib, slack_sdk and the rest, that is ~210,000 objects
and 140 ms in which the event loop is frozen; the worst ``/healthz`` probes of
``benchmarks/healthz_under_load.py`` were such a collection, triggered by the burst of work
after a database lock. Nearly all those objects (functions, classes, module dictionaries) live
as long as the process, so after collecting, the survivors are frozen (``gc.freeze``): later
collections walk only what was made since.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
import os
import resource
from collections.abc import Callable
from functools import cache

from digestbot.summarizer.cpu import run_cpu_bound

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # glibc's malloc.h
MALLOC_ARENAS = 2
"""Arenas shared by all threads: the bot's threads mostly wait (database, arXiv, DNS), so two
arenas rarely contend, and fewer arenas leave fewer half-empty pages behind."""
CHECK_EVERY_SECONDS = 0.5
"""How often the process's CPU time is read: the release follows the end of work within a second."""
WORK_CPU_SECONDS = 0.25
"""CPU time since the last release that makes another worth it: a build, a post (drawing its
chart alone takes this), a burst of commands. An idle bot's heartbeat (health checks, timers)
adds up to it only over many minutes. A release takes 20–80 ms of the CPU worker on a badly
fragmented 370 MB heap (measured), so it is not run after every command."""
QUIET_CPU_SHARE = 0.15
"""A check interval in which the process used less than this share of a core is quiet. Work uses
most of a core; background traffic a few percent (an orchestrator probing ``/healthz`` 50 times a
second: 6.5 %, measured), and a bot that never counts as quiet never settles its heap."""


@cache
def _libc() -> ctypes.CDLL | None:
    """glibc, or ``None`` where the C library lacks its ``malloc_trim`` and ``mallopt``."""
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    if libc is None or not hasattr(libc, "malloc_trim") or not hasattr(libc, "mallopt"):
        return None
    libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    libc.mallopt.argtypes, libc.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return libc


def share_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Let every thread allocate from ``arenas`` malloc arenas instead of one each (glibc's
    default allows 8 per core); call before threads start. ``MALLOC_ARENA_MAX`` in the
    environment, when set, is the operator's choice and wins. ``True`` if the limit was set."""
    libc = _libc()
    if "MALLOC_ARENA_MAX" in os.environ or libc is None:
        return False
    return bool(libc.mallopt(M_ARENA_MAX, arenas))


def release_free_memory() -> bool:
    """Give the free pages of every malloc arena back to the system; ``True`` if any were."""
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


def settle_heap() -> bool:
    """After a burst of work: collect its reference cycles, exempt the survivors from future
    collections, give the freed pages back; ``True`` if pages were given back.

    Frozen objects are still freed by reference counting like any other. Only a reference cycle
    that turns to garbage after its objects were frozen is not collected; the bot's long-lived
    objects (imported code, pools, caches that evict by dropping references) rarely do that, and
    ``benchmarks/memory_growth.py --freeze`` measures what it costs over weeks of days.
    """
    gc.collect()
    gc.freeze()
    return release_free_memory()


def cpu_seconds() -> float:
    """CPU time of the whole process, all threads (``getrusage``: no shifted clock alters it)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def release_memory_when_idle(
    *,
    check_every: float = CHECK_EVERY_SECONDS,
    cpu_time: Callable[[], float] = cpu_seconds,
    release: Callable[[], bool] = settle_heap,
) -> None:
    """Until cancelled, settle the heap (:func:`settle_heap`) each time the process goes quiet
    after work.

    Right after the work, because that is when its garbage is free and before the next work
    spreads live blocks over it; only after work, so an idle bot is not woken to trim nothing.
    The release runs in the CPU worker: never on the event loop, never beside a chart or build.
    """
    released = previous = cpu_time()
    while True:
        await asyncio.sleep(check_every)
        now = cpu_time()
        quiet = now - previous <= QUIET_CPU_SHARE * check_every
        previous = now
        if quiet and now - released >= WORK_CPU_SECONDS:
            if await run_cpu_bound(release):
                log.debug("gave free heap pages back to the system")
            released = previous = cpu_time()
