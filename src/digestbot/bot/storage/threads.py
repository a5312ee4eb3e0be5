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
from digestbot.bot.storage.db import upsert
from digestbot.bot.storage.tables import ThreadLinkRow


class SqlThreadLinks:
    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def link(self, link: ThreadLink) -> None:
        values = {
            "platform": link.platform,
            "channel_id": link.channel_id,
            "thread_id": link.thread_id,
            "digest_date": link.digest_date,
            "language": link.language,
            "arxiv_ids": json.dumps(list(link.arxiv_ids)),
            "created_at": self._clock(),
        }
        with self._sessions.begin() as session:
            upsert(
                session,
                ThreadLinkRow,
                values,
                keys=("platform", "channel_id", "thread_id"),
                update=("digest_date", "language", "arxiv_ids"),
            )

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
    return ThreadLink(
        platform=row.platform,
        channel_id=row.channel_id,
        thread_id=row.thread_id,
        digest_date=row.digest_date,
        language=row.language,
        arxiv_ids=tuple(json.loads(row.arxiv_ids)),
    )
