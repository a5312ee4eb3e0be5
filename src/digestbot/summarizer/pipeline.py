"""Listing in, digest out: categorize every paper, then summarize every non-empty category."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence

from digestbot.summarizer.backends import Categorizer, CategoryBatch, Summarizer
from digestbot.summarizer.build_cache import clear_build_caches
from digestbot.summarizer.cpu import run_cpu_bound
from digestbot.summarizer.llm.notes import categorized_offline_note
from digestbot.summarizer.models import Backend, CategoryAssignment, CategorySection, Digest, Paper
from digestbot.summarizer.offline.tldr import tldrs
from digestbot.summarizer.ranking import RecentPaper, rank_papers
from digestbot.summarizer.sources.base import Listing
from digestbot.summarizer.taxonomy import Taxonomy

Progress = Callable[[str], None]


class PipelineError(RuntimeError):
    """The pipeline broke its own promise (a paper lost); a bug, never a user error."""


def _silent(_: str) -> None:
    return None


def group_by_category(
    papers: Sequence[Paper], assignments: Sequence[CategoryAssignment], taxonomy: Taxonomy
) -> dict[str, list[Paper]]:
    """Papers per slug in taxonomy order; an unknown slug goes to the fallback, never away."""
    by_id = {a.arxiv_id: a for a in assignments}
    missing = [p.arxiv_id for p in papers if p.arxiv_id not in by_id]
    if missing:
        raise PipelineError(f"categorizer returned no category for {len(missing)} papers: {missing[:5]}")
    groups: dict[str, list[Paper]] = {slug: [] for slug in taxonomy.slugs}
    for paper in papers:
        slug = by_id[paper.arxiv_id].slug
        groups[slug if slug in groups else taxonomy.fallback_slug].append(paper)
    return groups


async def build_digest(
    listing: Listing,
    *,
    taxonomy: Taxonomy,
    categorizer: Categorizer,
    summarizer: Summarizer,
    language: str,
    only: Sequence[str] | None = None,
    recent: Iterable[RecentPaper] = (),
    progress: Progress = _silent,
) -> Digest:
    """Build one day's digest; ``only`` restricts it to some category slugs (a channel filter);
    ``recent`` is the papers of the last weeks' digests, so that near-duplicates rank lower."""
    try:
        papers = listing.papers
        progress(f"Categorizing {len(papers)} papers…")
        assignments = await categorizer.categorize(papers, language=language)
        groups = group_by_category(papers, assignments, taxonomy)
        wanted = [slug for slug in taxonomy.slugs if groups[slug] and (only is None or slug in only)]
        progress(f"Summarizing {len(wanted)} categories…")

        async def summarize(slug: str) -> CategorySection:
            category = taxonomy.get(slug)
            summary = await summarizer.summarize_category(CategoryBatch(category, groups[slug], papers, language))
            count = len(groups[slug])
            progress(f"  {category.name}: {count} paper{'s' if count != 1 else ''}")
            return CategorySection(category=category, papers=groups[slug], summary=summary)

        sections = await asyncio.gather(*(summarize(slug) for slug in wanted))
        ranks = await run_cpu_bound(rank_papers, papers, assignments=assignments, recent=recent)
        # A digest whose every section fell back to the offline back end must not claim a model wrote it.
        written_by_model = any(s.summary.backend is Backend.LLM for s in sections)
        return Digest(
            date=listing.date,
            language=language,
            sections=list(sections),
            backend=Backend.LLM if written_by_model else Backend.OFFLINE,
            source=listing.source,
            notes=[*listing.notes, *categorized_offline_note(assignments)],
            assignments=list(assignments),
            tldrs=every_tldr(sections, assignments),
            ranks=ranks,
        )
    finally:
        clear_build_caches()  # memos of this day's abstracts; see build_cache


def every_tldr(sections: Sequence[CategorySection], assignments: Sequence[CategoryAssignment]) -> dict[str, str]:
    """A TL;DR for every paper of the digest: the model's where the categorize call wrote one,
    else the offline back end's (one sentence quoted from the abstract), never none."""
    written = {a.arxiv_id: a.tldr for a in assignments if a.tldr}
    missing = [paper for section in sections for paper in section.papers if paper.arxiv_id not in written]
    return {**tldrs(missing), **written}
