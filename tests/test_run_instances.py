"""Three real ``digestbot run`` processes on one PostgreSQL, with a model server: the day is built
once, and when the instance posting it is SIGKILLed mid-post, a survivor finishes the post.

The subscription's time has passed, so every instance's start-up catch-up delivers at once: they
race for the build (one lease) and for the delivery (one claim). Whichever instance wins the
delivery is SIGKILLed at its third message (the fake platform does it, once); a survivor, retrying
the claim, sees the holder is dead and resumes at the first unsent message. Model calls are
compared with one ``digestbot digest`` build against a fresh model server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.delivery_helpers import PROJECT, SECTIONS, assert_posted_once
from tests.fakes.memory_transport import FakePlatform, cli_command
from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes.postgres import fresh_database
from tests.test_runtime import free_port

INSTANCES = 3
TAKEOVER_BOUND = 120.0  # the bound: survivors finish within two minutes of the kill


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


def env_for(tmp_path: Path, database_url: str, model_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(PROJECT),
        "DATABASE_URL": database_url,
        "DIGEST_SOURCE": "sample",
        "OPENAI_BASE_URL": model_url,
        "OPENAI_API_KEY": "sk-test",
        "FAKE_PLATFORM_FILE": str(tmp_path / "platform.db"),
        # whichever instance wins the delivery dies at its third message (two are posted)
        "FAKE_PLATFORM_CRASH": "before:3",
        "FAKE_PLATFORM_CRASH_ONCE": str(tmp_path / "crashed"),
    }


def start(env: dict[str, str], cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        cli_command(*args),
        env={**env, "PORT": str(free_port())},
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def single_build_calls(tmp_path: Path) -> int:
    """Model calls of one build of the sample day, by ``digestbot digest`` alone."""
    with FakeOpenAIServer() as model:
        env = env_for(tmp_path, f"sqlite:///{tmp_path / 'single.db'}", model.url)
        done = subprocess.run(
            cli_command("digest", "--out", str(tmp_path / "single")), env=env, cwd=tmp_path, capture_output=True
        )
        assert done.returncode == 0, done.stderr
        return len(model.chat_requests())


def wait_for(condition: object, *, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_three_instances_build_once_and_survive_a_kill_mid_post(tmp_path: Path, postgres_url: str) -> None:
    platform = FakePlatform(tmp_path / "platform.db")
    with FakeOpenAIServer() as model:
        env = env_for(tmp_path, postgres_url, model.url)
        added = start(
            env, tmp_path, "subscriptions", "add", "fake:c1", "--time", "00:00", "--tz", "UTC", "--days", "daily"
        )
        assert added.wait(timeout=60) == 0, added.stderr.read() if added.stderr else ""
        processes = [start(env, tmp_path, "run") for _ in range(INSTANCES)]
        try:
            wait_for(lambda: any(p.poll() is not None for p in processes), what="the kill", timeout=120)
            killed_at = time.monotonic()
            wait_for(lambda: len(platform.messages("c1")) >= 1 + SECTIONS, what="the rest", timeout=TAKEOVER_BOUND)
            print(f"a survivor finished the post {time.monotonic() - killed_at:.1f} s after the kill")
            calls = len(model.chat_requests())
        finally:
            logs = stop_all(processes)
    [killed] = [process for process, _ in logs if process.returncode == -signal.SIGKILL]
    assert_posted_once(platform)
    single = single_build_calls(tmp_path)
    print(f"model calls: {calls} for three instances, {single} for one build")
    assert calls <= 1.2 * single, (calls, single)
    survivors = [log for process, log in logs if process is not killed]
    assert len(survivors) == INSTANCES - 1
    for log in survivors:
        assert " ERROR " not in log and "Traceback" not in log, log


def stop_all(processes: list[subprocess.Popen[str]]) -> list[tuple[subprocess.Popen[str], str]]:
    logs = []
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        logs.append((process, stderr))
    return logs
