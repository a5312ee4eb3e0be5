"""The brief post (``bot/layout/brief.py``) as Slack messages: the parent shows the chart in an
``image`` block, the thread one message per planned group of categories.

The chart must be a Slack file before a block can show it, so the parent's image block names
:data:`PENDING_FILE` and carries the PNG as its attachment; the transport uploads it (not shared
to any channel) and puts the file's id in the block just before posting. Everything else is
decided by the layout: this module only maps its parts to Block Kit.
"""

from __future__ import annotations

from dataclasses import replace

from digestbot.adapters.slack.blocks import Block, context, heading, label, part, section
from digestbot.adapters.slack.limits import LIMITS, SlackLimits
from digestbot.adapters.slack.mrkdwn import escape, fit, inline, link
from digestbot.bot.layout.brief import BriefPost, CategoryBrief, Pick, PostBudget, brief_post
from digestbot.bot.layout.markdown import chart_filename
from digestbot.bot.ports import OutgoingMessage
from digestbot.summarizer.models import Digest
from digestbot.summarizer.trends import CategoryTrend

PENDING_FILE = "pending-upload"
"""The ``slack_file`` id of the parent's chart until the transport has uploaded it."""
BUDGET = PostBudget(
    messages=8,
    characters=20_000,
    message_characters=LIMITS.message_block_text - 1_000,
    link_markup=40,
    file_is_message=True,
)


def render_brief(
    digest: Digest, chart_png: bytes | None, *, trends: tuple[CategoryTrend, ...] = (), limits: SlackLimits = LIMITS
) -> list[OutgoingMessage]:
    post = brief_post(digest, trends=trends, budget=BUDGET)
    parent = _parent(post, chart_png, chart_filename(digest), limits)
    thread = [_thread_message(post, group, limits) for group in post.thread]
    if post.full_file is not None and thread:
        last = thread[-1]
        thread[-1] = OutgoingMessage(last.text, last.payload, post.full_file)
    return [replace(message, language=digest.language) for message in (parent, *thread)]


def image_block(*, file_id: str, title: str, alt: str) -> Block:
    return {
        "type": "image",
        "slack_file": {"id": file_id},
        "alt_text": alt,
        "title": {"type": "plain_text", "text": title},
    }


def _parent(post: BriefPost, chart_png: bytes | None, filename: str, limits: SlackLimits) -> OutgoingMessage:
    parent = post.parent
    blocks: list[Block] = [
        *heading(parent.title, limits=limits),
        section(f"*{parent.date}* · {escape(parent.total)} · {escape(parent.produced_by)}"),
    ]
    if chart_png:
        blocks.append(image_block(file_id=PENDING_FILE, title=parent.chart_title, alt=parent.chart_alt))
    counts = " · ".join(f"{escape(name)} {count}" for name, count in parent.counts)
    blocks += part(None, fit("", counts, limit=limits.line_text), limits=limits)
    if parent.trend:
        blocks.append(context(inline(parent.trend)))
    lines = [
        line
        for place, pick in enumerate(parent.top, 1)
        for line in _pick(post, pick, f"{place}. ", limits, category=pick.category)
    ]
    blocks += part(parent.top_heading, lines, limits=limits)
    blocks += [context(piece) for note in parent.notes for piece in fit("", note, limit=limits.line_text)]
    blocks.append(context(escape(parent.hint)))
    fallback = f"{parent.title} — {parent.date}: {parent.total}"
    attachment = (filename, chart_png) if chart_png else None
    return OutgoingMessage(text=inline(fallback), payload={"blocks": blocks}, attachment=attachment)


def _thread_message(post: BriefPost, group: tuple[CategoryBrief, ...], limits: SlackLimits) -> OutgoingMessage:
    blocks: list[Block] = []
    for category in group:
        blocks += heading(f"{category.name} ({category.count})", limits=limits)
        blocks += part(None, fit("", category.summary, limit=limits.line_text), limits=limits)
        blocks += part(
            None, [line for pick in category.picks for line in _pick(post, pick, "• ", limits)], limits=limits
        )
        rest = [f"• {link(ref.url, ref.title)}" if ref.url else f"• {inline(ref.title)}" for ref in category.rest]
        if rest:
            blocks += part(post.also_label, rest, limits=limits)
        if category.more:
            blocks.append(context(escape(post.more_line(category))))
    names = ", ".join(f"{c.name} ({c.count})" for c in group)
    return OutgoingMessage(text=inline(names), payload={"blocks": blocks})


def _pick(post: BriefPost, pick: Pick, marker: str, limits: SlackLimits, *, category: str = "") -> list[str]:
    """``1. <link|title> (LLM) — TL;DR``, then ``★ matches your interest: …`` for a channel's interest."""
    title = link(pick.paper.url, pick.paper.title[: limits.link_label]) if pick.paper.url else label(pick.paper.title)
    title += f" _({escape(category)})_" if category else ""
    mark = f" _★ {escape(post.interest_line(pick))}_" if pick.interests else ""
    return fit(f"{marker}{title} — ", pick.tldr, limit=limits.line_text - len(mark)) + ([mark] if mark else [])
