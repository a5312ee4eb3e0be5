"""The real ``digestbot run`` process under a shifted clock (Debian's libfaketime), on DST edges.

Started on the days after a fall-back with a subscription inside the repeated hour, the first
version never answered /healthz: its catch-up check stepped wall-clock time on the event loop
and never left the repeated hour. Here the process must come up, answer and post its catch-up.
"""

from __future__ import annotations

import glob
import os
import subprocess
from pathlib import Path

import pytest

from tests.fakes.memory_transport import FakePlatform
from tests.test_runtime import BotProcess, health, wait_until

# The library itself, preloaded: the `faketime` wrapper forks and would not pass SIGTERM on.
LIBFAKETIME = next(iter(glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1")), None)
needs_faketime = pytest.mark.skipif(
    LIBFAKETIME is None and not os.environ.get("CI"), reason="Debian's libfaketime is not installed (.ci/run does)"
)


def shifted(bot: BotProcess, instant: str, *args: str) -> subprocess.Popen[str]:
    """``digestbot ARGS`` with the wall clock starting at ``instant`` (UTC); the monotonic clock stays real."""
    assert LIBFAKETIME is not None, "libfaketime is required in CI"
    return bot.cli(*args, TZ="UTC", LD_PRELOAD=LIBFAKETIME, FAKETIME=f"@{instant}", DONT_FAKE_MONOTONIC="1")


@needs_faketime
@pytest.mark.parametrize(
    ("zone", "time", "clock", "upcoming"),
    [
        ("Africa/Cairo", "23:30", "2026-10-30 12:00:00", "Fri 2026-10-30 23:30"),
        ("America/New_York", "01:30", "2026-11-02 12:00:00", "Tue 2026-11-03 01:30"),
        ("Europe/Berlin", "02:30", "2026-10-26 12:00:00", "Tue 2026-10-27 02:30"),
    ],
)
def test_run_answers_on_the_days_after_a_fall_back(
    tmp_path: Path, zone: str, time: str, clock: str, upcoming: str
) -> None:
    platform = FakePlatform(tmp_path / "platform.db")
    bot = BotProcess(tmp_path, FAKE_PLATFORM_FILE=str(tmp_path / "platform.db"))
    added = bot.cli("subscriptions", "add", "fake:c1", "--time", time, "--tz", zone, "--days", "daily")
    assert added.wait(timeout=30) == 0, added.stderr.read() if added.stderr else ""
    process = shifted(bot, clock, "run")
    status, report = wait_until(lambda: health(bot.port), what="/healthz", process=process)
    assert status == 200 and report["status"] == "ok"
    listed, _ = shifted(bot, clock, "subscriptions", "list").communicate(timeout=30)
    assert f"Next post: {upcoming} " in listed  # the next local day, at its wall time
    stderr = bot.stop(process)
    assert "Traceback" not in stderr
    parents = [message for message in platform.messages("c1") if message.thread_id is None]
    assert len(parents) <= 1  # today's run may be caught up (New York's was at 01:30), never twice
