"""The extractive back end: five-part summaries made only of the abstracts' own sentences.

It needs no key and no network, so a fresh clone produces a real digest. Every sentence it
shows is one paper's own sentence, attributed to that paper, chosen by its role (``roles``):
TeX rendered, a dangling "Second," or a "Results:" label removed, nothing else changed. The
only words it composes itself are the short framing lines in ``phrasing``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from itertools import zip_longest

from digestbot.summarizer.backends import CategoryBatch
from digestbot.summarizer.cpu import run_cpu_bound
from digestbot.summarizer.models import Backend, Category, CategorySummary, KeyFact, Note, Paper, PaperSummary
from digestbot.summarizer.offline import phrasing
from digestbot.summarizer.offline.keyphrases import DayPhrases, paper_keywords, trivial_stems
from digestbot.summarizer.offline.roles import Role, abstract_sentences
from digestbot.summarizer.offline.themes import Themes, pick_themes
from digestbot.summarizer.offline.tldr import contribution, key_fact, result_score, tldr
from digestbot.summarizer.text import shorten_quote

KEY_FACTS_PER_CATEGORY = 12
KEYWORDS_PER_CATEGORY = 8
IMPACT_SENTENCES = 3
SMALL_CATEGORY = 3


def abstract_text(paper: Paper) -> str:
    """The abstract as quoted: cleaned sentences, labels and dangling connectives removed."""
    return " ".join(s.text for s in abstract_sentences(paper.abstract))


def document(paper: Paper) -> str:
    """A paper as the key-phrase statistics read it: title and cleaned abstract."""
    return f"{paper.title}. {abstract_text(paper)}"


def key_sentence(paper: Paper) -> str:
    """The abstract's headline result, quoted (shortened visibly if it runs on)."""
    fact = key_fact(paper)
    return shorten_quote(fact.text) if fact else paper.title


def contribution_sentence(paper: Paper) -> str:
    """What the paper says it does: its "we propose" sentence, else its first method sentence."""
    return shorten_quote(contribution(paper))


class ExtractiveSummarizer:
    """Fills every part of :class:`CategorySummary` from abstracts alone."""

    backend = Backend.OFFLINE

    def __init__(self) -> None:
        self._day_stats: dict[tuple[str, ...], DayPhrases] = {}
        self._stats_lock = threading.Lock()

    async def summarize_category(self, batch: CategoryBatch) -> CategorySummary:
        """Runs in a worker thread: it is CPU work, and the chat adapters share the event loop."""
        return await run_cpu_bound(self._summarize_category, batch)

    def _stats_for(self, day_papers: Sequence[Paper]) -> DayPhrases:
        """Phrase statistics of the whole day, computed once and shared by its categories."""
        key = tuple(p.arxiv_id for p in day_papers)
        with self._stats_lock:  # categories are summarized in parallel threads
            if key not in self._day_stats:
                self._day_stats = {key: DayPhrases(document(p) for p in day_papers)}
            return self._day_stats[key]

    def _summarize_category(self, batch: CategoryBatch) -> CategorySummary:
        category, papers, language = batch.category, batch.papers, batch.language
        ranked = self._stats_for(batch.day_papers).rank(
            [(p.arxiv_id, document(p)) for p in papers],
            trivial=trivial_stems(category),
            min_papers=min(2, len(papers)),
        )
        chosen = pick_themes(ranked, papers, keywords=KEYWORDS_PER_CATEGORY, language=language)
        small = len(papers) <= SMALL_CATEGORY
        shown = sorted(papers, key=_fact_strength, reverse=True)[:KEY_FACTS_PER_CATEGORY]
        key_facts = [KeyFact(arxiv_id=p.arxiv_id, title=p.title, fact=key_sentence(p)) for p in shown]
        notes: list[Note | str] = [Note(key="offline.extractive")]
        if len(papers) > len(shown):
            notes.append(Note(key="offline.more", values={"shown": len(shown), "total": len(papers)}))
        return CategorySummary(
            main_themes=[f"{p.title}: {tldr(p)}" for p in papers] if small else chosen.lines,
            keywords=_small_category_keywords(papers) if small else chosen.keywords,
            key_facts=key_facts,
            impact=_impact_lines(papers, exclude={f.fact for f in key_facts}),
            outlook=_outlook(category, papers, chosen, language),
            backend=self.backend,
            notes=notes,
        )

    async def summarize_paper(self, paper: Paper, *, language: str) -> PaperSummary:
        summary_line = tldr(paper)
        sentences = [s for s in abstract_sentences(paper.abstract) if s.role is not Role.BACKGROUND]
        points = [s for s in sorted(sentences, key=result_score, reverse=True) if s.text != contribution(paper)]
        return PaperSummary(
            arxiv_id=paper.arxiv_id,
            title=paper.title,
            tldr=summary_line,
            key_points=[shorten_quote(s.text) for s in points[:3]],
            keywords=paper_keywords(paper.title, abstract_text(paper), limit=6),
            backend=self.backend,
        )


def _fact_strength(paper: Paper) -> float:
    fact = key_fact(paper)
    return result_score(fact) if fact else float("-inf")


def _small_category_keywords(papers: Sequence[Paper]) -> list[str]:
    """A few papers share too little for day statistics: each paper's own key phrases, in turn.
    (Their themes are the papers themselves, as the seed does for small categories.)"""
    per_paper = [paper_keywords(p.title, abstract_text(p), limit=KEYWORDS_PER_CATEGORY) for p in papers]
    merged = [phrase for group in zip_longest(*per_paper) for phrase in group if phrase]
    return list(dict.fromkeys(merged))[:KEYWORDS_PER_CATEGORY]


def _outlook(category: Category, papers: Sequence[Paper], chosen: Themes, language: str) -> str:
    """The closing line names the largest thread only (themes and keywords are already above)
    and how many papers report measured results, so it adds a fact instead of a list."""
    measured = sum(1 for paper in papers if _reports_numbers(paper))
    return phrasing.outlook(category.name, len(papers), lead=chosen.lead, measured=measured, language=language)


def _reports_numbers(paper: Paper) -> bool:
    return any(s.role is Role.RESULT and s.numbers for s in abstract_sentences(paper.abstract))


def _impact_lines(papers: Sequence[Paper], *, exclude: set[str]) -> list[str]:
    """Implication sentences (what the authors say their work changes), one per paper, from
    different papers, strongest first; background and method sentences never stand in for them."""
    candidates: list[tuple[float, str]] = []
    for paper in papers:
        implications = [
            s
            for s in abstract_sentences(paper.abstract)
            if s.role is Role.IMPLICATION and not s.pointer and shorten_quote(s.text) not in exclude
        ]
        best = max(implications, key=lambda s: s.cues + 0.1 * s.position - 0.5 * s.numbers, default=None)
        if best:
            strength = best.cues + 0.1 * best.position - 0.5 * best.numbers
            candidates.append((strength, f"{shorten_quote(best.text)} [{paper.arxiv_id}]"))
    candidates.sort(key=lambda item: -item[0])
    return [line for _, line in candidates[:IMPACT_SENTENCES]]
