"""Build leases in the database: which instance builds a digest while the others wait for it.

Several ``digestbot run`` instances on one database all want the same day's digest when a
subscription fires; building it costs a model call per paper and category, so exactly one
builds. A lease (not a lock held in an open transaction) because a build takes minutes of
network calls, and the same table works on SQLite and PostgreSQL. The holder renews it while
it builds; a holder that dies stops renewing, and a waiter takes over when it runs out.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from digestbot.bot.storage import Clock, utc_now
from digestbot.bot.storage.tables import BuildLeaseRow


class SqlBuildLeases:
    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def claim(self, key: str, *, holder: str, lease: dt.timedelta) -> bool:
        """Take ``key`` if nobody holds it, its lease ran out, or we already hold it.

        One ``INSERT … ON CONFLICT DO UPDATE … WHERE`` decides atomically on both back ends:
        exactly one of several racing instances gets its row back.
        """
        now = self._clock()
        with self._sessions.begin() as session:
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            insert = dialect.insert(BuildLeaseRow).values(key=key, holder=holder, lease_until=now + lease)
            statement = insert.on_conflict_do_update(
                index_elements=["key"],
                set_={"holder": insert.excluded.holder, "lease_until": insert.excluded.lease_until},
                where=or_(BuildLeaseRow.lease_until < now, BuildLeaseRow.holder == holder),
            )
            return session.execute(statement.returning(BuildLeaseRow.key)).first() is not None

    def renew(self, key: str, *, holder: str, lease: dt.timedelta) -> bool:
        """Extend our lease; False if another instance took it over (we stalled past it)."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(BuildLeaseRow)
                .where(BuildLeaseRow.key == key, BuildLeaseRow.holder == holder)
                .values(lease_until=self._clock() + lease)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def release(self, key: str, *, holder: str) -> None:
        with self._sessions.begin() as session:
            session.execute(delete(BuildLeaseRow).where(BuildLeaseRow.key == key, BuildLeaseRow.holder == holder))
