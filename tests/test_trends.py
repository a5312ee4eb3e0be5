"""Trends against the last announcement days, the chart that shows them, and --explain."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

from typer.testing import CliRunner

from digestbot.app.cli import app
from digestbot.app.factory import make_digest_service
from digestbot.bot.config import load_settings
from digestbot.bot.digests import MemoryDigestStore
from digestbot.summarizer.chart import render_chart
from digestbot.summarizer.models import Digest
from digestbot.summarizer.trends import CategoryTrend, daily_means, moved_categories, trend_line
from tests.helpers import offline_digest

runner = CliRunner()
TODAY = {"LLM": 90, "Computer Vision": 60, "Multimodal": 30, "Inference acceleration": 3}
LAST_WEEK = [
    {"LLM": 60, "Computer Vision": 70, "Multimodal": 30, "Inference acceleration": 1},
    {"LLM": 62, "Computer Vision": 66, "Multimodal": 34},
]


def test_a_category_whose_share_moved_gets_a_line_in_the_digest_language() -> None:
    means = daily_means(LAST_WEEK)
    assert means == {"LLM": 61.0, "Computer Vision": 68.0, "Multimodal": 32.0, "Inference acceleration": 0.5}

    moved = moved_categories(TODAY, means)

    assert [t.name for t in moved] == ["LLM"]  # CV fell by 12 %: not news; 3 vs 0.5 is too small to be
    assert trend_line(moved[0], "en") == "LLM: 90 today, 61 a day last week"
    assert trend_line(moved[0], "ko") == "LLM: 오늘 90편, 지난주 하루 평균 61편"
    assert trend_line(CategoryTrend("LLM", 90, 61.0), "xx") == "LLM: 90 today, 61 a day last week"


def test_no_history_means_no_trend_lines() -> None:
    assert daily_means([]) == {}
    assert moved_categories(TODAY, {}) == []
    assert moved_categories({"LLM": 61}, daily_means([{"LLM": 60}, {"LLM": 62}])) == []


def _earlier(digest: Digest, days: int, keep: int) -> Digest:
    """The same digest moved ``days`` back, each section cut to its first ``keep`` papers."""
    sections = [s.model_copy(update={"papers": s.papers[:keep]}) for s in digest.sections]
    return digest.model_copy(update={"date": digest.date - dt.timedelta(days=days), "sections": sections})


def test_the_service_reads_history_from_stored_digests_and_the_chart_shows_it() -> None:
    today = offline_digest()
    store = MemoryDigestStore()
    service = make_digest_service(load_settings(digest_source="sample"), store=store)
    bare = service.chart(today)
    assert service.history_means(today) == {} and service.trends(today) == []

    for days in (1, 2, 3):
        store.save_digest(_earlier(today, days, keep=4))
    store.save_digest(_earlier(today, 20, keep=100))  # outside the two-week window
    service = make_digest_service(load_settings(digest_source="sample"), store=store)

    means = service.history_means(today)
    assert means and set(means) <= set(today.counts) and max(means.values()) <= 4
    assert [t.name for t in service.trends(today)]  # today's big categories stand out against 4 a day
    assert service.chart(today) != bare


def test_korean_charts_never_draw_missing_glyphs() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = render_chart(TODAY, day=dt.date(2026, 6, 30), language="ko", means=daily_means(LAST_WEEK))
    assert png.startswith(b"\x89PNG")
    assert not [w for w in caught if "missing from font" in str(w.message)]


def test_digest_explain_prints_the_top_papers_and_why(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["digest", "-s", "sample", "-o", str(tmp_path), "--explain", "--interests", "quantization"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Top 10 of "))
    assert lines[header].endswith("for: quantization:")
    assert lines[header + 1].startswith(" 1. ")
    assert "matches interest: quantization" in lines[header + 2]
    bad = runner.invoke(app, ["digest", "-s", "sample", "-o", str(tmp_path), "--explain", "--interests", "x" * 90])
    assert bad.exit_code == 1 and "--interests: interest" in bad.stderr and "too long" in bad.stderr
