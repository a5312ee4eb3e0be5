"""``digestbot run`` as a real process (health, SIGTERM, crash and restart), ``post``, and the logs."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from digestbot.app import cli_run, logs, platforms
from digestbot.app.cli import app
from digestbot.bot.config import ConfigError, load_settings
from tests.delivery_helpers import PROJECT, SAMPLE_DAY, SECTIONS, assert_posted_once, with_sample_digest
from tests.fakes.memory_transport import FakePlatform, cli_command

runner = CliRunner()
SECRET_TOKEN = "xoxb-test-not-a-real-token"


def cli() -> typer.Typer:
    if not any(command.callback is cli_run.post for command in app.registered_commands):
        cli_run.register(app)
    return app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def health(port: int) -> tuple[int, dict[str, Any]] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status, json.loads(response.read())
    except OSError:
        return None


def wait_until(condition: Any, *, what: str, process: subprocess.Popen[str], timeout: float = 30) -> Any:
    """Poll ``condition`` (the bot is a separate process; there is nothing to await)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        if process.poll() is not None:
            pytest.fail(f"the bot exited ({process.returncode}) before {what}: {process.stderr.read()}")  # type: ignore[union-attr]
        time.sleep(0.05)
    process.kill()
    pytest.fail(f"timed out waiting for {what}")


