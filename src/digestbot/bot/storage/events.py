"""SQL :class:`~digestbot.bot.ports.SeenEvents`: inbound de-duplication that survives restarts.

Slack re-delivers an event up to three times within about five minutes when it thinks the
first delivery failed, and a restarted Socket Mode client may receive it again; a day of
memory is plenty, so rows older than ``ttl`` are purged (at most once per ``purge_every``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from digestbot.bot.storage import Clock, utc_now
from digestbot.bot.storage.db import upsert
from digestbot.bot.storage.tables import SeenEventRow


class SqlSeenEvents:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        ttl: dt.timedelta = dt.timedelta(days=1),
        purge_every: dt.timedelta = dt.timedelta(hours=1),
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._purge_every = purge_every
        self._clock = clock
        self._purged_at: dt.datetime | None = None

    def first_time(self, key: str) -> bool:
        """Atomic across instances: the primary key lets exactly one insert win."""
        now = self._clock()
        if self._purged_at is None or now - self._purged_at >= self._purge_every:
            self.purge(now - self._ttl)
            self._purged_at = now
        with self._sessions.begin() as session:
            return upsert(session, SeenEventRow, {"key": key[:255], "seen_at": now}, keys=("key",))

    def purge(self, before: dt.datetime) -> int:
        with self._sessions.begin() as session:
            result = session.execute(delete(SeenEventRow).where(SeenEventRow.seen_at < before))
            return int(result.rowcount)  # type: ignore[attr-defined]
