"""Fixtures every test gets: an isolated environment and working directory.

Settings read the environment and ``.env``; without this isolation a developer's real
tokens or database would leak into tests (and tests into their database).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from digestbot.app.platforms import platform_variables
from digestbot.bot.config import Settings

_SETTING_VARIABLES = [name.upper() for name in Settings.model_fields] + platform_variables()


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run each test in its own empty directory with none of the bot's variables set."""
    for variable in _SETTING_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'digestbot.db'}")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(autouse=True)
def isolated_logging() -> Iterator[None]:
    """Every CLI command points the root logger at its own stderr (the runner's, in a test);
    put the root logger back so one test's handler and level never reach the next."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database holding the sample day's digest, on SQLite and on a real PostgreSQL, for the
    delivery tests (several bot instances share PostgreSQL in production)."""
    from tests.delivery_helpers import with_sample_digest
    from tests.fakes.postgres import fresh_database

    if request.param == "sqlite":
        yield with_sample_digest(f"sqlite:///{tmp_path / 'bot.db'}")
    else:
        with fresh_database() as url:
            yield with_sample_digest(url)