class BotProcess:
    def __init__(self, tmp_path: Path, **env: str) -> None:
        self.tmp_path = tmp_path
        self.port = free_port()
        self.env = {
            **os.environ,
            "PYTHONPATH": str(PROJECT),
            "PORT": str(self.port),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
            "DIGEST_SOURCE": "sample",
            **env,
        }

    def cli(self, *args: str, crash: str | None = None, **extra_env: str) -> subprocess.Popen[str]:
        env = {**self.env, **extra_env, **({"FAKE_PLATFORM_CRASH": crash} if crash else {})}
        return subprocess.Popen(
            cli_command(*args),
            env=env,
            cwd=self.tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def stop(self, process: subprocess.Popen[str]) -> str:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
        assert process.returncode == 0, stderr
        return stderr


def test_run_with_no_platform_serves_health_and_stops_on_sigterm(tmp_path: Path) -> None:
    bot = BotProcess(tmp_path)
    process = bot.cli("run")
    status, report = wait_until(lambda: health(bot.port), what="/healthz", process=process)
    assert (status, report) == (200, {"status": "ok"})  # public: status only, nothing about the team
    checked = runner.invoke(cli(), ["health", "--url", f"http://127.0.0.1:{bot.port}/healthz"])
    assert checked.exit_code == 0 and json.loads(checked.stdout) == {"status": "ok"}
    stderr = bot.stop(process)
    assert stderr.count("using the offline extractive back end") == 1 and "ready: no chat platform" in stderr
    assert "shutting down" in stderr and stderr.rstrip().endswith("stopped")
    down = runner.invoke(cli(), ["health", "--url", f"http://127.0.0.1:{bot.port}/healthz"])
    assert down.exit_code == 1 and down.stderr.startswith("Error: No healthy bot at ")


def test_run_killed_mid_digest_resumes_after_a_restart(tmp_path: Path) -> None:
    with_sample_digest(f"sqlite:///{tmp_path / 'bot.db'}")
    platform = FakePlatform(tmp_path / "platform.db")
    bot = BotProcess(tmp_path, FAKE_PLATFORM_FILE=str(tmp_path / "platform.db"))
    added = bot.cli("subscriptions", "add", "fake:c1", "--time", "00:00", "--tz", "UTC", "--days", "daily")
    assert added.wait(timeout=30) == 0
    first = bot.cli("run", crash="before:3")  # dies at the second reply of the start-up catch-up
    assert first.wait(timeout=30) == -signal.SIGKILL
    assert len(platform.messages("c1")) == 2
    second = bot.cli("run")
    wait_until(lambda: len(platform.messages("c1")) == 1 + SECTIONS, what="the remaining replies", process=second)
    _, report = wait_until(lambda: health(bot.port), what="/healthz", process=second)
    assert report == {"status": "ok"}
    bot.stop(second)
    assert_posted_once(platform)


@pytest.fixture
def fake_platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakePlatform:
    monkeypatch.setitem(platforms.EXTRA_PLATFORMS, "fake", "tests.fakes.memory_transport")
    monkeypatch.setenv("FAKE_PLATFORM_FILE", str(tmp_path / "platform.db"))
    with_sample_digest(f"sqlite:///{tmp_path / 'digestbot.db'}")
    return FakePlatform(tmp_path / "platform.db")


def test_post_is_idempotent_per_channel_and_date(fake_platform: FakePlatform) -> None:
    first = runner.invoke(cli(), ["post", "--channel", "fake:c1", "--source", "sample"])
    assert first.exit_code == 0, first.output
    assert first.stdout == f"fake:c1 {SAMPLE_DAY}: sent ({1 + SECTIONS} of {1 + SECTIONS} messages sent now)\n"
    again = runner.invoke(cli(), ["post", "--channel", "fake:c1", "--source", "sample", "--date", "2026-06-26"])
    assert (again.exit_code, again.stdout) == (0, f"fake:c1 {SAMPLE_DAY}: already posted\n")
    assert_posted_once(fake_platform)


def _parent_lines(platform: FakePlatform, channel: str) -> dict[str, str]:
    [parent] = platform.parents(channel)
    return dict(line.split(": ", 1) for line in parent.text.splitlines()[1:] if ": " in line)


def test_post_detail_and_interests_override_the_subscription_for_that_post_only(
    fake_platform: FakePlatform,
) -> None:
    subscribed = runner.invoke(cli(), ["subscriptions", "add", "fake:c1", "--detail", "brief", "--interests", "chess"])
    assert subscribed.exit_code == 0, subscribed.output
    runner.invoke(cli(), ["subscriptions", "add", "fake:c2", "--detail", "brief", "--interests", "chess"])

    overridden = runner.invoke(
        cli(), ["post", "--channel", "fake:c1", "--source", "sample", "--detail", "full", "--interests", "quantization"]
    )
    as_subscribed = runner.invoke(cli(), ["post", "--channel", "fake:c2", "--source", "sample"])
    unsubscribed = runner.invoke(cli(), ["post", "--channel", "fake:c3", "--source", "sample"])

    assert overridden.exit_code == as_subscribed.exit_code == unsubscribed.exit_code == 0, overridden.output
    c1, c2, c3 = (_parent_lines(fake_platform, c) for c in ("c1", "c2", "c3"))
    assert (c1["Detail"], c2["Detail"], c3["Detail"]) == ("full", "brief", "brief")
    assert len({c1["Top picks"], c2["Top picks"], c3["Top picks"]}) == 3  # quantization, chess, nobody's
    kept = runner.invoke(cli(), ["subscriptions", "list"])
    assert "brief post, interests: chess" in kept.stdout.splitlines()[0]  # the subscription is unchanged


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--detail", "everything", "Error: --detail: 'everything' is not a detail level"),
        ("--interests", "x" * 80, "Error: --interests: interest 'x"),
    ],
)
def test_a_bad_post_override_is_one_clear_line_and_posts_nothing(
    fake_platform: FakePlatform, option: str, value: str, message: str
) -> None:
    result = runner.invoke(cli(), ["post", "--channel", "fake:c1", "--source", "sample", option, value])

    assert result.exit_code == 1
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert fake_platform.messages() == []


@pytest.mark.parametrize(
    ("channel", "message"),
    [
        ("C0123", "Error: 'C0123' is not a channel; use platform:channel_id, e.g. slack:C0123ABC"),
        ("telegram:1", "Error: Unknown platform 'telegram'; use one of: "),
    ],
)
def test_post_to_a_bad_channel_is_one_clear_line(fake_platform: FakePlatform, channel: str, message: str) -> None:
    result = runner.invoke(cli(), ["post", "--channel", channel, "--source", "sample"])
    assert result.exit_code == 1
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert fake_platform.messages() == []


