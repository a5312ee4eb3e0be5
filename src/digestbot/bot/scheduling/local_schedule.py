"""When a daily "HH:MM on these weekdays in this zone" happens: once per local day, on every calendar.

A subscription says "09:00 Europe/Berlin"; what it means is one post per scheduled local day.
Wall-clock arithmetic gets the two daylight-saving edges wrong: in the repeated hour of a
fall-back, a wall-clock time happens twice (a loop that steps one second of wall time never
leaves it, which froze the bot for a week), and in the skipped hour of a spring-forward it does
not happen at all. So every instant here is derived per local *date*, with zoneinfo's ``fold``
deciding the repeated hour and a bisection over UTC finding the end of a gap, and every loop
runs over a bounded number of days.

The rules: a time inside a repeated hour fires once, at its first occurrence; a time inside a
skipped hour fires once, right after the gap (the first instant that exists again); a local
date that does not exist at all (Samoa skipped 2011-12-30) has no run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger

UTC = dt.UTC
# A weekly schedule always has a run within 8 local days of any instant; 10 leaves margin for
# zones that move a whole day.
_SEARCH_DAYS = 10
_ONE_MICROSECOND = dt.timedelta(microseconds=1)


def fire_on(day: dt.date, at: dt.time, zone: ZoneInfo) -> dt.datetime | None:
    """The one instant ``at`` happens for local ``day`` in ``zone`` (aware, in ``zone``), or None.

    A time in a gap that runs past midnight fires at the gap's end, early the next day (Nuuk skips
    23:00–24:00). None only when the zone skipped the whole date, so no run belongs to it.
    """
    wall = dt.datetime.combine(day, at)
    instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant.astimezone(zone)
    jump = _end_of_gap(wall, zone)  # inside a gap: the wall time never shows
    gap_start = (jump - _ONE_MICROSECOND).astimezone(zone).replace(tzinfo=None)
    gap_end = jump.astimezone(zone).replace(tzinfo=None)
    midnight = dt.datetime.combine(day, dt.time())
    if gap_start < midnight and gap_end >= midnight + dt.timedelta(days=1):
        return None
    return jump.astimezone(zone)


def _end_of_gap(wall: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant at which the clock jumps over ``wall`` (the first instant after the gap).

    Reading ``wall`` with the offsets before and after the jump (fold 0 and 1) gives two UTC
    instants with the jump between them; 64 halvings of at most a day reach the microsecond.
    """
    readings = (wall.replace(tzinfo=zone, fold=0).astimezone(UTC), wall.replace(tzinfo=zone, fold=1).astimezone(UTC))
    low, high = min(readings), max(readings)
    offset_after = high.astimezone(zone).utcoffset()  # the later reading is past the jump
    for _ in range(64):
        if high - low <= _ONE_MICROSECOND:
            break
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == offset_after:
            high = middle
        else:
            low = middle
    return high


def _days_from(start: dt.date, *, step: int) -> Iterator[dt.date]:
    for offset in range(_SEARCH_DAYS + 1):
        yield start + dt.timedelta(days=step * offset)


def _fires(*, start: dt.date, step: int, at: dt.time, weekdays: Sequence[int], zone: ZoneInfo) -> Iterator[dt.datetime]:
    for day in _days_from(start, step=step):
        if day.weekday() in weekdays:
            fire = fire_on(day, at, zone)
            if fire is not None:
                yield fire


def next_fire(now: dt.datetime, *, at: dt.time, weekdays: Sequence[int], zone: ZoneInfo) -> dt.datetime:
    """The first scheduled instant at or after ``now`` (aware, in ``zone``)."""
    start = now.astimezone(zone).date() - dt.timedelta(days=1)
    for fire in _fires(start=start, step=1, at=at, weekdays=weekdays, zone=zone):
        if fire >= now:
            return fire
    raise ValueError(f"no run within {_SEARCH_DAYS} days: weekdays {list(weekdays)} is empty")


def last_fire(now: dt.datetime, *, at: dt.time, weekdays: Sequence[int], zone: ZoneInfo) -> dt.datetime:
    """The latest scheduled instant at or before ``now`` (aware, in ``zone``)."""
    start = now.astimezone(zone).date() + dt.timedelta(days=1)
    for fire in _fires(start=start, step=-1, at=at, weekdays=weekdays, zone=zone):
        if fire <= now:
            return fire
    raise ValueError(f"no run within {_SEARCH_DAYS} days: weekdays {list(weekdays)} is empty")


class LocalDailyTrigger(BaseTrigger):
    """An APScheduler trigger that fires exactly once per scheduled local day.

    APScheduler asks for "the next run after the previous one, or from now"; answering with
    :func:`next_fire` makes the scheduler, the catch-up check and ``/digest settings`` agree on
    every instant, daylight-saving days included.
    """

    __slots__ = ("at", "weekdays", "zone")

    def __init__(self, *, at: dt.time, weekdays: Sequence[int], zone: ZoneInfo) -> None:
        if not weekdays:
            raise ValueError("a schedule needs at least one weekday")
        self.at = at
        self.weekdays = tuple(sorted(set(weekdays)))
        self.zone = zone

    def get_next_fire_time(self, previous_fire_time: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
        # Strictly after the previous run, so a run is never handed out twice (even at now == previous).
        start = now if previous_fire_time is None else previous_fire_time + _ONE_MICROSECOND
        return next_fire(start, at=self.at, weekdays=self.weekdays, zone=self.zone)

    def __repr__(self) -> str:
        return f"<LocalDailyTrigger at={self.at:%H:%M} weekdays={self.weekdays} zone='{self.zone.key}'>"
