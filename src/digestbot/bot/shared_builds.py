"""One build per digest across instances: a lease in the database, and waiting for its result.

Three instances sharing one database all want the day's digest when a subscription fires. The
first to claim the lease builds it and stores it; the others poll the store (and the lease)
until the digest appears. The builder renews its lease while it works, so a long model run
keeps it; a builder that dies stops renewing, and a waiter takes over once the lease has run
out — one lease length after the death at most, with no operator involved.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol, TypeVar

from digestbot.summarizer.io_pools import db_call

log = logging.getLogger(__name__)

T = TypeVar("T")

BUILD_LEASE = dt.timedelta(seconds=60)
"""How long a silent builder keeps its claim; it renews every third of it."""
POLL_SECONDS = 2.0
"""How often a waiting instance looks for the stored result (one indexed read each time)."""


class BuildLeases(Protocol):
    def claim(self, key: str, *, holder: str, lease: dt.timedelta) -> bool: ...

    def renew(self, key: str, *, holder: str, lease: dt.timedelta) -> bool: ...

    def release(self, key: str, *, holder: str) -> None: ...


def process_holder() -> str:
    """Who we are in the lease table: host, pid and a token (a restarted pid is someone else)."""
    return f"{socket.gethostname()[:100]}|{os.getpid()}|{secrets.token_hex(6)}"


class SharedBuilds:
    def __init__(
        self,
        leases: BuildLeases,
        *,
        holder: str | None = None,
        lease: dt.timedelta = BUILD_LEASE,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.leases = leases
        self.holder = holder or process_holder()
        self.lease = lease
        self.poll_seconds = poll_seconds

    async def once(self, key: str, *, build: Callable[[], Awaitable[T]], stored: Callable[[], T | None]) -> T:
        """``stored()`` if another instance has built it (waiting while one builds), else ``build()``.

        ``build`` must store its result where ``stored`` finds it before it returns. A build that
        fails releases the lease, so the next waiter tries (and most likely reports the same error).
        """
        waiting = False
        while True:
            if await db_call(self.leases.claim, key, holder=self.holder, lease=self.lease):
                async with self._holding(key):
                    found = await db_call(stored)
                    return found if found is not None else await build()
            found = await db_call(stored)
            if found is not None:
                return found
            if not waiting:
                waiting = True
                log.info("another instance is building %s; waiting for its result", key)
            await asyncio.sleep(self.poll_seconds)

    @contextlib.asynccontextmanager
    async def _holding(self, key: str) -> AsyncIterator[None]:
        renew = functools.partial(self.leases.renew, key, holder=self.holder, lease=self.lease)
        try:
            async with renewing(renew, lease=self.lease, what=f"the build of {key}"):
                yield
        finally:
            await asyncio.shield(db_call(self.leases.release, key, holder=self.holder))


@contextlib.asynccontextmanager
async def renewing(renew: Callable[[], bool], *, lease: dt.timedelta, what: str) -> AsyncIterator[None]:
    """Renew a lease every third of its length while the body runs (a heartbeat), so only a
    holder that died or hangs lets it run out. ``renew`` returns False once another took it."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(lease.total_seconds() / 3)
            if not await db_call(renew):
                log.warning("%s lost its lease to another instance (this one stalled)", what)
                return

    heartbeat = asyncio.create_task(beat())
    try:
        yield
    finally:
        heartbeat.cancel()
