"""The neutral layout of what the bot posts: which parts, in which order, with which labels,
cut-offs and links — decided here once for Slack, Discord, the console and the ``.md`` file.

Renderers (``adapters/slack/render.py``, ``adapters/discord/render.py``, ``bot/layout/markdown.py``)
map each part kind to their markup and split it to their platform's limits; they decide
nothing about content. A new kind of part is a new dataclass here, added to the union and to
each place that maps parts: :func:`summary_lines` and :func:`card_lines` here (the Markdown file
and Discord's embeds, each through its :class:`LineStyle`) and Slack's ``_part``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from digestbot.bot.layout.locale import Labels, labels_for
from digestbot.summarizer.ids import InvalidArxivId, abs_url, parse_arxiv_ref
from digestbot.summarizer.models import Backend, CategorySummary, Paper, PaperSummary

AUTHORS_SHOWN = 6
"""Authors named on a paper card before "et al." (one cut-off for every platform)."""


@dataclass(frozen=True)
class PaperRef:
    """A paper as a link: ``url`` is None for an id that is not an arXiv id (model output)."""

    arxiv_id: str
    title: str
    url: str | None


@dataclass(frozen=True)
class Bullets:
    label: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class Words:
    """Short items shown on one line (keywords)."""

    label: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class Facts:
    """One line per paper: the paper as a link, then what it says."""

    label: str
    facts: tuple[tuple[PaperRef, str], ...]


@dataclass(frozen=True)
class Prose:
    """A paragraph that may cite papers as ``[2409.14674]``."""

    label: str
    text: str


@dataclass(frozen=True)
class Note:
    """A remark about how something was made (a fallback, a late post), in small print."""

    text: str


SummaryPart = Bullets | Words | Facts | Prose | Note


def reference(arxiv_id: str, title: str, papers: Mapping[str, Paper] | None = None) -> PaperRef:
    """``arxiv_id`` as a link: the paper's own ``abs_url`` when it is one of ``papers``."""
    if papers and arxiv_id in papers:
        return PaperRef(arxiv_id, title, papers[arxiv_id].abs_url)
    try:
        return PaperRef(arxiv_id, title, abs_url(parse_arxiv_ref(arxiv_id).arxiv_id))
    except InvalidArxivId:
        return PaperRef(arxiv_id, title, None)


def paper_ref(paper: Paper) -> PaperRef:
    return PaperRef(paper.arxiv_id, paper.title, paper.abs_url)


def summary_parts(summary: CategorySummary, labels: Labels, papers: Sequence[Paper] = ()) -> list[SummaryPart]:
    """A category's five-part summary in reading order; impact only when there is any."""
    by_id = {paper.arxiv_id: paper for paper in papers}
    parts: list[SummaryPart] = [
        Bullets(labels.main_themes, tuple(summary.main_themes)),
        Words(labels.keywords, tuple(summary.keywords)),
        Facts(labels.key_facts, tuple((reference(f.arxiv_id, f.title, by_id), f.fact) for f in summary.key_facts)),
    ]
    if summary.impact:
        parts.append(Bullets(labels.impact, tuple(summary.impact)))
    parts.append(Prose(labels.outlook, summary.outlook))
    parts += [Note(note) for note in labels.notes(summary.notes)]
    return parts


@dataclass(frozen=True)
class LineStyle:
    """How a renderer of plain lines (the Markdown file, Discord's embed descriptions) writes each
    part kind; :func:`summary_lines` decides the order and the blank lines between parts."""

    heading: Callable[[str], str]
    bullet: Callable[[str], str]
    words: Callable[[Sequence[str]], str]
    fact: Callable[[PaperRef, str], str]
    prose: Callable[[str], str]
    note: Callable[[str], str]


def summary_lines(parts: Sequence[SummaryPart], style: LineStyle) -> list[str]:
    """``parts`` as lines: each titled part after a blank line, notes right below what they annotate."""
    lines: list[str] = []
    for part in parts:
        gap = [""] if lines else []
        match part:
            case Bullets(label=label, items=items):
                lines += [*gap, style.heading(label), *map(style.bullet, items)]
            case Words(label=label, items=items):
                lines += [*gap, style.heading(label), style.words(items)]
            case Facts(label=label, facts=facts):
                lines += [*gap, style.heading(label), *(style.fact(ref, fact) for ref, fact in facts)]
            case Prose(label=label, text=text):
                lines += [*gap, style.heading(label), style.prose(text)]
            case Note(text=text):
                lines.append(style.note(text))
    return lines


def card_lines(card: PaperCard, style: LineStyle) -> list[str]:
    """A paper card's summary as lines: the TL;DR after its label, the key points as bullets,
    the keywords on one labelled line."""
    lines: list[str] = []
    for part in card.parts:
        match part:
            case Prose(label=label, text=text):
                lines += [f"{style.heading(label)} {style.prose(text)}", ""]
            case Bullets(items=items):
                lines += map(style.bullet, items)
            case Words(label=label, items=items):
                lines += ["", f"{label}: {style.words(items)}"]
    return lines


def produced_by(backend: Backend, labels: Labels) -> str:
    return labels.llm if backend is Backend.LLM else labels.extractive


@dataclass(frozen=True)
class PaperCard:
    """One paper with its summary (``/digest paper``, ``digestbot paper``)."""

    paper: PaperRef
    pdf_url: str
    authors: str
    categories: tuple[str, ...]
    parts: tuple[SummaryPart, ...]
    produced_by: str


def paper_card(paper: Paper, summary: PaperSummary, language: str) -> PaperCard:
    labels = labels_for(language)
    authors = ", ".join(paper.authors[:AUTHORS_SHOWN]) + (" et al." if len(paper.authors) > AUTHORS_SHOWN else "")
    parts: list[SummaryPart] = [Prose(labels.tldr, summary.tldr)]
    if summary.key_points:
        parts.append(Bullets(labels.key_points, tuple(summary.key_points)))
    if summary.keywords:
        parts.append(Words(labels.paper_keywords, tuple(summary.keywords)))
    return PaperCard(
        paper=paper_ref(paper),
        pdf_url=paper.pdf_url,
        authors=authors,
        categories=paper.arxiv_categories,
        parts=tuple(parts),
        produced_by=produced_by(summary.backend, labels),
    )
