"""Daily schedules on every calendar: each IANA zone's 2026–2027 transitions, probed around each jump.

The property: a daily subscription runs exactly once for each local date, at its wall time when
that time exists, at its first occurrence in a repeated hour, and right after the gap in a
skipped hour (derived here independently, a minute at a time); the scheduler's trigger,
``next_fire`` and ``last_fire`` agree on every instant.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from functools import cache
from zoneinfo import ZoneInfo

import pytest

from digestbot.bot.scheduling.local_schedule import LocalDailyTrigger, fire_on, last_fire, next_fire
from digestbot.bot.scheduling.subscriptions import Subscription

UTC = dt.UTC
DAILY = tuple(range(7))
YEARS_START = dt.datetime(2026, 1, 1, tzinfo=UTC)
YEARS_END = dt.datetime(2028, 1, 1, tzinfo=UTC)


def _transition_in(zone: ZoneInfo, low: dt.datetime, high: dt.datetime) -> dt.datetime:
    """The instant the offset changes between ``low`` (old offset) and ``high`` (new offset), to the second."""
    before = low.astimezone(zone).utcoffset()
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)


@cache
def transitions() -> list[tuple[str, dt.datetime]]:
    """(zone, UTC instant) of every offset change in 2026–2027, in every zone the system knows."""
    found = []
    for key in sorted(zoneinfo.available_timezones()):
        zone = ZoneInfo(key)
        day = YEARS_START
        offset = day.astimezone(zone).utcoffset()
        while day < YEARS_END:
            following = day + dt.timedelta(hours=6)
            if following.astimezone(zone).utcoffset() != offset:
                found.append((key, _transition_in(zone, day, following)))
                offset = following.astimezone(zone).utcoffset()
            day = following
    return found


def probe_times(zone: ZoneInfo, instant: dt.datetime) -> Iterator[dt.time]:
    """Wall times from 90 minutes before to 90 minutes after a jump, on both sides, every 15 minutes."""
    seen: set[dt.time] = set()
    for side in (instant - dt.timedelta(seconds=1), instant):
        wall = side.astimezone(zone).replace(second=0, microsecond=0, tzinfo=None)
        for minutes in range(-90, 91, 15):
            probe = (wall + dt.timedelta(minutes=minutes)).time()
            if probe not in seen:
                seen.add(probe)
                yield probe


def walk(trigger: LocalDailyTrigger, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """What APScheduler would run between ``start`` and ``end``, asking the trigger as it does."""
    runs: list[dt.datetime] = []
    fire = trigger.get_next_fire_time(None, start)
    for _ in range(100):  # bounded: a few days of daily runs
        if fire is None or fire >= end:
            return runs
        runs.append(fire)
        fire = trigger.get_next_fire_time(fire, fire)
    pytest.fail(f"{trigger} did not get past {fire}")


def _exists(wall: dt.datetime, zone: ZoneInfo) -> bool:
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


def expected_instant(day: dt.date, at: dt.time, zone: ZoneInfo) -> dt.datetime | None:
    """The run for ``day`` by the rules, derived independently by stepping wall time a minute at a time."""
    wall = dt.datetime.combine(day, at)
    if _exists(wall, zone):
        return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    midnight = dt.datetime.combine(day, dt.time())
    if not any(_exists(midnight + dt.timedelta(minutes=m), zone) for m in range(24 * 60)):
        return None  # the zone skipped the whole date
    minute = wall.replace(second=0, microsecond=0)
    for _ in range(24 * 60):
        minute += dt.timedelta(minutes=1)
        if _exists(minute, zone):
            return minute.replace(tzinfo=zone, fold=0).astimezone(UTC)
    pytest.fail(f"no wall time after {wall} exists in {zone.key}")


def expected_runs(at: dt.time, zone: ZoneInfo, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    first_day = start.astimezone(zone).date() - dt.timedelta(days=1)
    days = (first_day + dt.timedelta(days=n) for n in range((end - start).days + 3))
    instants = (expected_instant(day, at, zone) for day in days)
    return sorted(i for i in instants if i is not None and start <= i < end)


def test_the_system_knows_the_zones_with_daylight_saving() -> None:
    zones = {key for key, _ in transitions()}
    assert {"Africa/Cairo", "America/New_York", "Europe/Berlin", "Australia/Sydney", "America/Santiago"} <= zones
    assert "Asia/Seoul" not in zones and "UTC" not in zones


def test_every_transition_of_2026_and_2027_fires_once_per_local_day() -> None:
    checked = 0
    for key, instant in transitions():
        zone = ZoneInfo(key)
        start, end = instant - dt.timedelta(days=2), instant + dt.timedelta(days=2)
        for at in probe_times(zone, instant):
            runs = walk(LocalDailyTrigger(at=at, weekdays=DAILY, zone=zone), start, end)
            assert [run.astimezone(UTC) for run in runs] == expected_runs(at, zone, start, end), f"{key} {at}"
            for run in runs:
                assert last_fire(run, at=at, weekdays=DAILY, zone=zone) == run
                assert next_fire(run, at=at, weekdays=DAILY, zone=zone) == run
                assert last_fire(run - dt.timedelta(microseconds=1), at=at, weekdays=DAILY, zone=zone) < run
                assert next_fire(run + dt.timedelta(microseconds=1), at=at, weekdays=DAILY, zone=zone) > run
            checked += 1
    assert checked > 5000  # hundreds of zones, several transitions each, a dozen wall times each


@pytest.mark.parametrize(
    ("zone", "at", "now"),
    [
        # The freezes: started on the days after a fall-back with a time in the repeated hour.
        ("Africa/Cairo", "23:30", dt.datetime(2026, 10, 30, 12, 0, tzinfo=UTC)),
        ("America/New_York", "01:30", dt.datetime(2026, 11, 2, 12, 0, tzinfo=UTC)),
        ("Europe/Berlin", "02:30", dt.datetime(2026, 10, 26, 12, 0, tzinfo=UTC)),
    ],
)
def test_the_days_after_a_fall_back_have_one_last_and_one_next_run(zone: str, at: str, now: dt.datetime) -> None:
    subscription = Subscription("slack", "C1", dt.time.fromisoformat(at), zone, weekdays=DAILY)
    last, upcoming = subscription.last_fire(now), subscription.next_fire(now)
    assert last <= now < upcoming
    assert (upcoming - last) <= dt.timedelta(days=1, hours=1)
    assert last.strftime("%H:%M") == at and upcoming.strftime("%H:%M") == at


def test_a_repeated_hour_fires_at_its_first_occurrence() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    fire = fire_on(dt.date(2026, 10, 25), dt.time(2, 30), berlin)
    assert fire is not None and fire.astimezone(UTC) == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # CEST, not CET


def test_a_skipped_hour_fires_right_after_the_gap() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    fire = fire_on(dt.date(2026, 3, 29), dt.time(2, 30), berlin)
    assert fire is not None and fire.strftime("%H:%M %Z") == "03:00 CEST"


def test_a_local_date_that_never_happened_has_no_run() -> None:
    apia = ZoneInfo("Pacific/Apia")  # Samoa moved across the date line, skipping 2011-12-30
    assert fire_on(dt.date(2011, 12, 30), dt.time(9, 0), apia) is None
    runs = walk(
        LocalDailyTrigger(at=dt.time(9, 0), weekdays=DAILY, zone=apia),
        dt.datetime(2011, 12, 28, tzinfo=UTC),
        dt.datetime(2012, 1, 2, tzinfo=UTC),
    )
    assert [run.date().isoformat() for run in runs] == [
        "2011-12-28",
        "2011-12-29",
        "2011-12-31",
        "2012-01-01",
        "2012-01-02",
    ]


def test_a_schedule_needs_a_weekday() -> None:
    with pytest.raises(ValueError, match="at least one weekday"):
        LocalDailyTrigger(at=dt.time(9, 0), weekdays=(), zone=ZoneInfo("UTC"))
