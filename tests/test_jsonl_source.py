import datetime as dt
import json
from pathlib import Path

import pytest

from digestbot.summarizer.sources.base import InvalidSourceData, NoAnnouncement, PaperNotFound
from digestbot.summarizer.sources.jsonl import JsonlSource, sample_source

RECORD = {"id": "2606.00001", "title": "A  title\n  wrapped", "abstract": "An abstract.", "categories": ["cs.CL"]}


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_sample_day_is_a_real_arxiv_day_with_unique_papers() -> None:
    listing = sample_source().listing()
    ids = [p.arxiv_id for p in listing.papers]
    assert listing.date == dt.date(2026, 6, 26)
    assert len(ids) == len(set(ids)) == 261


def test_the_date_comes_from_the_file_name(tmp_path: Path) -> None:
    source = JsonlSource(write_lines(tmp_path / "2026-07-01.jsonl", [json.dumps(RECORD)]))
    listing = source.listing()
    assert listing.date == dt.date(2026, 7, 1)
    assert listing.papers[0].title == "A title wrapped"
    with pytest.raises(NoAnnouncement, match="2026-07-01"):
        source.listing(dt.date(2026, 7, 2))


def test_versions_and_repeats_are_one_paper_newest_version_wins(tmp_path: Path) -> None:
    lines = [json.dumps(RECORD | {"id": "2606.00001v1"}), json.dumps(RECORD | {"id": "2606.00001v3"})]
    papers = JsonlSource(write_lines(tmp_path / "p.jsonl", lines)).papers()
    assert [(p.arxiv_id, p.version) for p in papers] == [("2606.00001", 3)]


@pytest.mark.parametrize(
    ("bad_line", "reason"),
    [
        ("{not json", "not a paper"),
        ('["a list"]', "JSON object"),
        (json.dumps({"id": "2606.00002", "abstract": "no title"}), "title"),
        (json.dumps(RECORD | {"id": "not-an-id"}), "not an arXiv id"),
    ],
)
def test_a_bad_line_is_reported_with_file_and_line(tmp_path: Path, bad_line: str, reason: str) -> None:
    path = write_lines(tmp_path / "p.jsonl", [json.dumps(RECORD), bad_line])
    with pytest.raises(InvalidSourceData, match=f"p.jsonl:2: .*{reason}"):
        JsonlSource(path).papers()


def test_empty_file_is_no_announcement_not_an_empty_digest(tmp_path: Path) -> None:
    with pytest.raises(NoAnnouncement):
        JsonlSource(write_lines(tmp_path / "2026-07-01.jsonl", [""])).listing()


def test_paper_lookup(tmp_path: Path) -> None:
    source = JsonlSource(write_lines(tmp_path / "p.jsonl", [json.dumps(RECORD)]))
    assert source.paper("2606.00001").abs_url == "https://arxiv.org/abs/2606.00001"
    with pytest.raises(PaperNotFound):
        source.paper("2606.99999")
