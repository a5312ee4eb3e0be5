"""SQL :class:`~digestbot.bot.digests.DigestStore`: a built digest as JSON per (date, language, source).

Keeping the whole digest (not just its rendering) lets every channel, every filter and every
follow-up question reuse one build, across restarts and across instances.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from digestbot.bot.storage import Clock, utc_now
from digestbot.bot.storage.db import save
from digestbot.bot.storage.tables import DigestRow
from digestbot.summarizer.models import Digest


class SqlDigestStore:
    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def load_digest(self, day: dt.date | None, language: str, source: str) -> Digest | None:
        """``day=None``: the newest stored digest for that language and source."""
        query = select(DigestRow.payload).where(DigestRow.language == language, DigestRow.source == source)
        query = query.where(DigestRow.digest_date == day) if day else query.order_by(DigestRow.digest_date.desc())
        with self._sessions() as session:
            payload = session.scalars(query.limit(1)).first()
        return Digest.model_validate_json(payload) if payload is not None else None

    def recent_digests(self, before: dt.date, *, language: str, source: str, days: int) -> list[Digest]:
        """The digests dated within ``days`` before ``before`` (not that day), newest first."""
        query = (
            select(DigestRow.payload)
            .where(
                DigestRow.language == language,
                DigestRow.source == source,
                DigestRow.digest_date < before,
                DigestRow.digest_date >= before - dt.timedelta(days=days),
            )
            .order_by(DigestRow.digest_date.desc())
        )
        with self._sessions() as session:
            payloads = list(session.scalars(query))
        return [Digest.model_validate_json(payload) for payload in payloads]

    def save_digest(self, digest: Digest) -> None:
        """Insert or replace (a later build, e.g. an LLM upgrade of an offline digest, wins)."""
        values = {
            "digest_date": digest.date,
            "language": digest.language,
            "source": digest.source,
            "payload": digest.model_dump_json(),
            "built_at": self._clock(),
        }
        with self._sessions.begin() as session:
            save(session, DigestRow, values)
