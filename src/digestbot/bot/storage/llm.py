"""SQL :class:`ResponseCache` and :class:`UsageLedger` (``summarizer/llm/ports.py``), so a rebuilt
digest costs no model calls and the daily budget counts spend from before a restart."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from digestbot.bot.storage import Clock, utc_now
from digestbot.bot.storage.db import save
from digestbot.bot.storage.records import row_values
from digestbot.bot.storage.tables import LlmCacheRow, LlmUsageRow
from digestbot.summarizer.llm.ports import UsageRecord, UsageTotals


class SqlResponseCache:
    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def get(self, key: str) -> str | None:
        with self._sessions() as session:
            row = session.get(LlmCacheRow, key)
            return row.value if row is not None else None

    def put(self, key: str, value: str) -> None:
        with self._sessions.begin() as session:
            save(session, LlmCacheRow, {"key": key, "value": value, "created_at": self._clock()})


class SqlUsageLedger:
    def __init__(self, sessions: sessionmaker[Session], *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def record(self, record: UsageRecord) -> None:
        with self._sessions.begin() as session:
            session.add(LlmUsageRow(**row_values(record, created_at=self._clock())))

    def totals(self, day: dt.date, stage: str | None = None) -> UsageTotals:
        """Sums in SQL; ``calls`` counts real model calls, ``cache_hits`` the rest (as the memory ledger)."""
        hit = LlmUsageRow.cache_hit.is_(True)
        query = select(
            func.count(LlmUsageRow.id).filter(~hit),
            func.count(LlmUsageRow.id).filter(hit),
            func.coalesce(func.sum(LlmUsageRow.prompt_tokens), 0),
            func.coalesce(func.sum(LlmUsageRow.completion_tokens), 0),
            func.coalesce(func.sum(LlmUsageRow.cost_usd), 0.0),
        ).where(LlmUsageRow.day == day)
        if stage is not None:
            query = query.where(LlmUsageRow.stage == stage)
        with self._sessions() as session:
            calls, hits, prompt, completion, cost = session.execute(query).one()
        return UsageTotals(
            calls=int(calls),
            cache_hits=int(hits),
            prompt_tokens=int(prompt),
            completion_tokens=int(completion),
            cost_usd=float(cost),
        )
