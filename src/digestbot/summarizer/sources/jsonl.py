"""Papers from a JSON Lines file (one paper per line), including the shipped sample day."""

from __future__ import annotations

import datetime as dt
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from digestbot.summarizer.ids import InvalidArxivId, split_versioned_id
from digestbot.summarizer.models import Paper
from digestbot.summarizer.sources.base import (
    InvalidSourceData,
    Listing,
    NoAnnouncement,
    PaperNotFound,
    deduplicate,
)

SAMPLE_FILE = "sample-2026-06-26.jsonl"
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


def paper_from_record(record: dict[str, Any]) -> Paper:
    """Build a :class:`Paper` from one JSON record (our export format or the fixtures' one)."""
    raw_id = str(record.get("arxiv_id") or record.get("id") or "")
    arxiv_id, version = split_versioned_id(raw_id)
    categories = tuple(record.get("categories") or ())
    return Paper(
        arxiv_id=arxiv_id,
        version=int(record.get("version") or version),
        title=" ".join(str(record["title"]).split()),
        abstract=str(record["abstract"] if "abstract" in record else record["summary"]).strip(),
        authors=tuple(record.get("authors") or ()),
        primary_category=record.get("primary_category"),
        categories=categories,
        published=record.get("published"),
        updated=record.get("updated"),
        comment=record.get("comment"),
    )


def read_papers(path: Path, text: str | None = None) -> list[Paper]:
    """Parse every line; a bad line stops the read with ``file:line`` so nothing is skipped silently."""
    content = path.read_text(encoding="utf-8") if text is None else text
    papers: list[Paper] = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise TypeError("expected a JSON object")
            papers.append(paper_from_record(record))
        except (json.JSONDecodeError, TypeError, KeyError, ValidationError, InvalidArxivId) as error:
            reason = f"missing field {error}" if isinstance(error, KeyError) else str(error).splitlines()[0]
            raise InvalidSourceData(f"{path}:{number}: not a paper ({reason}).") from error
    return papers


class JsonlSource:
    """A file of papers for one announcement day (the date comes from the file name)."""

    def __init__(self, path: Path, *, text: str | None = None, name: str | None = None) -> None:
        self.path = Path(path)
        self.name = name or str(path)
        self._text = text
        self._papers: list[Paper] | None = None

    @property
    def day(self) -> dt.date | None:
        match = _DATE_IN_NAME.search(self.path.name)
        return dt.date.fromisoformat(match.group(1)) if match else None

    def papers(self) -> list[Paper]:
        if self._papers is None:
            if self._text is None and not self.path.exists():
                raise InvalidSourceData(f"Paper file not found: {self.path}.")
            self._papers = deduplicate(read_papers(self.path, self._text))
        return self._papers

    def listing(self, day: dt.date | None = None) -> Listing:
        own_day = self.day
        if day is not None and own_day is not None and day != own_day:
            raise NoAnnouncement(f"{self.name} holds the papers of {own_day.isoformat()}, not {day.isoformat()}.")
        papers = self.papers()
        if not papers:
            raise NoAnnouncement(f"{self.name} holds no papers.")
        return Listing(date=day or own_day or dt.date.today(), papers=papers, source=self.name)

    def paper(self, arxiv_id: str) -> Paper:
        for paper in self.papers():
            if paper.arxiv_id == arxiv_id:
                return paper
        raise PaperNotFound(f"Paper {arxiv_id} is not in {self.name}.")


def sample_source() -> JsonlSource:
    """The real arXiv day shipped inside the package, so a fresh clone runs with no network."""
    resource = resources.files("digestbot.summarizer.data").joinpath(SAMPLE_FILE)
    return JsonlSource(Path(SAMPLE_FILE), text=resource.read_text(encoding="utf-8"), name="sample")
