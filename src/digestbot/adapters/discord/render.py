"""Render digests and replies as Discord messages (content + embeds), within every Discord limit.

Pure functions: the same digest always gives the same messages, so a resumed delivery sends the
same parts. A digest becomes a parent message (title, papers per category, the chart) and, for its
thread, one or more messages per category: the five-part summary in embeds, then the sources as
links. Long text is split with the shared splitter (never truncated); each message keeps
:data:`MARKER_RESERVE` characters free so the transport can add its idempotency marker to a footer.

Payload keys: ``content`` and ``embeds`` (dicts from ``discord.Embed.to_dict``) as Discord takes
them, plus ``thread_name`` on thread parts (for the transport, which creates the thread with the
first of them; it is not sent to Discord).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from digestbot.adapters.discord.brief import render_brief
from digestbot.adapters.discord.embeds import embeds as _embeds
from digestbot.adapters.discord.embeds import messages as _messages
from digestbot.adapters.discord.embeds import thread_name as _thread_name
from digestbot.adapters.discord.embeds import with_thread_name as _with_thread_name
from digestbot.adapters.discord.limits import LIMITS
from digestbot.adapters.discord.markdown import escape, escape_lines, escape_text, link, readable_mentions
from digestbot.adapters.split import split_text
from digestbot.bot.commands.replies import (
    AnswerReply,
    CategoriesReply,
    DigestReply,
    PaperReply,
    Reply,
    SearchReply,
    TextReply,
)
from digestbot.bot.layout.locale import Labels, labels_for
from digestbot.bot.layout.markdown import chart_filename
from digestbot.bot.layout.parts import (
    LineStyle,
    PaperRef,
    card_lines,
    paper_card,
    paper_ref,
    produced_by,
    summary_lines,
    summary_parts,
)
from digestbot.bot.ports import OutgoingMessage
from digestbot.summarizer.models import Backend, CategorySection, CategorySummary, Digest, Paper


def _ref(ref: PaperRef) -> str:
    return link(ref.arxiv_id, ref.url) if ref.url else escape(ref.arxiv_id)


_STYLE = LineStyle(
    heading=lambda label: f"**{label}**",
    bullet=lambda item: f"- {escape(item)}",
    words=lambda items: " · ".join(escape(item) for item in items),
    fact=lambda ref, fact: f"- {_ref(ref)} **{escape(ref.title)}** — {escape(fact)}",
    prose=escape,
    note=lambda text: f"*{escape(text)}*",
)


def render_digest(digest: Digest, chart_png: bytes) -> list[OutgoingMessage]:
    """``[parent, *thread parts]``: the parent carries the chart; each category starts a new part."""
    labels = labels_for(digest.language)
    filename = chart_filename(digest)
    date = digest.date.isoformat()
    overview = _overview_lines(digest, labels)
    embeds = _embeds(
        overview,
        title=f"{labels.count(len(digest.papers))} · {date}",
        footer=produced_by(digest.backend, labels),
    )
    embeds[0]["image"] = {"url": f"attachment://{filename}"}
    headline = f"**{escape(labels.title)}** · {date}"
    parent, *overflow = _messages(embeds, text=f"{labels.title} {date}", content=headline)
    parts = [
        OutgoingMessage(text=parent.text, payload=parent.payload, attachment=(filename, chart_png)),
        *overflow,
    ]
    for section in digest.sections:
        parts += _messages(
            _section_embeds(section, labels, digest.backend), text=f"{section.category.name}: {len(section.papers)}"
        )
    thread_name = _thread_name(labels.title, date)
    return [parts[0]] + [_with_thread_name(part, thread_name) for part in parts[1:]]


def render_reply(reply: Reply) -> list[OutgoingMessage]:
    """Any reply the handler returns, as one or more messages in reading order."""
    match reply:
        case TextReply(text=text):
            safe = escape_text(text)
            return [_content_message(piece) for piece in split_text(safe, LIMITS.content)]
        case DigestReply(digest=digest, chart_png=png, detail="brief", trends=trends):
            return render_brief(digest, png, trends=trends)
        case DigestReply(digest=digest, chart_png=png):
            return render_digest(digest, png)
        case PaperReply():
            return _paper(reply)
        case CategoriesReply(categories=categories, counts=counts):
            lines = [
                f"**{escape(c.name)}** `{c.slug}`"
                + (f" · {counts[c.slug]}" if c.slug in counts else "")
                + f" — {escape(c.description)}"
                for c in categories
            ]
            return _messages(_embeds(lines, title="Categories"), text="Categories")
        case SearchReply(query=query, hits=hits):
            if not hits:
                return [_content_message(f"Nothing found for '{escape(query)}'.")]
            lines = [
                f"- {link(h.paper.arxiv_id, h.paper.abs_url)} {escape(h.paper.title)} · {h.digest_date}"
                + (f"\n  {escape(readable_mentions(h.snippet))}" if h.snippet else "")
                for h in hits
            ]
            return _messages(_embeds(lines, title=f"Search: {escape(query)}"), text=f"Search: {query}")
        case AnswerReply(text=text, citations=citations):
            text = readable_mentions(text)
            lines = escape_lines(text)
            if citations:
                lines += ["", "**Sources**"]
                lines += [f"- {_ref(paper_ref(paper))} {escape(paper.title)}" for paper in citations]
            return _messages(_embeds(lines), text=text)
    raise TypeError(f"no Discord rendering for {type(reply).__name__}")


def _overview_lines(digest: Digest, labels: Labels) -> list[str]:
    lines = [f"**{escape(s.category.name)}** — {len(s.papers)}" for s in digest.sections]
    lines += [f"*{escape(note)}*" for note in labels.notes(digest.notes)]
    return lines or [labels.count(0)]


def _section_embeds(section: CategorySection, labels: Labels, backend: Backend) -> list[dict[str, Any]]:
    title = f"{section.category.name} ({len(section.papers)})"
    summary = _summary_lines(section.summary, labels, section.papers)
    if section.summary.backend is not backend:
        # One category fell back (e.g. the model's output was invalid): say so where it happened.
        summary += ["", f"*{produced_by(section.summary.backend, labels)}*"]
    sources = [f"- {link(p.arxiv_id, p.abs_url)} {escape(p.title)}" for p in section.papers]
    return _embeds(summary, title=title) + _embeds(sources, title=labels.sources)


def _summary_lines(summary: CategorySummary, labels: Labels, papers: Sequence[Paper]) -> list[str]:
    return summary_lines(summary_parts(summary, labels, papers), _STYLE)


def _paper(reply: PaperReply) -> list[OutgoingMessage]:
    card = paper_card(reply.paper, reply.summary, reply.language)
    byline = " · ".join(p for p in (escape(card.authors), _ref(card.paper), ", ".join(card.categories)) if p)
    lines = [byline, "", *card_lines(card, _STYLE)]
    embeds = _embeds(lines, title=card.paper.title, url=card.paper.url, footer=card.produced_by)
    return _messages(embeds, text=f"{card.paper.arxiv_id} {card.paper.title}")


def _content_message(content: str) -> OutgoingMessage:
    """A plain message; ``content`` is already safe (escaped or our own words) and within the limit."""
    return OutgoingMessage(text=content, payload={"content": content, "embeds": []})
