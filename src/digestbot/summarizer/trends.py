"""How today's category counts compare with the last announcement days.

Pure functions over counts (category name -> papers); the bot reads the counts of the stored
digests and passes them in, so the summarizer never touches storage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from digestbot.summarizer.phrases import phrase

TREND_DAYS = 7
# A move worth a line: the category's share of the day changed by 5 points or more, its count by
# at least 30 %, and it is not a small category (at least 10 papers today or on an average day).
MIN_SHARE_CHANGE = 0.05
MIN_RATIO = 1.3
MIN_PAPERS = 10


@dataclass(frozen=True)
class CategoryTrend:
    name: str
    today: int
    mean: float

    @property
    def ratio(self) -> float:
        return (self.today + 1) / (self.mean + 1)


def daily_means(history: Sequence[Mapping[str, int]]) -> dict[str, float]:
    """Papers a day per category over ``history`` (one count mapping per announcement day; a
    category missing on a day had none). Empty history gives an empty mapping."""
    if not history:
        return {}
    names = {name for day in history for name in day}
    return {name: sum(day.get(name, 0) for day in history) / len(history) for name in names}


def moved_categories(today: Mapping[str, int], means: Mapping[str, float]) -> list[CategoryTrend]:
    """Categories whose share of the day moved a lot against ``means``, biggest move first."""
    total_today, total_before = sum(today.values()), sum(means.values())
    if not total_today or not total_before:
        return []
    moved = []
    for name, count in today.items():
        mean = means.get(name, 0.0)
        share_change = abs(count / total_today - mean / total_before)
        trend = CategoryTrend(name=name, today=count, mean=mean)
        big_enough = max(count, mean) >= MIN_PAPERS
        if big_enough and share_change >= MIN_SHARE_CHANGE and max(trend.ratio, 1 / trend.ratio) >= MIN_RATIO:
            moved.append((share_change, trend))
    return [trend for _, trend in sorted(moved, key=lambda item: -item[0])]


def trend_line(trend: CategoryTrend, language: str) -> str:
    """ "LLM: 90 today, 61 a day last week", in the digest's language."""
    return phrase("trend.line", language, name=trend.name, today=trend.today, mean=round(trend.mean))
