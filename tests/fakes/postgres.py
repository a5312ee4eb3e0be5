"""A throw-away PostgreSQL database per test, on the server named by DIGESTBOT_TEST_POSTGRES_URL.

``.ci/postgres.sh`` starts such a server. Without the variable the PostgreSQL tests skip with
the reason locally, and fail under CI (``CI=true``): a guarantee "tested on PostgreSQL" must not
silently become "tested on SQLite only".
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, make_url

VARIABLE = "DIGESTBOT_TEST_POSTGRES_URL"


def server_url() -> str:
    url = os.environ.get(VARIABLE)
    if url:
        return url
    reason = f"{VARIABLE} is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:54329/digestbot_test)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@contextmanager
def fresh_database() -> Iterator[str]:
    """Create an empty database, yield its URL, drop it (closing leftover connections)."""
    base = make_url(server_url())
    name = f"digestbot_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
