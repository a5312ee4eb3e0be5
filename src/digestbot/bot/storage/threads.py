"""SQL :class:`~digestbot.bot.ports.ThreadLinks`: which digest a chat thread belongs to.

In the database (not in memory) so a follow-up question in yesterday's thread is answered by
an instance started this morning, or by another instance.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from digestbot.bot.ports import ThreadLink
from digestbot.bot.storage import Clock, utc_now
from digestbot.bot.storage.db import save
from digestbot.bot.storage.records import record_from_row, row_values
from digestbot.bot.storage.tables import ThreadLinkRow


class SqlThreadLinks:
    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def link(self, link: ThreadLink) -> None:
        values = row_values(link, arxiv_ids=json.dumps(list(link.arxiv_ids)), created_at=self._clock())
        with self._sessions.begin() as session:
            save(session, ThreadLinkRow, values, keep=("created_at",))

    def lookup(self, platform: str, channel_id: str, thread_id: str) -> ThreadLink | None:
        with self._sessions() as session:
            row = session.get(ThreadLinkRow, (platform, channel_id, thread_id))
            return _to_link(row) if row is not None else None

    def posted(self, platform: str, channel_id: str, day: dt.date) -> list[ThreadLink]:
        query = (
            select(ThreadLinkRow)
            .where(
                ThreadLinkRow.platform == platform,
                ThreadLinkRow.channel_id == channel_id,
                ThreadLinkRow.digest_date == day,
            )
            .order_by(ThreadLinkRow.created_at)
        )
        with self._sessions() as session:
            return [_to_link(row) for row in session.scalars(query)]


def _to_link(row: ThreadLinkRow) -> ThreadLink:
    return record_from_row(ThreadLink, row, arxiv_ids=tuple(json.loads(row.arxiv_ids)))
