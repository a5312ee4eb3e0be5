"""What ``soak.py`` runs the bot in: a shifted clock, a throw-away PostgreSQL, a month of arXiv
papers, and the real ``digestbot run`` process with its log, loop-lag samples and memory.

Kept apart from the scenario so ``soak.py`` reads as the month it simulates.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from digestbot.summarizer.models import Paper
from digestbot.summarizer.sources.calendar import is_announcement_day, submission_window
from digestbot.summarizer.sources.jsonl import sample_source

DIGESTBOT = str(Path(__file__).resolve().parent.parent / ".venv" / "bin" / "digestbot")
LIBFAKETIME = next(iter(glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1")), None)
MIN_JUMP_SECONDS = 60
_LAG_LINE = re.compile(r"loop lag (\d+(?:\.\d+)?) ms")


class ShiftedClock:
    """The bot's wall and monotonic clocks: real time plus an offset that only moves forward.

    libfaketime reads the offset from a file (re-read every second), so a running process sees
    every jump. Jumps happen while the bot is idle: to it, a jump is the machine pausing the
    process for that long, after which every timer that came due fires — see ``soak.py``.
    """

    def __init__(self, folder: Path, start: dt.datetime) -> None:
        self.file = folder / "faketime.rc"
        self.offset = 0
        self.jumps: list[int] = []
        self._write(round(start.timestamp() - time.time()))
        self.jumps.clear()

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(time.time() + self.offset, dt.UTC)

    def jump_to(self, instant: dt.datetime) -> None:
        """Move forward to ``instant`` (never back: the monotonic clock follows the offset).

        Under a minute, real time is let pass instead: every jump is then far longer than any
        loop-lag sample, so the probe's sample that spans it is told apart and corrected.
        """
        delta = instant.timestamp() - (time.time() + self.offset)
        if delta >= MIN_JUMP_SECONDS:
            self._write(self.offset + round(delta))
        elif delta > 0:
            time.sleep(delta)

    def _write(self, offset: int) -> None:
        self.jumps.append(offset - self.offset)
        self.offset = offset
        self.file.write_text(f"{offset:+d}\n")

    def env(self) -> dict[str, str]:
        if LIBFAKETIME is None:
            raise SystemExit("Debian's libfaketime is required: apt-get install libfaketime")
        return {
            "LD_PRELOAD": LIBFAKETIME,
            "FAKETIME_TIMESTAMP_FILE": str(self.file),
            "FAKETIME_CACHE_DURATION": "1",
            "TZ": "UTC",
        }


class Postgres:
    """A throw-away cluster of Debian's PostgreSQL on its own port, so restarting it disturbs no one."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.folder = Path(tempfile.mkdtemp(prefix="digestbot-soak-pg-"))
        self.bin = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
        shutil.chown(self.folder, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/soak"

    def _as_postgres(self, *command: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True)

    def __enter__(self) -> Postgres:
        data = str(self.folder / "data")
        self._as_postgres(f"{self.bin}/initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()
        self._as_postgres(f"{self.bin}/createdb", "-h", "127.0.0.1", "-p", str(self.port), "soak")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.folder / "server.log")
        self._as_postgres(
            f"{self.bin}/pg_ctl", "-D", str(self.folder / "data"), "-l", log, "-o", options, "-w", "start"
        )

    def stop(self) -> None:
        self._as_postgres(f"{self.bin}/pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")

    def __exit__(self, *_: object) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def month_of_papers(first: dt.date, last: dt.date, *, per_day: int) -> list[Paper]:
    """``per_day`` papers submitted inside each announcement's window, so the API rebuilds every day.

    The texts are the shipped sample's (a real arXiv day), taken in turn; ids are made up but
    well-formed, one block per announcement date.
    """
    pool = sample_source().papers()
    papers: list[Paper] = []
    day, taken = first, 0
    while day <= last:
        if is_announcement_day(day):
            start, end = submission_window(day)
            step = (end - start) / (per_day + 1)
            for index in range(per_day):
                source = pool[taken % len(pool)]
                taken += 1
                papers.append(
                    source.model_copy(
                        update={
                            "arxiv_id": f"{day:%y%m}.{day.day:02d}{index:03d}",
                            "version": 1,
                            "published": start + step * (index + 1),
                            "updated": start + step * (index + 1),
                        }
                    )
                )
        day += dt.timedelta(days=1)
    return papers


@dataclass
class Lifetime:
    """One ``digestbot run`` process, from start to its SIGKILL or SIGTERM."""

    pid: int
    posts_before: int
    rss_kb: list[int] = field(default_factory=list)
    warm_kb: int | None = None


class BotProcess:
    """The real ``digestbot run`` under the shifted clock; its log is read line by line."""

    def __init__(self, *, folder: Path, env: dict[str, str], clock: ShiftedClock) -> None:
        self.folder = folder
        self.env = env
        self.clock = clock
        self.lifetimes: list[Lifetime] = []
        self.lag_ms: list[tuple[float, str]] = []
        self.log: list[str] = []
        self._pending_jumps = 0
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, *, posts_before: int) -> None:
        """Start a lifetime; ``posts_before``: messages in Slack already, to tell its own first digest."""
        self.clock.jumps.clear()
        env = {**os.environ, **self.env, **self.clock.env()}
        env.pop("FAKETIME", None)
        self._process = subprocess.Popen(
            [DIGESTBOT, "run"], cwd=self.folder, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.lifetimes.append(Lifetime(self._process.pid, posts_before))
        self._reader = threading.Thread(target=self._read, args=(self._process,), daemon=True)
        self._reader.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            match = _LAG_LINE.search(line)
            if match is None:
                self.log.append(line.rstrip("\n"))
            else:
                self.lag_ms.append((self._corrected(float(match.group(1))), line[: match.start()].strip()))

    def _corrected(self, lag_ms: float) -> float:
        """A sample whose sleep spanned clock jumps overran by those jumps: take them off.

        Jumps are at least a minute, samples a fraction of a second apart, so only a sample that
        spans a jump (or a stall of the loop) reaches 30 s; a stall that spans several jumps
        has them all taken off, and what remains is the stall.
        """
        jumps = self.clock.jumps
        while lag_ms >= 30_000 and jumps and lag_ms >= 1000 * jumps[0] - 1500:
            lag_ms -= 1000 * jumps.pop(0)
        return max(0.0, lag_ms)

    def sample_rss(self) -> None:
        if self.alive():
            status = Path(f"/proc/{self.pid}/status").read_text()
            kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            self.lifetimes[-1].rss_kb.append(kb)

    def mark_warm(self) -> None:
        """The lifetime posted its first digest: models, fonts and caches are loaded from here on."""
        lifetime = self.lifetimes[-1]
        if lifetime.warm_kb is None and lifetime.rss_kb:
            lifetime.warm_kb = lifetime.rss_kb[-1]

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when the OOM killer or a node failure strikes."""
        self.sample_rss()
        os.kill(self.pid, signal.SIGKILL)
        self.wait()

    def stop(self) -> int:
        self.sample_rss()
        assert self._process is not None
        self._process.send_signal(signal.SIGTERM)
        return self.wait()

    def wait(self) -> int:
        assert self._process is not None
        code = self._process.wait(timeout=60)
        if self._reader is not None:
            self._reader.join(timeout=5)
        return code

    def errors(self) -> Iterator[str]:
        return (line for line in self.log if " ERROR " in line or "Traceback" in line)
