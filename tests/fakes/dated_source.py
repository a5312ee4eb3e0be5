"""A paper source that serves the shipped sample's papers for any arXiv announcement day.

Scheduler tests move a frozen clock across weeks; each announcement date then needs papers,
and Fridays, Saturdays and holidays must answer :class:`NoAnnouncement` as arXiv would.
:attr:`DatedSampleSource.listings` counts the fetches, i.e. the digest builds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from digestbot.summarizer.models import Paper
from digestbot.summarizer.sources.base import Listing, NoAnnouncement, PaperNotFound
from digestbot.summarizer.sources.calendar import no_announcement_reason
from digestbot.summarizer.sources.jsonl import sample_source


class DatedSampleSource:
    name = "dated-sample"

    def __init__(self, *, papers: int = 40, holidays: Collection[dt.date] = ()) -> None:
        self._papers = sample_source().papers()[:papers]
        self._holidays = holidays
        self.listings: list[dt.date] = []

    def listing(self, day: dt.date | None = None) -> Listing:
        if day is None:
            raise NoAnnouncement("this test source needs an explicit announcement date")
        reason = no_announcement_reason(day, holidays=self._holidays)
        if reason is not None:
            raise NoAnnouncement(f"{reason}.")
        self.listings.append(day)
        return Listing(date=day, papers=list(self._papers), source=self.name)

    def paper(self, arxiv_id: str) -> Paper:
        for paper in self._papers:
            if paper.arxiv_id == arxiv_id:
                return paper
        raise PaperNotFound(arxiv_id)
