"""A real crash: ``digestbot post`` SIGKILLed mid-delivery, then restarted, posts everything once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.delivery_helpers import SAMPLE_DAY, assert_posted_once, run_post, with_sample_digest
from tests.fakes.memory_transport import FakePlatform


@pytest.mark.parametrize(
    "crash",
    [
        pytest.param("before:2", id="killed-between-parent-and-replies"),
        pytest.param("after:1", id="killed-before-the-parent-was-recorded"),
    ],
)
def test_sigkill_mid_delivery_then_restart_posts_everything_exactly_once(tmp_path: Path, crash: str) -> None:
    platform = FakePlatform(tmp_path / "platform.db")
    url = with_sample_digest(f"sqlite:///{tmp_path / 'bot.db'}")
    killed = run_post(tmp_path, url, crash=crash)
    assert killed.returncode == -9, killed.stderr
    assert len(platform.parents("c1")) == 1 and len(platform.messages("c1")) == 1
    restarted = run_post(tmp_path, url)
    assert restarted.returncode == 0, restarted.stderr
    assert restarted.stdout.startswith(f"fake:c1 {SAMPLE_DAY}: sent")
    assert_posted_once(platform)
    again = run_post(tmp_path, url)
    assert (again.returncode, again.stdout) == (0, f"fake:c1 {SAMPLE_DAY}: already posted\n")
    assert_posted_once(platform)
