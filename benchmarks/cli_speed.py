"""Wall time and peak memory of the CLI's main job, and of ``digestbot --help``.

Targets (issue 3): ``digest --source sample`` ≤ 5 s wall on 2 cores and ≤ 250 MB peak RSS;
``--help`` ≤ 0.5 s. Each command runs in a fresh process, as a user would run it.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DIGESTBOT = str(Path(sys.executable).parent / "digestbot")
RUNS = 5


def timed_run(arguments: list[str], cwd: str) -> tuple[float, float]:
    """Wall seconds and the child's peak RSS in MB (wait4 reports it per process). Each run gets
    a new database, so ``digest`` really builds (a stored digest would only be re-rendered)."""
    database = f"sqlite:///{tempfile.mkdtemp(dir=cwd)}/bot.db"
    started = time.perf_counter()
    process = subprocess.Popen(
        [DIGESTBOT, *arguments],
        cwd=cwd,
        env={**os.environ, "DATABASE_URL": database},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"digestbot {' '.join(arguments)} failed: {process.stderr.read().decode()}")  # type: ignore[union-attr]
    return elapsed, usage.ru_maxrss / 1024


def report(name: str, samples: list[tuple[float, float]], *, time_target: float, rss_target: float | None) -> None:
    times = [t for t, _ in samples]
    peak = max(rss for _, rss in samples)
    median = statistics.median(times)
    line = f"{name:<26} median {median:5.2f} s  max {max(times):5.2f} s"
    line += f"  (target ≤ {time_target} s, ratio {median / time_target:.2f})"
    if rss_target is not None:
        line += f"  peak RSS {peak:6.1f} MB (target ≤ {rss_target} MB, ratio {peak / rss_target:.2f})"
    print(line)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        env_free = {"cwd": folder}
        timed_run(["digest", "--source", "sample", "--out", folder], **env_free)  # warm the file cache
        digest = [timed_run(["-q", "digest", "--source", "sample", "--out", folder], **env_free) for _ in range(RUNS)]
        helps = [timed_run(["--help"], **env_free) for _ in range(RUNS)]
    print(f"{RUNS} runs each, {os.cpu_count()} cores")
    report("digest --source sample", digest, time_target=5.0, rss_target=250.0)
    report("--help", helps, time_target=0.5, rss_target=None)


if __name__ == "__main__":
    main()
