"""Digests and replies as Slack messages: Block Kit ``blocks`` plus a plain-text ``text``.

Pure functions, deterministic for the same input (delivery resumes a half-sent digest by
index). A digest becomes a parent message (title, date, counts, how it was written, the chart
to upload) and, for its thread, one or more messages per category: the five-part summary and
the sources as links. Long content is split across sections and messages within
:mod:`~digestbot.adapters.slack.limits`; nothing is cut off.
"""

from __future__ import annotations

from collections.abc import Sequence

from digestbot.adapters.slack.blocks import Block, context, heading, label, paginate, part, section
from digestbot.adapters.slack.brief import render_brief
from digestbot.adapters.slack.limits import LIMITS, SlackLimits
from digestbot.adapters.slack.mrkdwn import escape, fit, inline, link, readable_mentions
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
    Bullets,
    Facts,
    Note,
    PaperRef,
    Prose,
    SummaryPart,
    Words,
    paper_card,
    paper_ref,
    produced_by,
    summary_parts,
)
from digestbot.bot.ports import OutgoingMessage
from digestbot.summarizer.models import CategorySection, Digest

SEARCH_HITS_SHOWN = 20
THREAD_HINT = "Each category's summary and sources are in this thread — reply there to ask about these papers."
PAPER_HINT = "Reply in this thread to ask about this paper."


def render_reply(reply: Reply, *, limits: SlackLimits = LIMITS) -> list[OutgoingMessage]:
    """Any reply of :mod:`digestbot.bot.commands.replies` as one or more messages, in posting order."""
    match reply:
        case DigestReply(digest=digest, chart_png=chart_png, detail="brief", trends=trends):
            return render_brief(digest, chart_png, trends=trends, limits=limits)
        case DigestReply(digest=digest, chart_png=chart_png):
            return render_digest(digest, chart_png, limits=limits)
        case PaperReply():
            return _render_paper(reply, limits)
        case CategoriesReply():
            return _render_categories(reply, limits)
        case SearchReply():
            return _render_search(reply, limits)
        case AnswerReply():
            return _render_answer(reply, limits)
        case TextReply(text=text):
            lines = [escape(line) for line in text.splitlines() if line.strip()] or [" "]
            return _messages(part(None, lines, limits=limits), fallback=text, title="", limits=limits)


def render_digest(digest: Digest, chart_png: bytes | None, *, limits: SlackLimits = LIMITS) -> list[OutgoingMessage]:
    """The parent message first (it carries the chart when there is more than one category,
    since a one-bar chart says nothing the counts don't), then the thread replies."""
    labels = labels_for(digest.language)
    papers = len(digest.papers)
    fallback = (
        f"{labels.title} — {digest.date.isoformat()}: {labels.count(papers)}, {labels.categories(len(digest.sections))}"
    )
    parent = _messages(_parent_blocks(digest, labels, limits), fallback=fallback, title=labels.title, limits=limits)
    if chart_png and len(digest.sections) > 1:
        parent[0] = OutgoingMessage(
            parent[0].text, parent[0].payload, (chart_filename(digest), chart_png), language=digest.language
        )
    replies = [message for s in digest.sections for message in _section_messages(s, labels, limits)]
    return [*parent, *replies]


def _parent_blocks(digest: Digest, labels: Labels, limits: SlackLimits) -> list[Block]:
    made = produced_by(digest.backend, labels)
    summary = f"*{digest.date.isoformat()}* · {escape(labels.count(len(digest.papers)))} · {escape(made)}"
    counts = [f"• {label(s.category.name)} — {len(s.papers)}" for s in digest.sections]
    return [
        *heading(labels.title, limits=limits),
        section(summary),
        *part(None, counts, limits=limits),
        *_notes(labels.notes(digest.notes), limits),
        context(escape(THREAD_HINT)),
    ]


def _section_messages(section_: CategorySection, labels: Labels, limits: SlackLimits) -> list[OutgoingMessage]:
    name, count = section_.category.name, len(section_.papers)
    parts = summary_parts(section_.summary, labels, section_.papers)
    sources = [
        line for paper in section_.papers for line in _paper_line(paper_ref(paper), " · ", paper.arxiv_id, limits)
    ]
    blocks = [
        *heading(f"{name} ({count})", limits=limits),
        *(block for summary_part in parts for block in _part(summary_part, limits)),
        *part(labels.sources, sources, limits=limits),
    ]
    fallback = f"{name} ({count}) — {labels.summary}, {labels.sources}"
    return _messages(blocks, fallback=fallback, title=name, limits=limits)


def _part(summary_part: SummaryPart, limits: SlackLimits) -> list[Block]:
    """One part of the neutral layout as blocks; prose may cite papers (``[2409.14674]`` links)."""
    match summary_part:
        case Bullets(label=title, items=items):
            return part(title, _bullets(items, limits), limits=limits)
        case Words(label=title, items=items):
            return part(title, fit("", ", ".join(items), limit=limits.line_text), limits=limits)
        case Facts(label=title, facts=facts):
            lines = [line for ref, fact in facts for line in _paper_line(ref, ": ", fact, limits)]
            return part(title, lines, limits=limits)
        case Prose(label=title, text=text):
            return part(title, fit("", text, limit=limits.line_text, cite=True), limits=limits)
        case Note(text=text):
            return _notes([text], limits)


