import asyncio
import datetime as dt
import email.utils

import pytest
import requests.structures

from digestbot.summarizer.retry_after import MAX_RETRY_AFTER_SECONDS, retry_after_seconds


def headers(**values: str) -> requests.structures.CaseInsensitiveDict[str]:
    return requests.structures.CaseInsensitiveDict({k.replace("_", "-"): v for k, v in values.items()})


@pytest.mark.parametrize(
    ("given", "seconds"),
    [
        (headers(Retry_After="7"), 7.0),
        (headers(retry_after_ms="1500", retry_after="9"), 1.5),  # OpenAI's finer header wins
        (headers(retry_after_ms="soon", retry_after="9"), 9.0),
        (headers(Retry_After="-3"), 0.0),
        (headers(Retry_After="soon"), None),
        (headers(), None),
        (None, None),
    ],
)
def test_seconds_and_milliseconds(given: requests.structures.CaseInsensitiveDict[str] | None, seconds: float) -> None:
    assert retry_after_seconds(given) == seconds


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("nan", None),
        ("NaN", None),
        ("inf", MAX_RETRY_AFTER_SECONDS),
        ("-inf", 0.0),
        ("1e308", MAX_RETRY_AFTER_SECONDS),
        ("99999999999999999999", MAX_RETRY_AFTER_SECONDS),
        ("Fri, 31 Dec 9999 23:59:59 GMT", MAX_RETRY_AFTER_SECONDS),
        ("Mon, 01 Jan 0001 00:00:00 GMT", 0.0),
        ("Thu, 99 Foo 2026 99:99:99 GMT", None),
    ],
)
def test_untrusted_values_are_clamped_to_a_finite_range(value: str, seconds: float | None) -> None:
    assert retry_after_seconds(headers(Retry_After=value)) == seconds


def test_milliseconds_are_clamped_too_and_callers_choose_the_ceiling() -> None:
    assert retry_after_seconds(headers(retry_after_ms="nan", retry_after="2")) == 2.0
    assert retry_after_seconds(headers(retry_after_ms="inf")) == MAX_RETRY_AFTER_SECONDS
    assert retry_after_seconds(headers(Retry_After="600"), ceiling=120.0) == 120.0


def test_whatever_a_server_sends_can_be_slept() -> None:
    """``asyncio.sleep(nan)`` never returns; every parsed value must let a sleep finish."""

    async def sleep_each() -> None:
        for value in ("nan", "inf", "-1", "1e308", "Fri, 31 Dec 9999 23:59:59 GMT"):
            asked = retry_after_seconds(headers(Retry_After=value), ceiling=0.001)
            await asyncio.sleep(asked if asked is not None else 0.0)

    asyncio.run(asyncio.wait_for(sleep_each(), timeout=60))


def test_an_http_date_becomes_the_seconds_until_then() -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=120)
    waited = retry_after_seconds(headers(Retry_After=email.utils.format_datetime(later, usegmt=True)))
    assert waited is not None and 110 <= waited <= 120
