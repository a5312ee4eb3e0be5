import datetime as dt
import email.utils

import pytest
import requests.structures

from digestbot.summarizer.retry_after import retry_after_seconds


def headers(**values: str) -> requests.structures.CaseInsensitiveDict[str]:
    return requests.structures.CaseInsensitiveDict({k.replace("_", "-"): v for k, v in values.items()})


@pytest.mark.parametrize(
    ("given", "seconds"),
    [
        (headers(Retry_After="7"), 7.0),
        (headers(retry_after_ms="1500", retry_after="9"), 1.5),  # OpenAI's finer header wins
        (headers(Retry_After="-3"), 0.0),
        (headers(Retry_After="soon"), None),
        (headers(), None),
        (None, None),
    ],
)
def test_seconds_and_milliseconds(given: requests.structures.CaseInsensitiveDict[str] | None, seconds: float) -> None:
    assert retry_after_seconds(given) == seconds


def test_an_http_date_becomes_the_seconds_until_then() -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=120)
    waited = retry_after_seconds(headers(Retry_After=email.utils.format_datetime(later, usegmt=True)))
    assert waited is not None and 110 <= waited <= 120
