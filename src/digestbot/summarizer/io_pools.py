"""Small, dedicated thread pools for blocking I/O that async code must not wait on.

The event loop answers Slack acks, Discord deferrals and ``/healthz``; one blocking call on it
stalls all of them. Blocking work therefore runs in a pool, and each kind of work gets its own
bounded pool instead of asyncio's shared default executor:

* **database** calls (:func:`db_call`): SQLite waits up to its busy timeout while another
  process holds the write lock, so a few threads queue there while the loop keeps answering;
* **paper source** calls, arXiv's above all (:func:`source_call`): the pacer spaces them 3 s apart and arXiv may say
  "retry after" for minutes, so a backlog of listings waits here, never in the default executor
  that aiohttp needs for DNS lookups and that other code reaches through ``asyncio.to_thread``.

Bounded pools also bound the damage: a stuck database or arXiv ties up its own few threads only.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

_P = ParamSpec("_P")
_T = TypeVar("_T")

DB_THREADS = 4
"""Enough for a read to pass a write that waits on SQLite's lock; PostgreSQL's pool is 5 by default."""
SOURCE_THREADS = 2
"""arXiv takes one request at a time anyway (the pacer); a second thread lets a full-text fetch
wait for its turn while a listing waits for its own, instead of behind it."""

_DB = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="digestbot-db")
_SOURCES = ThreadPoolExecutor(max_workers=SOURCE_THREADS, thread_name_prefix="digestbot-source")


async def run_in(executor: Executor, function: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """``function(*args, **kwargs)`` in ``executor``, awaited; context variables go along, as with
    :func:`asyncio.to_thread`."""
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, function, *args, **kwargs)
    return await loop.run_in_executor(executor, call)


async def db_call(function: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """A storage call (a repository method, a cache or ledger lookup) in the database pool."""
    return await run_in(_DB, function, *args, **kwargs)


async def source_call(function: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """A paper source or full-text call (paced, may wait for arXiv) in the sources' pool."""
    return await run_in(_SOURCES, function, *args, **kwargs)
