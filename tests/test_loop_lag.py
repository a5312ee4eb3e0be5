"""The opt-in event-loop lag probe (``DIGEST_LOOP_LAG_LOG``) that the soak benchmark reads."""

from __future__ import annotations

import asyncio
import logging
import re
import time

import pytest

from digestbot.app.loop_lag import log_loop_lag

LAG_LINE = re.compile(r"^loop lag (\d+\.\d) ms$")


def test_a_blocked_loop_shows_in_the_next_sample(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        probe = asyncio.create_task(log_loop_lag(0.01))
        await asyncio.sleep(0.05)
        time.sleep(0.3)  # a blocking call on the loop, as the probe exists to reveal
        await asyncio.sleep(0.05)
        probe.cancel()

    with caplog.at_level(logging.INFO, logger="digestbot.app.loop_lag"):
        asyncio.run(scenario())
    lags = [float(match.group(1)) for record in caplog.records if (match := LAG_LINE.match(record.getMessage()))]
    assert len(lags) >= 3 and len(lags) == len(caplog.records)
    assert max(lags) >= 250  # the 300 ms block, less the sleep it interrupted