def _render_paper(reply: PaperReply, limits: SlackLimits) -> list[OutgoingMessage]:
    card = paper_card(reply.paper, reply.summary, reply.language)
    paper = card.paper
    links = f"{link(paper.url or '', f'arXiv:{paper.arxiv_id}')} · {link(card.pdf_url, 'PDF')}"
    details = [links + (" · " + inline(", ".join(card.categories)) if card.categories else "")]
    details += fit("", card.authors, limit=limits.line_text) if card.authors else []
    blocks = [*heading(paper.title, limits=limits), *part(None, details, limits=limits)]
    for summary_part in card.parts:
        match summary_part:
            case Prose(label=title, text=text):  # the TL;DR: plain, citations are not links here
                blocks += part(title, fit("", text, limit=limits.line_text), limits=limits)
            case _:
                blocks += _part(summary_part, limits)
    blocks.append(context(escape(f"{card.produced_by}. {PAPER_HINT}")))
    return _messages(blocks, fallback=f"{paper.title} (arXiv:{paper.arxiv_id})", title=paper.title, limits=limits)


def _render_categories(reply: CategoriesReply, limits: SlackLimits) -> list[OutgoingMessage]:
    lines = []
    for category in reply.categories:
        count = reply.counts.get(category.slug, reply.counts.get(category.name))
        markup = f"• `{category.slug}` {label(category.name)} — "
        lines += fit(
            markup, category.description + (f" ({count} today)" if count is not None else ""), limit=limits.line_text
        )
    blocks = [*heading("Categories", limits=limits), *part(None, lines, limits=limits)]
    return _messages(blocks, fallback=f"{len(reply.categories)} categories", title="Categories", limits=limits)


def _render_search(reply: SearchReply, limits: SlackLimits) -> list[OutgoingMessage]:
    if not reply.hits:
        text = f"Nothing in the stored digests matches “{reply.query}”."
        return _messages([section(inline(text))], fallback=text, title="", limits=limits)
    shown = reply.hits[:SEARCH_HITS_SHOWN]
    lines = [
        line
        for hit in shown
        for line in _paper_line(
            paper_ref(hit.paper), " · ", f"{hit.digest_date} — {readable_mentions(hit.snippet)}", limits
        )
    ]
    title = f"{len(reply.hits)} papers match “{reply.query}”"
    blocks = [section(inline(title)), *part(None, lines, limits=limits)]
    if len(reply.hits) > len(shown):
        blocks.append(context(escape(f"Showing {len(shown)}; add words to narrow the search.")))
    return _messages(blocks, fallback=title, title="Search", limits=limits)


def _render_answer(reply: AnswerReply, limits: SlackLimits) -> list[OutgoingMessage]:
    text = readable_mentions(reply.text)
    lines = [piece for line in text.splitlines() for piece in fit("", line, limit=limits.line_text, cite=True)]
    sources = [
        line for paper in reply.citations for line in _paper_line(paper_ref(paper), " · ", paper.arxiv_id, limits)
    ]
    blocks = [*part(None, [line for line in lines if line] or [" "], limits=limits)]
    if sources:
        blocks += part("Sources", sources, limits=limits)
    return _messages(blocks, fallback=text, title="Answer", limits=limits)


def _messages(blocks: Sequence[Block], *, fallback: str, title: str, limits: SlackLimits) -> list[OutgoingMessage]:
    """Blocks paginated into messages; each continuation says whose part it is."""

    def continued(number: int, total: int) -> Block:
        return context(f"{label(title)} · part {number} of {total}" if title else f"part {number} of {total}")

    pages = paginate(blocks, continued=continued, limits=limits)
    total = len(pages)
    return [
        OutgoingMessage(
            text=_fallback(fallback + (f" (part {number} of {total})" if total > 1 else ""), limits),
            payload={"blocks": page},
        )
        for number, page in enumerate(pages, 1)
    ]


def _fallback(text: str, limits: SlackLimits) -> str:
    """The notification / accessibility text: inert like everything else, and within Slack's
    40,000 characters (the blocks hold the full content)."""
    flat = inline(text)
    return flat if len(flat) <= limits.top_level_text else flat[: limits.top_level_text - 1].rsplit(" ", 1)[0] + "…"


def _bullets(items: Sequence[str], limits: SlackLimits) -> list[str]:
    return [line for item in items for line in fit("• ", item, limit=limits.line_text, cite=True)]


def _notes(notes: Sequence[str], limits: SlackLimits) -> list[Block]:
    return [context(piece) for note in notes for piece in fit("", note, limit=limits.line_text)]


def _paper_line(ref: PaperRef, separator: str, rest: str, limits: SlackLimits) -> list[str]:
    """``• <link|title>``, ``separator`` (ours) and ``rest`` (untrusted); a title longer than a
    link label continues after the link, and an id that is not an arXiv id (model output)
    gets no link at all."""
    if ref.url is None:
        return fit("• ", f"{ref.title}{separator}{rest}", limit=limits.line_text)
    flat = " ".join(ref.title.split())
    head, tail = flat[: limits.link_label], flat[limits.link_label :]
    if tail:
        return fit(f"• {link(ref.url, head + '…')} ", f"…{tail}{separator}{rest}", limit=limits.line_text)
    return fit(f"• {link(ref.url, head)}{separator}", rest, limit=limits.line_text)
