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

from collections.abc import Iterable, Sequence
from typing import Any

import discord

from digestbot.adapters.discord.limits import LIMITS, embed_length
from digestbot.adapters.discord.markdown import escape, escape_lines, escape_text, link
from digestbot.adapters.split import pack, split_text
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
    produced_by,
    reference,
    summary_lines,
    summary_parts,
)
from digestbot.bot.ports import OutgoingMessage
from digestbot.summarizer.models import Backend, CategorySection, CategorySummary, Digest, Paper

COLOR = 0x2F6FEB
MARKER_RESERVE = 48
_CONTINUED = " (continued)"


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
        title=f"{len(digest.papers)} {labels.papers} · {date}",
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
                + (f"\n  {escape(h.snippet)}" if h.snippet else "")
                for h in hits
            ]
            return _messages(_embeds(lines, title=f"Search: {escape(query)}"), text=f"Search: {query}")
        case AnswerReply(text=text, citations=citations):
            lines = escape_lines(text)
            if citations:
                lines += ["", "**Sources**"]
                lines += [f"- {_ref(reference(c.arxiv_id, c.title))} {escape(c.title)}" for c in citations]
            return _messages(_embeds(lines), text=text)
    raise TypeError(f"no Discord rendering for {type(reply).__name__}")


def _overview_lines(digest: Digest, labels: Labels) -> list[str]:
    lines = [f"**{escape(s.category.name)}** — {len(s.papers)}" for s in digest.sections]
    lines += [f"*{escape(note)}*" for note in digest.notes]
    return lines or [f"0 {labels.papers}"]


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


def _embeds(
    lines: Sequence[str], *, title: str | None = None, url: str | None = None, footer: str | None = None
) -> list[dict[str, Any]]:
    """Lines packed into as many embed descriptions as they need; a title too long for the title
    field is shortened there and given in full as the first line, so nothing is lost."""
    lines = list(lines)
    shown_title = None
    if title is not None:
        escaped_title = escape(title)
        limit = LIMITS.embed_title - len(_CONTINUED)
        shown_title = escaped_title if len(escaped_title) <= limit else escaped_title[: limit - 1] + "…"
        if shown_title != escaped_title:
            lines.insert(0, f"**{escaped_title}**")
    chunks = pack(lines, limit=LIMITS.embed_description) or [""]
    embeds = []
    for number, chunk in enumerate(chunks):
        embed = discord.Embed(description=chunk or None, color=COLOR)
        if shown_title is not None:
            embed.title = shown_title if number == 0 else shown_title + _CONTINUED
            embed.url = url if number == 0 else None
        embeds.append(embed)
    if footer:
        embeds[-1].set_footer(text=footer)
    return [embed.to_dict() for embed in embeds]


def _messages(embeds: Iterable[dict[str, Any]], *, text: str, content: str = "") -> list[OutgoingMessage]:
    """Group embeds into messages: at most 10 each and 6,000 characters minus the marker reserve."""
    budget = LIMITS.embeds_total - MARKER_RESERVE
    groups: list[list[dict[str, Any]]] = [[]]
    for embed in embeds:
        current = groups[-1]
        size = sum(embed_length(e) for e in current) + embed_length(embed)
        if current and (len(current) >= LIMITS.embeds_per_message or size > budget):
            groups.append([embed])
        else:
            current.append(embed)
    messages = []
    for number, group in enumerate(groups):
        payload: dict[str, Any] = {"content": content if number == 0 else "", "embeds": group}
        messages.append(OutgoingMessage(text=text, payload=payload))
    return messages


def _content_message(content: str) -> OutgoingMessage:
    """A plain message; ``content`` is already safe (escaped or our own words) and within the limit."""
    return OutgoingMessage(text=content, payload={"content": content, "embeds": []})


def _with_thread_name(message: OutgoingMessage, name: str) -> OutgoingMessage:
    return OutgoingMessage(text=message.text, payload={**message.payload, "thread_name": name})


def _thread_name(title: str, date: str) -> str:
    """``<title> <date>`` within Discord's 100 characters; the date always survives."""
    room = LIMITS.thread_name - len(date) - 1
    return f"{title if len(title) <= room else title[: room - 1] + '…'} {date}"
