"""The database engine, its start-up retries and its migrations.

SQLite (the default, one file) and PostgreSQL (``postgresql+psycopg://…``, for several
instances) run the same schema and the same queries. SQLite needs three settings to behave
under a bot that reads while it posts:

- WAL journal, so readers never wait for the writer;
- ``busy_timeout``, so a writer waits for another writer instead of failing at once;
- ``BEGIN IMMEDIATE`` for every transaction: a deferred transaction that reads and then
  writes must upgrade its lock, and two such upgrades deadlock — SQLite then answers
  ``database is locked`` at once, whatever the busy timeout. Taking the write lock at BEGIN
  makes writers queue instead (and makes the schema migration transactional, which the
  ``sqlite3`` driver's legacy mode otherwise is not).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from importlib import resources
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
WAL_SWITCH_TRIES = 20
# arbitrary but fixed: every instance must take the same advisory lock to migrate in turn
_MIGRATION_LOCK_ID = 7_240_511_001


class StorageUnavailable(RuntimeError):
    """The database cannot be reached or opened; the message names DATABASE_URL, never a password."""


def create_db_engine(database_url: str) -> Engine:
    """An engine for ``DATABASE_URL``; SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE``."""
    try:
        url = make_url(database_url)
    except ArgumentError as error:
        raise StorageUnavailable(
            f"DATABASE_URL '{database_url.split('@')[-1]}' is not a database URL; use e.g. "
            "sqlite:///./digestbot.db or postgresql+psycopg://user:password@host:5432/digestbot."
        ) from error
    if url.get_backend_name() == "sqlite":
        in_memory = url.database in (None, "", ":memory:")
        if in_memory:  # lives in one connection, which every thread must share (``digestbot chat``)
            engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _tune_sqlite(engine, in_memory=in_memory)
        return engine
    if url.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    raise StorageUnavailable(f"DATABASE_URL: '{url.get_backend_name()}' is not supported; use sqlite or postgresql.")


def _tune_sqlite(engine: Engine, *, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if not in_memory:
            _use_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL (it stays so). The switch needs the file to itself, and SQLite
    answers "database is locked" at once rather than waiting when several connections of a new
    file switch together (instances starting side by side), so the loser retries, boundedly."""
    for attempt in range(WAL_SWITCH_TRIES):
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == WAL_SWITCH_TRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def describe_url(engine: Engine) -> str:
    """The URL for messages and logs, password hidden."""
    return engine.url.render_as_string(hide_password=True)


def wait_for_database(
    engine: Engine,
    *,
    attempts: int = 6,
    first_delay: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Connect, retrying with exponential backoff (0.5 s, 1 s, 2 s, … ≈ 30 s in all by default).

    A database container often starts a few seconds after the bot, and a SQLite file may be
    locked by a previous instance still shutting down; both deserve patience, then one clear line.
    """
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return
        except OperationalError as error:
            reason = str(error.orig).splitlines()[0] if error.orig else type(error).__name__
            if attempt == attempts:
                raise StorageUnavailable(
                    f"Cannot open the database {describe_url(engine)} (DATABASE_URL) after {attempts} attempts: "
                    f"{reason}. Is it running and reachable, and is no other program holding it locked?"
                ) from None
            log.warning("database %s not ready (%s); retrying in %.1f s", describe_url(engine), reason, delay)
            sleep(delay)
            delay *= 2


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; safe to call from several instances at once.

    The Alembic configuration is built here rather than read from an ``alembic.ini``, so it
    works from an installed package (``script_location`` is the package's ``migrations``
    folder). On PostgreSQL a transaction-scoped advisory lock makes concurrent starts migrate
    one after the other; on SQLite ``BEGIN IMMEDIATE`` does the same.
    """
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("digestbot.bot.storage") / "migrations"))
    with engine.begin() as connection:
        one_schema_change_at_a_time(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def one_schema_change_at_a_time(connection: Connection) -> None:
    """Hold, until this transaction ends, the lock every schema change takes on PostgreSQL:
    instances starting together otherwise run the same ``CREATE … IF NOT EXISTS`` at once, and
    PostgreSQL may answer "deadlock detected". SQLite's ``BEGIN IMMEDIATE`` already serializes."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})


def upsert(
    session: Session,
    model: type[Any],
    values: Mapping[str, Any],
    *,
    keys: Sequence[str],
    update: Sequence[str] = (),
) -> bool:
    """``INSERT … ON CONFLICT (keys) DO UPDATE`` (``DO NOTHING`` without ``update``), atomic on
    both back ends; True when a row was written. Racing instances cannot both insert.

    ``RETURNING`` tells whether a row was written: psycopg reports no rowcount for an INSERT.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model).values(**values)
    if update:
        statement = statement.on_conflict_do_update(
            index_elements=list(keys), set_={column: statement.excluded[column] for column in update}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    returned = session.execute(statement.returning(*(getattr(model, key) for key in keys)))
    return returned.first() is not None


def save(session: Session, model: type[Any], values: Mapping[str, Any], *, keep: Collection[str] = ()) -> None:
    """Insert the row, or overwrite the one with the same primary key: every given column but
    the key and ``keep`` (e.g. when it was first made) takes the new value. Atomic, as :func:`upsert`."""
    keys = [column.name for column in model.__table__.primary_key]
    update = [column for column in values if column not in keys and column not in keep]
    upsert(session, model, values, keys=keys, update=update)


def open_database(database_url: str, *, sleep: Callable[[float], None] = time.sleep) -> sessionmaker[Session]:
    """Engine, wait, migrate: what ``digestbot run`` and ``post`` do before anything else."""
    engine = create_db_engine(database_url)
    wait_for_database(engine, sleep=sleep)
    try:
        migrate(engine)
    except OperationalError as error:
        reason = str(error.orig).splitlines()[0] if error.orig else type(error).__name__
        raise StorageUnavailable(f"Cannot migrate the database {describe_url(engine)}: {reason}.") from None
    return sessionmaker(engine, expire_on_commit=False)
