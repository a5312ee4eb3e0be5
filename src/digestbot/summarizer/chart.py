"""The bar chart of papers per category that heads every digest (PNG bytes)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping

# Wide and short so it stays legible in Slack's and Discord's inline previews (~400 px high).
_FIGURE_SIZE = (8.0, 4.2)
_DPI = 120
_BAR_COLOR = "#3b6ea8"


def render_chart(counts: Mapping[str, int], *, day: dt.date, title: str = "New AI papers by category") -> bytes:
    """Horizontal bars, largest on top, each labelled with its count; matplotlib is imported lazily
    because it costs ~0.3 s and most commands never draw."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    items = sorted(counts.items(), key=lambda item: item[1])
    names = [name for name, _ in items]
    values = [value for _, value in items]
    figure, axes = plt.subplots(figsize=_FIGURE_SIZE, dpi=_DPI)
    try:
        bars = axes.barh(names, values, color=_BAR_COLOR)
        axes.bar_label(bars, padding=3, fontsize=10)
        axes.set_title(f"{title} — {day.isoformat()} ({sum(values)} papers)", fontsize=12, loc="left")
        axes.set_xlabel("papers")
        axes.spines[["top", "right"]].set_visible(False)
        axes.set_xlim(0, max([*values, 1]) * 1.15)
        axes.tick_params(axis="y", labelsize=10)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    finally:
        plt.close(figure)
    return buffer.getvalue()
