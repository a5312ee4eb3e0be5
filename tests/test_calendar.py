"""arXiv's announcement calendar: Sun–Thu 20:00 ET, 14:00 ET deadlines, DST, holidays."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from digestbot.summarizer.sources.base import NoAnnouncement
from digestbot.summarizer.sources.calendar import (
    announcement_before_mailing,
    announcement_instant,
    is_announcement_day,
    latest_announcement,
    next_announcement,
    require_announced,
    submission_window,
)

ET = ZoneInfo("America/New_York")
UTC = dt.UTC
# The week of the seed digest: Thursday 3 October 2024 to Monday 7 October 2024.
THU, FRI, SAT, SUN, MON = (dt.date(2024, 10, day) for day in range(3, 8))


def et(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ET)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_friday_and_saturday_have_no_announcement() -> None:
    assert [is_announcement_day(day) for day in (THU, FRI, SAT, SUN, MON)] == [True, False, False, True, True]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (et(2024, 10, 7, 19, 59), SUN),
        (et(2024, 10, 7, 20, 0), MON),
        (et(2024, 10, 7, 20, 1), MON),
        (et(2024, 10, 4, 23, 0), THU),
        (et(2024, 10, 5, 12, 0), THU),
        (et(2024, 10, 6, 19, 59), THU),
        (et(2024, 10, 6, 20, 0), SUN),
        (et(2024, 10, 8, 0, 30), MON),
        # 09:30 in Seoul on Tuesday is 20:30 ET on Monday.
        (dt.datetime(2024, 10, 8, 9, 30, tzinfo=ZoneInfo("Asia/Seoul")), MON),
    ],
)
def test_latest_announcement_at_various_instants(now: dt.datetime, expected: dt.date) -> None:
    assert latest_announcement(now) == expected


def test_latest_announcement_needs_an_aware_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        latest_announcement(dt.datetime(2024, 10, 7, 21, 0))


def test_next_announcement_after_thursday_is_sunday() -> None:
    assert next_announcement(et(2024, 10, 4, 9, 0)) == SUN
    assert next_announcement(et(2024, 10, 7, 19, 0)) == MON


def test_windows_follow_arxivs_table() -> None:
    # Thu 14:00 – Fri 14:00 -> Sun 20:00; Fri 14:00 – Mon 14:00 -> Mon 20:00 (EDT = UTC-4).
    assert submission_window(SUN) == (utc(2024, 10, 3, 18), utc(2024, 10, 4, 18))
    assert submission_window(MON) == (utc(2024, 10, 4, 18), utc(2024, 10, 7, 18))
    assert submission_window(dt.date(2024, 10, 8)) == (utc(2024, 10, 7, 18), utc(2024, 10, 8, 18))
    assert submission_window(THU) == (utc(2024, 10, 2, 18), utc(2024, 10, 3, 18))


def test_thursday_afternoon_submissions_are_announced_on_sunday() -> None:
    submitted = et(2024, 10, 3, 15, 0)
    sunday_start, sunday_end = submission_window(SUN)
    thursday_start, thursday_end = submission_window(THU)
    assert sunday_start <= submitted < sunday_end
    assert not thursday_start <= submitted < thursday_end


def test_windows_tile_time_without_gaps_across_dst_changes() -> None:
    days = [dt.date(2024, 3, 1) + dt.timedelta(days=n) for n in range(260)]
    windows = [submission_window(day) for day in days if is_announcement_day(day)]
    assert all(end == next_start for (_, end), (next_start, _) in itertools.pairwise(windows))


def test_dst_start_week_uses_the_new_offset() -> None:
    # DST began Sunday 10 March 2024: Friday's deadline is EST (19:00 UTC), Monday's EDT (18:00 UTC).
    assert submission_window(dt.date(2024, 3, 10)) == (utc(2024, 3, 7, 19), utc(2024, 3, 8, 19))
    assert submission_window(dt.date(2024, 3, 11)) == (utc(2024, 3, 8, 19), utc(2024, 3, 11, 18))
    assert announcement_instant(dt.date(2024, 3, 10)).astimezone(UTC) == utc(2024, 3, 11, 0)
    assert latest_announcement(utc(2024, 3, 10, 23, 59)) == dt.date(2024, 3, 7)
    assert latest_announcement(utc(2024, 3, 11, 0, 0)) == dt.date(2024, 3, 10)


def test_dst_end_week_uses_the_old_offset() -> None:
    # DST ended Sunday 3 November 2024: Monday's window is 73 hours long.
    start, end = submission_window(dt.date(2024, 11, 4))
    assert (start, end) == (utc(2024, 11, 1, 18), utc(2024, 11, 4, 19))
    assert latest_announcement(utc(2024, 11, 5, 0, 59)) == dt.date(2024, 11, 3)
    assert latest_announcement(utc(2024, 11, 5, 1, 0)) == dt.date(2024, 11, 4)


def test_a_holiday_rolls_its_submissions_into_the_next_announcement() -> None:
    # A hypothetical skipped Thursday (the real list is deployment data, not known here).
    holiday = dt.date(2024, 11, 28)
    holidays = {holiday}
    assert not is_announcement_day(holiday, holidays=holidays)
    assert latest_announcement(et(2024, 11, 29, 12, 0), holidays=holidays) == dt.date(2024, 11, 27)
    assert submission_window(dt.date(2024, 12, 1), holidays=holidays) == (
        utc(2024, 11, 27, 19),
        utc(2024, 11, 29, 19),
    )
    with pytest.raises(NoAnnouncement, match="holiday"):
        submission_window(holiday, holidays=holidays)


def test_saturday_has_no_window() -> None:
    with pytest.raises(NoAnnouncement, match="does not announce on Saturdays"):
        submission_window(SAT)


def test_require_announced_explains_friday() -> None:
    with pytest.raises(NoAnnouncement) as caught:
        require_announced(FRI, now=et(2024, 10, 9, 12, 0))
    assert str(caught.value) == (
        "arXiv does not announce on Fridays; the announcement before 2024-10-04 was Thursday 2024-10-03 20:00 ET."
    )


def test_require_announced_explains_the_future() -> None:
    with pytest.raises(NoAnnouncement, match="at 20:00 ET; it is 15:00 ET now"):
        require_announced(MON, now=et(2024, 10, 7, 15, 0))
    with pytest.raises(NoAnnouncement, match="2024-10-08 is in the future"):
        require_announced(dt.date(2024, 10, 8), now=et(2024, 10, 7, 21, 0))
    require_announced(MON, now=et(2024, 10, 7, 20, 0))


@pytest.mark.parametrize("day", [dt.date.min, dt.date(1991, 8, 13), dt.date.max])
def test_dates_arxiv_cannot_have_are_explained_not_overflowed(day: dt.date) -> None:
    with pytest.raises(NoAnnouncement, match=r"before arXiv's first announcement|in the future"):
        require_announced(day, now=et(2024, 10, 7, 21, 0))


def test_a_feed_is_dated_the_morning_after_its_announcement() -> None:
    assert announcement_before_mailing(MON) == SUN
    assert announcement_before_mailing(FRI) == THU
