"""The bar chart of papers per category that heads every digest (PNG bytes).

With history it shows, beside each category's count today, the mean of the last announcement
days as a lighter bar, so a reader sees at a glance what is unusually busy today. Title and
labels are in the digest's language when an installed font can draw it, else in English.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from typing import TYPE_CHECKING

from digestbot.summarizer.fonts import font_for
from digestbot.summarizer.phrases import phrase, phrases_in
from digestbot.summarizer.trends import TREND_DAYS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

# Wide and short so it stays legible in Slack's and Discord's inline previews (~400 px high).
_FIGURE_SIZE = (8.0, 4.2)
_DPI = 120
_BAR_COLOR = "#3b6ea8"
_MEAN_COLOR = "#b9c7d8"


def _language_and_font(language: str, names: list[str]) -> tuple[str, str | None]:
    """The language to label in and its font; English when no font draws ``language``."""
    names_text = "".join(names)
    family = font_for("".join(phrases_in(language)) + names_text)
    if family is None and language != "en":
        return "en", font_for(names_text)
    return language, family


def render_chart(
    counts: Mapping[str, int],
    *,
    day: dt.date,
    language: str = "en",
    means: Mapping[str, float] | None = None,
    mean_days: int = TREND_DAYS,
) -> bytes:
    """Horizontal bars, largest on top, each labelled with its count; ``means`` (papers a day per
    category over the last ``mean_days`` announcement days) adds a lighter bar beside each.
    matplotlib is imported lazily because it costs ~0.3 s and most commands never draw."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    items = sorted(counts.items(), key=lambda item: item[1])
    names = [name for name, _ in items]
    values = [value for _, value in items]
    language, family = _language_and_font(language, names)
    # The whole figure inside the context: an axes' title and labels keep the font of their creation.
    with plt.rc_context({"font.family": family} if family else {}):
        figure, axes = plt.subplots(figsize=_FIGURE_SIZE, dpi=_DPI)
        try:
            legend = phrase("chart.mean", language, days=mean_days)
            _draw(axes, names=names, values=values, means=means or {}, labels=(phrase("chart.today", language), legend))
            axes.set_title(
                phrase("chart.title", language, day=day.isoformat(), total=sum(values)), fontsize=12, loc="left"
            )
            axes.set_xlabel(phrase("chart.axis", language))
            figure.tight_layout()
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png")
        finally:
            plt.close(figure)
    return buffer.getvalue()


def _draw(
    axes: Axes, *, names: list[str], values: list[int], means: Mapping[str, float], labels: tuple[str, str]
) -> None:
    """The bars; ``labels`` name today's and the mean's in the legend."""
    positions = list(range(len(names)))
    history = [means.get(name, 0.0) for name in names] if means else []
    height = 0.4 if history else 0.8
    offset = height / 2 if history else 0.0
    bars = axes.barh([p + offset for p in positions], values, height=height, color=_BAR_COLOR, label=labels[0])
    axes.bar_label(bars, padding=3, fontsize=10)
    if history:
        past = axes.barh(
            [p - offset for p in positions],
            history,
            height=height,
            color=_MEAN_COLOR,
            label=labels[1],
        )
        axes.bar_label(past, labels=[f"{m:.0f}" for m in history], padding=3, fontsize=8, color="#5a6b80")
        axes.legend(loc="best", fontsize=9, frameon=False)  # the emptiest corner, whatever the counts
    axes.set_yticks(positions, names)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_xlim(0, max([*values, *history, 1]) * 1.15)
    axes.tick_params(axis="y", labelsize=10)
