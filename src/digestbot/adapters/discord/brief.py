"""The brief post (``bot/layout/brief.py``) as Discord messages: the chart attached to the parent and
shown in its embed (``attachment://``), then one thread message per planned group of categories.

Only markup is decided here; the layout chose the picks, the lists and the grouping within
:data:`BUDGET`.
"""

from __future__ import annotations

from digestbot.adapters.discord.embeds import MARKER_RESERVE, embeds, messages, thread_name, with_thread_name
from digestbot.adapters.discord.limits import LIMITS
from digestbot.adapters.discord.markdown import escape, link
from digestbot.bot.layout.brief import BriefPost, CategoryBrief, Pick, PostBudget, brief_post
from digestbot.bot.layout.markdown import chart_filename
from digestbot.bot.ports import OutgoingMessage
from digestbot.summarizer.models import Digest
from digestbot.summarizer.trends import CategoryTrend

BUDGET = PostBudget(
    messages=10,
    characters=20_000,
    message_characters=LIMITS.embeds_total - MARKER_RESERVE - 500,
    link_markup=40,
)


def render_brief(digest: Digest, chart_png: bytes, *, trends: tuple[CategoryTrend, ...] = ()) -> list[OutgoingMessage]:
    post = brief_post(digest, trends=trends, budget=BUDGET)
    parent = _parent(post, chart_png, chart_filename(digest))
    name = thread_name(post.parent.title, post.parent.date)
    thread = [with_thread_name(m, name) for group in post.thread for m in _thread_messages(post, group)]
    if post.full_file is not None and thread:
        last = thread[-1]
        thread[-1] = OutgoingMessage(last.text, last.payload, post.full_file)
    return [parent, *thread]


def _parent(post: BriefPost, chart_png: bytes, filename: str) -> OutgoingMessage:
    parent = post.parent
    lines = [" · ".join(f"**{escape(name)}** {count}" for name, count in parent.counts)]
    if parent.trend:
        lines.append(f"*{escape(parent.trend)}*")
    lines += ["", f"**{escape(parent.top_heading)}**"]
    lines += [_pick(post, pick, f"{place}. ", category=pick.category) for place, pick in enumerate(parent.top, 1)]
    lines += [f"*{escape(note)}*" for note in parent.notes]
    lines += ["", escape(parent.hint)]
    parts = embeds(lines, title=f"{parent.total} · {parent.date}", footer=parent.produced_by)
    parts[0]["image"] = {"url": f"attachment://{filename}"}
    headline = f"**{escape(parent.title)}** · {parent.date}"
    first, *_ = messages(parts, text=f"{parent.title} {parent.date}", content=headline)
    return OutgoingMessage(first.text, first.payload, (filename, chart_png))


def _thread_messages(post: BriefPost, group: tuple[CategoryBrief, ...]) -> list[OutgoingMessage]:
    """One message as the layout planned it (its size estimate keeps it within Discord's 6,000
    characters; were it ever wrong, the embeds would spill into a second message, never be cut)."""
    parts = []
    for category in group:
        lines = [escape(category.summary), "", *(_pick(post, pick, "- ") for pick in category.picks)]
        if category.rest:
            lines += ["", f"**{escape(post.also_label)}**"]
            lines += [f"- {link(ref.title, ref.url)}" if ref.url else f"- {escape(ref.title)}" for ref in category.rest]
        if category.more:
            lines += ["", f"*{escape(post.more_line(category))}*"]
        parts += embeds(lines, title=f"{category.name} ({category.count})")
    text = ", ".join(f"{c.name}: {c.count}" for c in group)
    return messages(parts, text=text)


def _pick(post: BriefPost, pick: Pick, marker: str, *, category: str = "") -> str:
    title = link(pick.paper.title, pick.paper.url) if pick.paper.url else f"**{escape(pick.paper.title)}**"
    title += f" *({escape(category)})*" if category else ""
    mark = f" *★ {escape(post.interest_line(pick))}*" if pick.interests else ""
    return f"{marker}{title} — {escape(pick.tldr)}{mark}"
