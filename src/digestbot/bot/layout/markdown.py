"""Render a digest as the seed's Markdown document (``digest-YYYY-MM-DD.md``).

Generated and untrusted text is escaped so it can never change the document's structure: a
summary that says ``## Heading`` or a title with ``<script>`` renders as text (the seed's own
output shows the bug this prevents — a summary's heading split its Multimodal section).
"""

from __future__ import annotations

import re
from dataclasses import replace

from digestbot.bot.layout.locale import labels_for
from digestbot.bot.layout.parts import LineStyle, card_lines, paper_card, summary_lines, summary_parts
from digestbot.summarizer.models import Backend, CategorySection, CategorySummary, Digest, Paper, PaperSummary

_INLINE_SPECIALS = re.compile(r"([\\`*_<>#|~]|\](?=\())")
_LINE_START_SPECIALS = re.compile(r"^(\s*)([-+=]|\d+(?=[.)]))")


def escape(text: str) -> str:
    """One line of inert text: newlines folded, Markdown/HTML specials backslash-escaped."""
    flat = " ".join(text.split())
    escaped = _INLINE_SPECIALS.sub(r"\\\1", flat)
    return _LINE_START_SPECIALS.sub(_escape_line_start, escaped)


def _escape_line_start(match: re.Match[str]) -> str:
    """``- x`` and ``1. x`` would start a list: escape the marker (after the digits for ``1.``)."""
    indent, marker = match.group(1), match.group(2)
    return f"{indent}{marker}\\" if marker[0].isdigit() else f"{indent}\\{marker}"


_STYLE = LineStyle(
    heading=lambda label: f"{label}:",
    bullet=lambda item: f"- {escape(item)}",
    words=lambda items: "- " + ", ".join(escape(item) for item in items),
    fact=lambda ref, fact: f"- '{escape(ref.title)}' [{ref.arxiv_id}]: {escape(fact)}",
    prose=escape,
    note=lambda text: f"\n_{escape(text)}_",
)


_CARD = replace(_STYLE, heading=lambda label: f"**{label}:**", words=lambda items: ", ".join(map(escape, items)))


def chart_filename(digest: Digest) -> str:
    return f"digest-{digest.date.isoformat()}.png"


def render_digest(digest: Digest, *, chart_file: str | None = None) -> str:
    labels = labels_for(digest.language)
    chart = f"![{labels.chart_alt}]({chart_file or chart_filename(digest)})"
    produced_by = labels.llm if digest.backend is Backend.LLM else labels.extractive
    count = len(digest.papers)
    lines = [
        f"# {labels.title}",
        "",
        chart,
        "",
        f"*{digest.date.isoformat()} · {labels.count(count)} · {produced_by}*",
    ]
    lines += [f"> {escape(note)}" for note in labels.notes(digest.notes)]
    for section in digest.sections:
        lines += ["", *render_section(section, digest.language)]
    return "\n".join(lines) + "\n"


def render_section(section: CategorySection, language: str) -> list[str]:
    labels = labels_for(language)
    lines = [f"## {escape(section.category.name)}", "", f"**{labels.summary}:**", ""]
    lines += render_summary(section.summary, language)
    lines += ["", f"**{labels.sources}:**", ""]
    lines += [f" - {source_line(paper)}" for paper in section.papers]
    return [*lines, ""]


def render_summary(summary: CategorySummary, language: str) -> list[str]:
    return summary_lines(summary_parts(summary, labels_for(language)), _STYLE)


def source_line(paper: Paper) -> str:
    return f"{escape(paper.title)} ({paper.abs_url})"


def render_paper(paper: Paper, summary: PaperSummary, language: str = "en") -> str:
    """A single paper for ``digestbot paper`` and the console's ``/digest paper``."""
    card = paper_card(paper, summary, language)
    byline = f"{escape(card.authors)} · {card.paper.url} · {', '.join(card.categories)}"
    lines = [f"# {escape(paper.title)}", "", byline, "", *card_lines(card, _CARD)]
    return "\n".join(lines) + "\n"
