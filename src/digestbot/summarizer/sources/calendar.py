"""arXiv's announcement calendar, as pure functions of a date or an injected instant.

arXiv makes new submissions public Sunday to Thursday at 20:00 US Eastern and never on Friday
or Saturday (https://info.arxiv.org/help/availability.html). Submissions close at 14:00 Eastern
on weekdays; each close feeds the next announcement:

    Mon 14:00 - Tue 14:00  ->  Tue 20:00        Thu 14:00 - Fri 14:00  ->  Sun 20:00
    Tue 14:00 - Wed 14:00  ->  Wed 20:00        Fri 14:00 - Mon 14:00  ->  Mon 20:00
    Wed 14:00 - Thu 14:00  ->  Thu 20:00

**Announcement date** throughout this project means the US-Eastern calendar date of the 20:00
announcement (Thursday for Thursday 20:00), not the mailing date that arXiv's RSS feed puts in
``pubDate`` (the next day, 00:00 Eastern). Times are computed in ``America/New_York`` through
``zoneinfo``, so daylight saving time moves the UTC instants as it moves arXiv's clock; 14:00 and
20:00 are never inside a DST jump (those happen at 02:00).

Holidays: arXiv also skips occasional announcements and publishes the dates each year. They
are data, passed as ``holidays``; submissions due on a skipped evening roll into the next
announcement, which is how the windows below treat them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from zoneinfo import ZoneInfo

from digestbot.summarizer.sources.base import NoAnnouncement

EASTERN = ZoneInfo("America/New_York")
ANNOUNCEMENT_TIME = dt.time(20, 0)
SUBMISSION_DEADLINE = dt.time(14, 0)

FIRST_ANNOUNCEMENT = dt.date(1991, 8, 14)
"""arXiv's first day; no date before it has papers (and date arithmetic near year 1 overflows)."""

KNOWN_HOLIDAYS: frozenset[dt.date] = frozenset()
"""Announcement dates arXiv skipped. Deliberately empty: only dates taken from arXiv's own
published schedule belong here, and the deployment can pass its own set as ``holidays``."""

_FRIDAY, _SATURDAY = 4, 5
_ONE_DAY = dt.timedelta(days=1)


def no_announcement_reason(day: dt.date, *, holidays: Collection[dt.date] = KNOWN_HOLIDAYS) -> str | None:
    """Why arXiv makes no announcement on ``day``, in words for a reader; ``None`` if it does."""
    if day.weekday() in (_FRIDAY, _SATURDAY):
        return f"arXiv does not announce on {day:%A}s"
    if day in holidays:
        return f"arXiv skipped its announcement of {day:%A %Y-%m-%d} (holiday)"
    return None


def is_announcement_day(day: dt.date, *, holidays: Collection[dt.date] = KNOWN_HOLIDAYS) -> bool:
    """Whether arXiv announces new papers at 20:00 Eastern on ``day``."""
    return no_announcement_reason(day, holidays=holidays) is None


def announcement_instant(day: dt.date) -> dt.datetime:
    """The moment (aware, Eastern) of ``day``'s 20:00 announcement."""
    return dt.datetime.combine(day, ANNOUNCEMENT_TIME, tzinfo=EASTERN)


def describe(day: dt.date) -> str:
    """``Sunday 2024-10-06 20:00 ET``: how messages name an announcement."""
    return f"{day:%A %Y-%m-%d} 20:00 ET"


def latest_announcement(now: dt.datetime, *, holidays: Collection[dt.date] = KNOWN_HOLIDAYS) -> dt.date:
    """The announcement date whose 20:00 Eastern announcement most recently happened at ``now``.

    Monday 19:59 ET gives the Sunday before; Monday 20:00 ET gives Monday; all of Friday and
    Saturday give Thursday.
    """
    local = _eastern(now)
    day = local.date() if local.time() >= ANNOUNCEMENT_TIME else local.date() - _ONE_DAY
    while not is_announcement_day(day, holidays=holidays):
        day -= _ONE_DAY
    return day


