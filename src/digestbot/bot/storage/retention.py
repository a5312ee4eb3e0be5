"""Retention: what a bot running for years may forget, and the purge that forgets it.

Every digest caches model replies, books a ledger row per call, keeps question turns, thread
links, fetched full texts and delivery records. None of that is needed forever, so a daily
purge (``digestbot run`` schedules it; ``digestbot purge`` runs it by hand) deletes rows older
than ``DIGEST_RETENTION_DAYS``. Each table is purged in its own short transaction, so SQLite's
write lock is never held for the whole sweep.

Deliveries are the exactly-once record: only *finished* ones (``done`` or ``failed``) whose
digest date and creation are both older than the horizon go, so a delivery in progress, or one
the catch-up check could still resume, is never forgotten. Past the horizon the bot no longer
remembers a post; only an explicit ``digestbot post --date`` that old would post it again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Delete, delete, select, text
from sqlalchemy.orm import Session, sessionmaker

from digestbot.bot.storage import Clock, utc_now
from digestbot.bot.storage.deliveries import DONE, FAILED
from digestbot.bot.storage.tables import DeliveryPartRow, DeliveryRow, LlmCacheRow, LlmUsageRow, ThreadLinkRow

DEFAULT_RETENTION_DAYS = 90

# The question service's tables keep ISO-8601 UTC text stamps (see search_index.py); text in one
# format compares as time does.
_TEXT_STAMPED = {"question_turns": "asked_at", "fulltext_cache": "fetched_at"}


def _orm_purges(cutoff: dt.datetime) -> dict[str, Delete]:
    finished = (
        DeliveryRow.status.in_((DONE, FAILED)),
        DeliveryRow.created_at < cutoff,
        DeliveryRow.digest_date < cutoff.date(),
    )
    return {
        "llm_cache": delete(LlmCacheRow).where(LlmCacheRow.created_at < cutoff),
        "llm_usage": delete(LlmUsageRow).where(LlmUsageRow.day < cutoff.date()),
        "thread_links": delete(ThreadLinkRow).where(ThreadLinkRow.created_at < cutoff),
        # Parts first: the foreign key's cascade is not enforced on every SQLite connection.
        "delivery_parts": delete(DeliveryPartRow).where(
            DeliveryPartRow.delivery_id.in_(select(DeliveryRow.id).where(*finished))
        ),
        "deliveries": delete(DeliveryRow).where(*finished),
    }


def purge_expired(
    sessions: sessionmaker[Session], *, retention_days: int = DEFAULT_RETENTION_DAYS, clock: Clock = utc_now
) -> dict[str, int]:
    """Delete rows older than ``retention_days``; returns the rows deleted per table."""
    cutoff = clock() - dt.timedelta(days=retention_days)
    deleted: dict[str, int] = {}
    for table, statement in _orm_purges(cutoff).items():
        with sessions.begin() as session:
            deleted[table] = _count(session.execute(statement))
    stamp = cutoff.astimezone(dt.UTC).isoformat(timespec="seconds")
    for table, column in _TEXT_STAMPED.items():
        with sessions.begin() as session:
            result = session.execute(text(f"DELETE FROM {table} WHERE {column} < :cutoff"), {"cutoff": stamp})
            deleted[table] = _count(result)
    return deleted


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def purge_and_describe(sessions: sessionmaker[Session], *, retention_days: int, clock: Clock = utc_now) -> str:
    """:func:`purge_expired`, reported in one line for the log and the CLI."""
    deleted = purge_expired(sessions, retention_days=retention_days, clock=clock)
    counts = ", ".join(f"{table} {count}" for table, count in deleted.items() if count) or "nothing"
    return f"Purged rows older than {retention_days} days: {counts}."
