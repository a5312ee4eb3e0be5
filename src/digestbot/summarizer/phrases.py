"""The summarizer's user-visible phrases (chart title and labels, trend lines) per language.

A flat table of templates keyed by phrase id, so it can be folded into a project-wide phrase
catalog; a language without an entry, or a phrase missing from it, falls back to English.
"""

from __future__ import annotations

from typing import Any

_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "chart.title": "New AI papers by category — {day} ({total} papers)",
        "chart.axis": "papers",
        "chart.today": "today",
        "chart.mean": "mean of the last {days} announcement days",
        "trend.line": "{name}: {today} today, {mean} a day last week",
    },
    "ko": {
        "chart.title": "분야별 새 AI 논문 — {day} (총 {total}편)",
        "chart.axis": "논문 수",
        "chart.today": "오늘",
        "chart.mean": "최근 {days}회 발표일 평균",
        "trend.line": "{name}: 오늘 {today}편, 지난주 하루 평균 {mean}편",
    },
}


def phrase(key: str, language: str, **values: Any) -> str:
    """The phrase ``key`` in ``language`` (or English), with ``values`` filled in."""
    table = _PHRASES.get(language) or _PHRASES.get(language.split("-")[0]) or _PHRASES["en"]
    return table.get(key, _PHRASES["en"][key]).format(**values)


def phrases_in(language: str) -> list[str]:
    """Every template of ``language`` (for checking that a font can draw them)."""
    return list((_PHRASES.get(language) or _PHRASES.get(language.split("-")[0]) or _PHRASES["en"]).values())
