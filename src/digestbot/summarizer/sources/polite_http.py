"""Polite HTTP to arXiv: one connection, paced turns, an honest agent, and retries of its load signals.

arXiv's terms for its legacy APIs (API, RSS and the HTML pages together): no more than one
request every three seconds, one connection at a time (https://info.arxiv.org/help/api/tou.html).
Everything this process sends to arXiv — the source's feed and API pages, the full-text fetcher's
HTML — goes through a :class:`PoliteTransport` holding one shared :class:`ArxivPacer`. This is
its own module because it is the one part of talking to arXiv that has nothing to do with what
the answers mean: :mod:`.arxiv` parses listings, :mod:`.fulltext` parses papers.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

import requests
from requests.adapters import HTTPAdapter

from digestbot.summarizer.retry_after import MAX_RETRY_AFTER_SECONDS, retry_after_seconds
from digestbot.summarizer.sources.base import SourceUnavailable

_RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


class _Failure(NamedTuple):
    """An attempt that arXiv answered with a load signal (or that never got an answer)."""

    reason: str
    retry_after: float = 0.0


class ArxivPacer:
    """The turn-taking every request of this process to arXiv shares: one at a time, at least
    ``min_interval_seconds`` after the previous one ended. arXiv's terms count the API, the feed
    and the HTML pages together, so the source and the full-text fetcher hold the same pacer.

    No lock is ever held while sleeping: a caller reserves the next free slot under a short lock
    and sleeps until it afterwards, so ten callers waiting out a ``Retry-After`` hold ten slots,
    not one lock that everything else queues behind. Only the request itself holds the
    connection lock (arXiv's "one connection at a time").
    """

    def __init__(
        self,
        *,
        min_interval_seconds: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.sleep = sleep
        self._connection = threading.Lock()
        self._schedule = threading.Lock()
        self._min_interval = min_interval_seconds
        self._clock = clock
        self._next_slot = -math.inf  # the first slot not yet handed out
        self._earliest = -math.inf  # no request before this (the last one's end, or a deferral)

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Wait for this caller's turn (sleeping with no lock held), then hold the connection
        for the duration of one request."""
        self._sleep_until(self._reserve())
        while True:
            self._sleep_until(self._earliest)  # a slow request ran past the slot we reserved
            self._connection.acquire()
            if self._clock() >= self._earliest:
                break
            self._connection.release()
        try:
            yield
        finally:
            self.defer(self._min_interval)
            self._connection.release()

    def defer(self, seconds: float) -> None:
        """No request before ``seconds`` from now (arXiv asked everyone to wait)."""
        with self._schedule:
            self._earliest = max(self._earliest, self._clock() + seconds)
            self._next_slot = max(self._next_slot, self._earliest)

    def _reserve(self) -> float:
        with self._schedule:
            slot = max(self._clock(), self._next_slot)
            self._next_slot = slot + self._min_interval
            return slot

    def _sleep_until(self, moment: float) -> None:
        remaining = moment - self._clock()
        if remaining > 0:
            self.sleep(remaining)


class PoliteTransport(HTTPAdapter):
    """Sends one request at a time, paced, identified, with a timeout, retrying arXiv's load signals.

    It is a ``requests`` transport adapter so that it also governs the requests the ``arxiv``
    package makes on its own session, which has no public hook for headers or pacing.
    """

    def __init__(
        self,
        *,
        pacer: ArxivPacer,
        user_agent: str,
        max_retries: int,
        backoff_seconds: float,
        timeout_seconds: float,
    ) -> None:
        super().__init__()
        self._pacer = pacer
        self._user_agent = user_agent
        self._retries = max_retries
        self._backoff = backoff_seconds
        self._timeout = timeout_seconds

    def mount_on(self, session: requests.Session) -> None:
        for prefix in ("http://", "https://"):
            session.mount(prefix, self)

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, timeout: Any = None, **kwargs: Any
    ) -> requests.Response:
        # Overrides the arxiv package's own "arxiv.py/<version>" agent, set per request.
        request.headers["User-Agent"] = self._user_agent
        attempt = 0
        while True:
            with self._pacer.turn():
                outcome = self._attempt(request, timeout, **kwargs)
            if isinstance(outcome, requests.Response):
                return outcome
            if attempt == self._retries or outcome.retry_after >= MAX_RETRY_AFTER_SECONDS:
                raise arxiv_unavailable(outcome.reason)
            # arXiv's load signal concerns every request of ours, so the wait is everyone's.
            self._pacer.defer(max(self._backoff * 2**attempt, outcome.retry_after))
            attempt += 1

    def _attempt(self, request: requests.PreparedRequest, timeout: Any, **kwargs: Any) -> requests.Response | _Failure:
        """One request; a load signal or a broken connection comes back as a :class:`_Failure`."""
        try:
            response = super().send(request, timeout=timeout or self._timeout, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as error:
            return _Failure(type(error).__name__)
        if response.status_code in _RETRYABLE_STATUSES:
            reason = f"HTTP {response.status_code}"
        elif response.status_code == 200 and response.content.lstrip().startswith(b"Rate exceeded"):
            reason = "HTTP 200 'Rate exceeded.'"
        else:
            return response
        response.close()
        # At the parser's ceiling (five minutes or more), waiting inside a request would stall a
        # digest; the caller reports "try again later" instead.
        return _Failure(reason, retry_after_seconds(response.headers) or 0.0)


def arxiv_unavailable(failure: str) -> SourceUnavailable:
    """The one wording of "arXiv is overloaded": a day is never reported empty because of it."""
    return SourceUnavailable(f"arXiv is not answering ({failure}) — try again later.")
