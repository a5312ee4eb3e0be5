"""Builders and checks shared by the delivery tests (plain functions, like ``tests/helpers.py``)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

from digestbot.bot.delivery.service import idempotency_key
from digestbot.bot.storage.db import open_database
from digestbot.bot.storage.digests import SqlDigestStore
from tests.fakes.memory_transport import FakePlatform, cli_command, dump
from tests.helpers import offline_digest

SAMPLE_DAY = dt.date(2026, 6, 26)
SECTIONS = 8  # the sample day fills all eight categories
PROJECT = Path(__file__).resolve().parent.parent


def with_sample_digest(database_url: str) -> str:
    """Store the sample day's digest as ``digestbot run`` would have built it (saves each test the build)."""
    sessions = open_database(database_url)
    SqlDigestStore(sessions).save_digest(offline_digest())
    sessions.kw["bind"].dispose()
    return database_url


def assert_posted_once(platform: FakePlatform, channel: str = "c1", replies: int = SECTIONS) -> None:
    """One parent, every reply in its thread, in order, and nothing else."""
    parents = platform.parents(channel)
    assert len(parents) == 1, dump(platform)
    thread = platform.replies(channel, parents[0].id)
    assert len(thread) == replies, dump(platform)
    assert len(platform.messages(channel)) == 1 + replies, dump(platform)
    keys = [m.idempotency_key for m in [parents[0], *thread]]
    assert keys == [idempotency_key("fake", channel, SAMPLE_DAY, i) for i in range(1 + replies)]


def start_post(
    tmp_path: Path, database_url: str, *, channel: str = "c1", crash: str | None = None
) -> subprocess.Popen[str]:
    """``digestbot post --channel fake:<channel>`` in its own process, posting to the fake platform file."""
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT),
        "DATABASE_URL": database_url,
        "FAKE_PLATFORM_FILE": str(tmp_path / "platform.db"),
    }
    env.pop("FAKE_PLATFORM_CRASH", None)
    if crash:
        env["FAKE_PLATFORM_CRASH"] = crash
    return subprocess.Popen(
        cli_command("post", "--channel", f"fake:{channel}", "--source", "sample"),
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_post(tmp_path: Path, database_url: str, *, crash: str | None = None) -> subprocess.CompletedProcess[str]:
    process = start_post(tmp_path, database_url, crash=crash)
    stdout, stderr = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
