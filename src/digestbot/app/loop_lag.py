"""An opt-in probe of event-loop lag: how late a timer fires is how long every handler waited.

Everything the bot does shares one asyncio loop (Slack acks, /healthz, the scheduler), so a
blocking call anywhere shows up as a timer that fires late. ``DIGEST_LOOP_LAG_LOG=<seconds>``
starts a task that sleeps that long, again and again, and logs by how much each sleep overran:
one line per sample, so a soak run or an operator can compute percentiles from the log alone.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)


async def log_loop_lag(interval: float) -> None:
    """Sample until cancelled; ``interval`` seconds between samples (> 0)."""
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        await asyncio.sleep(interval)
        lag = max(0.0, loop.time() - started - interval)
        log.info("loop lag %.1f ms", lag * 1000)
