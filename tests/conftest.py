"""Fixtures every test gets: an isolated environment and working directory.

Settings read the environment and ``.env``; without this isolation a developer's real
tokens or database would leak into tests (and tests into their database).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from digestbot.bot.config import Settings

_SETTING_VARIABLES = [name.upper() for name in Settings.model_fields]


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run each test in its own empty directory with none of the bot's variables set."""
    for variable in _SETTING_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'digestbot.db'}")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


def running_in_ci() -> bool:
    return os.environ.get("CI") == "true"
