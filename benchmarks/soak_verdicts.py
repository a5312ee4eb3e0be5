"""The soak's verdicts: what ``benchmarks/soak.py`` prints and judges once its month has run.

Kept apart from the month itself so that the targets — and how each is measured — read in one
place: exactly one complete digest per (channel, announcement day), event-loop lag p99 under
:data:`LAG_TARGET_MS`, and resident memory growing less than :data:`RSS_GROWTH_TARGET` within each
process lifetime after its first digest.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from soak import Event, Month

LAG_TARGET_MS = 100.0
RSS_GROWTH_TARGET = 0.10
LOG_COPY = Path(tempfile.gettempdir()) / "digestbot-soak-bot.log"


def digest_verdict(month: Month, events: list[Event], channels: Mapping[str, tuple[str, dt.time]]) -> bool:
    """Exactly one complete digest per (channel, announcement day); nothing else posted."""
    ok = True
    for channel in channels:
        expected = sorted({event.edition for event in events if event.channel == channel})
        parts = month.posted_parts(channel)
        complete, duplicated, gaps = 0, [], []
        for day in expected:
            planned = month.parts_planned(channel, day)
            counts = [parts[day, index] for index in range(planned or 0)]
            if planned and all(count == 1 for count in counts):
                complete += 1
            elif planned and all(count >= 1 for count in counts):
                duplicated.append(f"{day} parts x{counts}")
            else:
                gaps.append(f"{day} ({sum(counts)} of {planned or '?'} parts)")
        extra = sorted({day for day, _ in parts} - set(expected))
        passed = complete == len(expected) and not extra
        ok &= passed
        print(
            f"{channel:10} {channels[channel][0]:17} announcement days {len(expected):2}, complete once "
            f"{complete:2}, duplicated {duplicated or 0}, gaps {gaps or 0}, other days {extra or 0}"
            f"  {'PASS' if passed else 'FAIL'}"
        )
    return ok


def lag_verdict(month: Month) -> bool:
    worst = sorted(month.bot.lag_ms, reverse=True)[:5]
    samples = sorted(lag for lag, _ in month.bot.lag_ms)
    if len(samples) < 100:
        print(f"loop lag: only {len(samples)} samples  FAIL")
        return False
    p99 = samples[int(0.99 * (len(samples) - 1))]
    passed = p99 < LAG_TARGET_MS
    print(
        f"event-loop lag over {len(samples)} samples: p50 {statistics.median(samples):.1f} ms, p99 {p99:.1f} ms, "
        f"max {samples[-1]:.1f} ms (target p99 < {LAG_TARGET_MS:.0f} ms)  {'PASS' if passed else 'FAIL'}"
    )
    print("  worst samples: " + ", ".join(f"{lag:.0f} ms at {stamp}" for lag, stamp in worst))
    return passed


def rss_verdict(month: Month) -> bool:
    ok = True
    for number, life in enumerate(month.bot.lifetimes, start=1):
        if life.warm_kb is None or len(life.rss_kb) < 2:
            print(f"process {number} (pid {life.pid}): no digest posted in its lifetime, RSS not judged")
            continue
        growth = life.rss_kb[-1] / life.warm_kb - 1
        passed = growth < RSS_GROWTH_TARGET
        ok &= passed
        print(
            f"process {number} (pid {life.pid}): RSS after first digest {life.warm_kb / 1024:.1f} MB, at end "
            f"{life.rss_kb[-1] / 1024:.1f} MB, peak {max(life.rss_kb) / 1024:.1f} MB, growth {growth:+.1%} "
            f"over {len(life.rss_kb)} samples (target < {RSS_GROWTH_TARGET:.0%})  {'PASS' if passed else 'FAIL'}"
        )
        trend = life.rss_kb[:: max(1, len(life.rss_kb) // 8)] + life.rss_kb[-1:]
        print("  RSS along the lifetime (MB): " + " ".join(f"{kb / 1024:.0f}" for kb in trend))
    return ok


def fault_report(month: Month) -> None:
    statuses: Counter[Any] = Counter(call.method for call in month.slack.calls)
    print(
        f"injected and served: arXiv requests {len(month.arxiv.requests)}, model calls {len(month.model.requests)}, "
        f"Slack calls {sum(statuses.values())}, SIGKILLs {month.kills}, bot processes {len(month.bot.lifetimes)}"
    )
    errors = list(month.bot.errors())
    print(f"log lines at ERROR or with a traceback: {len(errors)}")
    for line in errors[:15]:
        print(f"    {line[:220]}")
    LOG_COPY.write_text("\n".join(month.bot.log) + "\n")
    print(f"the bot's log (loop-lag lines left out): {LOG_COPY}")
