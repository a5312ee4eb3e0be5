"""Idle memory and start-up time of ``digestbot run`` with Slack (Socket Mode) and Discord connected.

Target (issue 6): idle RSS ≤ 200 MB; (issue 7): cold start to ready ≤ 2 s, network handshakes
excluded (here they are included, against local fakes, so the figure is an upper bound).

Slack's Web API and Socket Mode endpoint and Discord's REST API and gateway are the local fakes
of ``tests/fakes``; the bot is a real ``digestbot run`` subprocess pointed at them, holding the
shipped sample day. Run as ``.venv/bin/python benchmarks/run_memory.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes.discord_api import FakeDiscord
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_socket import FakeSocketMode

DIGESTBOT = str(Path(sys.executable).parent / "digestbot")
IDLE_SECONDS = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def health(port: int) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return json.loads(response.read())
    except OSError:
        return None


def memory_mb(pid: int) -> tuple[float, float]:
    """Resident set now and its peak (VmRSS, VmHWM) of a process, in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def main() -> None:
    with FakeSlackApi() as slack, FakeDiscord() as discord, tempfile.TemporaryDirectory() as folder:
        async with FakeSocketMode() as socket_mode:
            slack.socket_url = socket_mode.url
            port = free_port()
            env = {
                **os.environ,
                "SLACK_BOT_TOKEN": FakeSlackApi.BOT_TOKEN,
                "SLACK_APP_TOKEN": "xapp-test",
                "SLACK_API_URL": slack.api_url,
                "DISCORD_TOKEN": discord.token,
                "DISCORD_API_URL": discord.api_url,
                "DIGEST_SOURCE": "sample",
                "DATABASE_URL": f"sqlite:///{folder}/bot.db",
                "PORT": str(port),
            }
            started = time.perf_counter()
            bot = await asyncio.create_subprocess_exec(
                DIGESTBOT, "run", cwd=folder, env=env, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            report = None
            while report is None or report.get("status") != "ok":
                if bot.returncode is not None or time.perf_counter() - started > 60:
                    raise SystemExit(f"digestbot run did not get ready: {(await bot.stderr.read()).decode()}")  # type: ignore[union-attr]
                await asyncio.sleep(0.05)
                report = await asyncio.to_thread(health, port)
            ready = time.perf_counter() - started
            await asyncio.sleep(IDLE_SECONDS)
            rss, peak = memory_mb(bot.pid)
            bot.terminate()
            await bot.wait()
    print(f"adapters connected: {report.get('adapters')}")
    print(f"cold start to ready (incl. handshakes with the fakes): {ready:.2f} s (target ≤ 2 s, ratio {ready / 2:.2f})")
    print(f"idle RSS after {IDLE_SECONDS} s: {rss:.1f} MB, peak {peak:.1f} MB (target ≤ 200 MB, ratio {rss / 200:.2f})")


if __name__ == "__main__":
    asyncio.run(main())
