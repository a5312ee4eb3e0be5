"""The brief post (``bot/layout/brief.py``) as plain text for ``digestbot chat``: the same parent and
thread a channel gets, with the chart and the full digest saved as files beside it."""

from __future__ import annotations

from pathlib import Path

from digestbot.bot.layout.brief import BriefPost, CategoryBrief, Pick, PostBudget, brief_post
from digestbot.summarizer.models import Digest
from digestbot.summarizer.trends import CategoryTrend

BUDGET = PostBudget(messages=10, characters=20_000, message_characters=20_000, link_markup=0)
RULE = "─" * 40


def render_brief(digest: Digest, *, trends: tuple[CategoryTrend, ...], chart: Path, folder: Path) -> str:
    post = brief_post(digest, trends=trends, budget=BUDGET)
    parent = post.parent
    lines = [parent.title, f"{parent.date} · {parent.total} · {parent.produced_by}", f"[{parent.chart_title}: {chart}]"]
    lines.append(" · ".join(f"{name} {count}" for name, count in parent.counts))
    lines += [parent.trend] if parent.trend else []
    lines += ["", parent.top_heading, *(_pick(post, p, f"{n}. ", p.category) for n, p in enumerate(parent.top, 1))]
    lines += [*parent.notes, "", parent.hint]
    for group in post.thread:
        lines += ["", RULE]
        for category in group:
            lines += _category(post, category)
    if post.full_file is not None:
        name, content = post.full_file
        (folder / name).write_bytes(content)
        lines += ["", f"[{folder / name}]"]
    return "\n".join(lines)


def _category(post: BriefPost, category: CategoryBrief) -> list[str]:
    lines = [f"{category.name} ({category.count})", category.summary, *(_pick(post, p, "- ") for p in category.picks)]
    if category.rest:
        lines += [f"{post.also_label}:", *(f"  {ref.title} ({ref.url})" for ref in category.rest)]
    if category.more:
        lines.append(post.more_line(category))
    return [*lines, ""]


def _pick(post: BriefPost, pick: Pick, marker: str, category: str = "") -> str:
    mark = f"  ★ {post.interest_line(pick)}" if pick.interests else ""
    where = f" [{category}]" if category else ""
    return f"{marker}{pick.paper.title}{where} ({pick.paper.url}) — {pick.tldr}{mark}"
