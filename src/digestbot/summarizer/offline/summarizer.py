"""The extractive back end: five-part summaries made only of the abstracts' own sentences.

It needs no key and no network, so a fresh clone produces a real digest. Every sentence it
shows is quoted verbatim from one paper's abstract (whitespace aside) and attributed to that
paper; the only words it composes itself are the short framing lines in ``phrasing``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

from digestbot.summarizer.cpu import run_cpu_bound
from digestbot.summarizer.models import Backend, Category, CategorySummary, KeyFact, Paper, PaperSummary
from digestbot.summarizer.offline import phrasing
from digestbot.summarizer.text import (
    PhraseStats,
    numbers_in,
    shorten_quote,
    split_sentences,
)

# Cues that a sentence reports the paper's contribution or its outcome.
_CONTRIBUTION = re.compile(r"\b(we (propose|present|introduce|develop|design)|this paper|this work)\b", re.I)
_RESULT = re.compile(
    r"\b(achiev|outperform|improv|reduc|surpass|speed|accuracy|gain|faster|state-of-the-art|sota)\w*", re.I
)
_IMPACT = re.compile(
    r"\b(enabl|practical|real-world|deploy|implication|pav(e|es|ing) the way|broad|future|"
    r"applicab|scalab|accessible|safer|impact)\w*",
    re.I,
)
KEY_FACTS_PER_CATEGORY = 12
THEMES_PER_CATEGORY = 4
KEYWORDS_PER_CATEGORY = 8
IMPACT_SENTENCES = 3
SMALL_CATEGORY = 3


def _document(paper: Paper) -> str:
    return f"{paper.title}. {paper.abstract}"


def _salience(sentence: str, position: int) -> float:
    """How much a sentence says about results: numbers and result verbs beat background."""
    score = 2.0 * len(numbers_in(sentence)) + (3.0 if _RESULT.search(sentence) else 0.0)
    score += 2.0 if _CONTRIBUTION.search(sentence) else 0.0
    return score - 0.1 * position


def key_sentence(paper: Paper) -> str:
    """The abstract's most informative sentence, quoted (shortened visibly if it runs on)."""
    sentences = split_sentences(paper.abstract) or [paper.title]
    best = max(enumerate(sentences), key=lambda item: _salience(item[1], item[0]))[1]
    return shorten_quote(best)


def contribution_sentence(paper: Paper) -> str:
    """What the paper says it does: its "we propose" sentence, else its first sentence."""
    sentences = split_sentences(paper.abstract) or [paper.title]
    chosen = next((s for s in sentences if _CONTRIBUTION.search(s)), sentences[0])
    return shorten_quote(chosen)


class ExtractiveSummarizer:
    """Fills every part of :class:`CategorySummary` from abstracts alone."""

    backend = Backend.OFFLINE

    def __init__(self) -> None:
        self._day_stats: dict[tuple[str, ...], PhraseStats] = {}
        self._stats_lock = threading.Lock()

    async def summarize_category(
        self,
        category: Category,
        papers: Sequence[Paper],
        *,
        language: str,
        day_papers: Sequence[Paper],
    ) -> CategorySummary:
        """Runs in a worker thread: it is CPU work, and the chat adapters share the event loop."""
        return await run_cpu_bound(self._summarize_category, category, papers, language, day_papers)

    def _stats_for(self, day_papers: Sequence[Paper]) -> PhraseStats:
        """Phrase statistics of the whole day, computed once and shared by its categories."""
        key = tuple(p.arxiv_id for p in day_papers)
        with self._stats_lock:  # categories are summarized in parallel threads
            if key not in self._day_stats:
                self._day_stats = {key: PhraseStats(_document(p) for p in day_papers)}
            return self._day_stats[key]

    def _summarize_category(
        self, category: Category, papers: Sequence[Paper], language: str, day_papers: Sequence[Paper]
    ) -> CategorySummary:
        stats = self._stats_for(day_papers)
        documents = [_document(p) for p in papers]
        keywords = stats.top_phrases(documents, limit=KEYWORDS_PER_CATEGORY, min_documents=min(2, len(papers)))
        themes = _themes(keywords, papers, language)
        ranked = sorted(papers, key=lambda p: -_salience(key_sentence(p), 0))
        shown = ranked[:KEY_FACTS_PER_CATEGORY]
        key_facts = [KeyFact(arxiv_id=p.arxiv_id, title=p.title, fact=key_sentence(p)) for p in shown]
        notes = [phrasing.extractive_note(language)]
        if len(papers) > len(shown):
            notes.append(phrasing.more_papers_note(len(shown), len(papers), language))
        return CategorySummary(
            main_themes=themes,
            keywords=keywords,
            key_facts=key_facts,
            impact=_impact_lines(papers, exclude={f.fact for f in key_facts}),
            outlook=phrasing.outlook(category.name, len(papers), keywords[:3], language),
            backend=self.backend,
            notes=notes,
        )

    async def summarize_paper(self, paper: Paper, *, language: str) -> PaperSummary:
        sentences = split_sentences(paper.abstract)
        tldr = contribution_sentence(paper)
        ranked = sorted(
            (s for s in sentences if shorten_quote(s) != tldr),
            key=lambda s: -_salience(s, sentences.index(s)),
        )
        stats = PhraseStats([_document(paper)])
        return PaperSummary(
            arxiv_id=paper.arxiv_id,
            title=paper.title,
            tldr=tldr,
            key_points=[shorten_quote(s) for s in ranked[:3]],
            keywords=stats.top_phrases([_document(paper)], limit=6),
            backend=self.backend,
        )


def _themes(keywords: Sequence[str], papers: Sequence[Paper], language: str) -> list[str]:
    """A few papers are their own themes (quoted contributions, as the seed does for small
    categories); larger categories are described by their distinctive phrases with examples."""
    if len(papers) <= SMALL_CATEGORY:
        return [f"{p.title}: {contribution_sentence(p)}" for p in papers]
    themes = []
    for phrase in keywords[:THEMES_PER_CATEGORY]:
        needle = phrase.lower()
        mentioning = [p for p in papers if needle in _document(p).lower()]
        examples = [p.title for p in mentioning[:2]]
        themes.append(phrasing.theme_line(phrase, len(mentioning), examples, language))
    return themes


def _impact_lines(papers: Sequence[Paper], *, exclude: set[str]) -> list[str]:
    """Sentences where authors state consequences, one per paper, from different papers."""
    candidates: list[tuple[int, str]] = []
    for paper in papers:
        sentences = split_sentences(paper.abstract)
        for sentence in reversed(sentences):  # implications usually close an abstract
            quote = shorten_quote(sentence)
            if _IMPACT.search(sentence) and quote not in exclude:
                candidates.append((len(_IMPACT.findall(sentence)), f"{quote} [{paper.arxiv_id}]"))
                break
    candidates.sort(key=lambda item: -item[0])
    return [line for _, line in candidates[:IMPACT_SENTENCES]]