def next_announcement(now: dt.datetime, *, holidays: Collection[dt.date] = KNOWN_HOLIDAYS) -> dt.date:
    """The first announcement date whose 20:00 Eastern announcement is still to come at ``now``."""
    day = latest_announcement(now, holidays=holidays) + _ONE_DAY
    while not is_announcement_day(day, holidays=holidays):
        day += _ONE_DAY
    return day


def announcement_before_mailing(mailing_date: dt.date) -> dt.date:
    """The evening whose announcement a feed dated ``mailing_date`` carries.

    rss.arxiv.org rebuilds its feeds at midnight Eastern and dates them with the mailing date,
    the day after the 20:00 announcement; a feed dated on a Saturday therefore stands for
    Friday, when arXiv announced nothing, and is empty.
    """
    return mailing_date - _ONE_DAY


def out_of_range_reason(
    day: dt.date, *, now: dt.datetime, holidays: Collection[dt.date] = KNOWN_HOLIDAYS
) -> str | None:
    """Why ``day`` can never be asked for at ``now`` (before arXiv existed, or after its next
    announcement), in words for a reader; ``None`` for a date in range."""
    if day < FIRST_ANNOUNCEMENT:
        return f"{day} is before arXiv's first announcement ({FIRST_ANNOUNCEMENT}); ask for a later date"
    upcoming = next_announcement(now, holidays=holidays)
    if day > upcoming:
        return f"{day} is in the future; arXiv's next announcement is {describe(upcoming)}"
    return None


def require_announced(day: dt.date, *, now: dt.datetime, holidays: Collection[dt.date] = KNOWN_HOLIDAYS) -> None:
    """Raise :class:`NoAnnouncement`, with a one-line reason, unless ``day``'s announcement happened."""
    reason = out_of_range_reason(day, now=now, holidays=holidays)
    if reason is not None:
        raise NoAnnouncement(f"{reason}.")
    reason = no_announcement_reason(day, holidays=holidays)
    if reason is not None:
        before = latest_announcement(announcement_instant(day), holidays=holidays)
        raise NoAnnouncement(f"{reason}; the announcement before {day} was {describe(before)}.")
    if day > latest_announcement(now, holidays=holidays):
        local = _eastern(now)
        if day == local.date():
            raise NoAnnouncement(f"arXiv announces {day}'s papers at 20:00 ET; it is {local:%H:%M} ET now.")
        raise NoAnnouncement(f"{day} is in the future; arXiv has not announced it yet.")


def submission_window(
    announcement_date: dt.date, *, holidays: Collection[dt.date] = KNOWN_HOLIDAYS
) -> tuple[dt.datetime, dt.datetime]:
    """The UTC interval ``[start, end)`` of submissions that ``announcement_date`` made public.

    It runs from the deadline that fed the previous announcement to the deadline that fed this
    one, so a skipped evening (Friday, Saturday, a holiday) widens the next window.
    """
    reason = no_announcement_reason(announcement_date, holidays=holidays)
    if reason is not None:
        raise NoAnnouncement(f"{reason}, so {announcement_date} has no submission window.")
    previous = announcement_date - _ONE_DAY
    while not is_announcement_day(previous, holidays=holidays):
        previous -= _ONE_DAY
    return _deadline_before(previous), _deadline_before(announcement_date)


def _deadline_before(announcement_date: dt.date) -> dt.datetime:
    """The 14:00 Eastern weekday deadline that feeds ``announcement_date`` (Sunday: Friday's), in UTC."""
    day = announcement_date
    while day.weekday() >= _SATURDAY:
        day -= _ONE_DAY
    return dt.datetime.combine(day, SUBMISSION_DEADLINE, tzinfo=EASTERN).astimezone(dt.UTC)


def _eastern(now: dt.datetime) -> dt.datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("The calendar needs a timezone-aware datetime, e.g. datetime.now(UTC).")
    return now.astimezone(EASTERN)
