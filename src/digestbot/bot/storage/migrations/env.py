"""Alembic's entry point. :func:`digestbot.bot.storage.db.migrate` passes an open connection in
``config.attributes``; the ``alembic`` command line (for writing new revisions) falls back to
DATABASE_URL."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from digestbot.bot.storage.tables import Base


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from digestbot.bot.storage.db import create_db_engine

    engine = create_db_engine(os.environ.get("DATABASE_URL", "sqlite:///./digestbot.db"))
    with engine.begin() as new_connection:
        _run(new_connection)


run_migrations_online()