def test_json_logs_never_carry_a_secret(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", SECRET_TOKEN)
    monkeypatch.setenv("DISCORD_TOKEN", "discord-test-token-value")
    settings = load_settings(
        database_url="postgresql+psycopg://bot:db-test-password@db:5432/digestbot",
        log_format="json",
    )
    logs.configure_logging(settings)
    log = logging.getLogger("digestbot.test")
    log.warning("calling Slack with %s", SECRET_TOKEN)
    try:
        raise RuntimeError(f"connect failed for postgresql://bot:db-test-password@db with {SECRET_TOKEN}")
    except RuntimeError:
        log.exception("database trouble")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [entry["message"] for entry in lines] == ["calling Slack with [redacted]", "database trouble"]
    assert "RuntimeError: connect failed for postgresql://bot:[redacted]@db with [redacted]" in lines[1]["error"]
    assert {entry["level"] for entry in lines} == {"warning", "error"}
    everything = json.dumps(lines)
    for secret in (SECRET_TOKEN, "db-test-password", "discord-test-token-value"):
        assert secret not in everything


def _configured(monkeypatch: pytest.MonkeyPatch, **variables: str) -> list[str]:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "DISCORD_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return [platform.name for platform in platforms.configured_platforms()]


def test_platforms_are_configured_by_their_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _configured(monkeypatch) == []
    assert _configured(
        monkeypatch, SLACK_BOT_TOKEN="xoxb-test", SLACK_APP_TOKEN="xapp-test", DISCORD_TOKEN="discord-test"
    ) == ["discord", "slack"]
    assert _configured(monkeypatch, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET="signing-test") == ["slack"]

    # Deciding must not import a platform library (checked in a fresh interpreter: other tests import them).
    probe = (
        "import sys; from digestbot.app import platforms; "
        "platforms.configured_platforms(); "
        "print(sorted(m for m in ('slack_bolt', 'slack_sdk', 'discord') if m in sys.modules))"
    )
    environment = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-t", "DISCORD_TOKEN": "d"}
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=environment
    )
    assert completed.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-test"}, "SLACK_APP_TOKEN (Socket Mode, no public URL) or SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "xapp-test", "SLACK_APP_TOKEN": "xapp-test"}, "SLACK_BOT_TOKEN must be a bot token"),
        ({"SLACK_APP_TOKEN": "xapp-test"}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xoxb-other"}, "SLACK_APP_TOKEN must be an app-level"),
        ({"DISCORD_TOKEN": "xoxb-test"}, "DISCORD_TOKEN is a Slack token"),
    ],
)
def test_a_half_configured_platform_stops_start_up_naming_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], named: str
) -> None:
    """It used to start silently with "no chat platform" (issue 12)."""
    with pytest.raises(ConfigError, match="only partly configured") as stopped:
        _configured(monkeypatch, **variables)
    assert named in str(stopped.value)
    assert "xoxb-test" not in str(stopped.value) and "xapp-test" not in str(stopped.value)


@pytest.mark.parametrize(
    ("token", "first_problem"),
    [
        ("abc", "SLACK_BOT_TOKEN must be a bot token starting with xoxb-."),
        (SECRET_TOKEN, "Slack needs SLACK_APP_TOKEN"),
    ],
)
def test_digestbot_run_with_half_a_slack_configuration_exits_with_one_line(
    monkeypatch: pytest.MonkeyPatch, token: str, first_problem: str
) -> None:
    """A bot token alone used to start "no chat platform" silently (issue 12)."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", token)
    result = runner.invoke(cli(), ["run"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: slack is only partly configured: {first_problem}")
    assert "SLACK_APP_TOKEN" in result.stderr and result.stderr.count("\n") == 1
    assert SECRET_TOKEN not in result.stderr
