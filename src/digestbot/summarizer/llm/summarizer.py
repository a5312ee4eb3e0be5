"""The LLM summarizer: the seed's five-part section per category, and one paper's summary.

A category whose papers fit in one request (``chunk_tokens`` of prompt) is summarized in one
call. A larger one is map-reduced, never truncated: its papers are split into about equal
parts, each part yields notes (themes, keywords, key facts by id), and one more call writes the
section from all the notes. Every result passes the grounding check. Any failure (invalid
output twice, server down, budget spent) gives that category the extractive summary, with a
note saying why; the other categories are unaffected.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from digestbot.summarizer.backends import CategoryBatch, Summarizer
from digestbot.summarizer.llm.gateway import BudgetExceeded, LlmError, LlmGateway
from digestbot.summarizer.llm.grounding import GroundingReport, Slot, ground
from digestbot.summarizer.llm.prompts import (
    category_prompt,
    chunk_prompt,
    estimate_tokens,
    paper_block,
    paper_prompt,
    reduce_prompt,
    rewrite_prompt,
)
from digestbot.summarizer.llm.schemas import (
    CategoryDigest,
    CategoryReduce,
    ChunkNotes,
    Fact,
    PaperDigest,
    SentenceRewrites,
)
from digestbot.summarizer.models import Backend, Category, CategorySummary, KeyFact, Note, Paper, PaperSummary
from digestbot.summarizer.offline.summarizer import ExtractiveSummarizer

log = logging.getLogger(__name__)

STAGE = "summarize"
DEFAULT_CHUNK_TOKENS = 48_000
KEY_FACTS = 12
FACTS_PER_CHUNK = 6


class LlmSummarizer:
    backend = Backend.LLM

    def __init__(
        self,
        gateway: LlmGateway,
        *,
        fallback: Summarizer | None = None,
        chunk_tokens: int = DEFAULT_CHUNK_TOKENS,
        key_facts: int = KEY_FACTS,
    ) -> None:
        self.gateway = gateway
        self.fallback = fallback or ExtractiveSummarizer()
        self.chunk_tokens = chunk_tokens
        self.key_facts = key_facts

    def chunks(self, papers: Sequence[Paper]) -> list[Sequence[Paper]]:
        """One part when the papers fit in a request, else about equal parts that each fit."""
        sizes = [estimate_tokens(paper_block(p)) for p in papers]
        parts = max(1, -(-sum(sizes) // self.chunk_tokens))
        if parts == 1:
            return [papers]
        target = sum(sizes) / parts
        chunks: list[Sequence[Paper]] = []
        start, filled = 0, 0
        for index, size in enumerate(sizes):
            if filled and (filled + size > self.chunk_tokens or filled >= target):
                chunks.append(papers[start:index])
                start, filled = index, 0
            filled += size
        chunks.append(papers[start:])
        return chunks

    async def summarize_category(self, batch: CategoryBatch) -> CategorySummary:
        category, papers, language = batch.category, batch.papers, batch.language
        try:
            draft = await self._draft(category, papers, language=language)
            summary = await self._grounded(draft, papers, language=language)
        except LlmError as error:
            log.warning("summarizer: %s falls back to the extractive summary (%s)", category.slug, error)
            offline = await self.fallback.summarize_category(batch)
            reason = (
                Note(key="llm.budget")
                if isinstance(error, BudgetExceeded)
                else Note(key="llm.failed", values={"reason": str(error)})
            )
            return offline.model_copy(update={"notes": [reason, *offline.notes]})
        return summary

    async def _draft(self, category: Category, papers: Sequence[Paper], *, language: str) -> CategoryDigest:
        chunks = self.chunks(papers)
        if len(chunks) == 1:
            await _after_map_steps()
            prompt = category_prompt(category, papers, language=language, facts=self.key_facts)
            return await self.gateway.complete(prompt, CategoryDigest, stage=STAGE)
        log.info("summarizer: %s has %d papers; map-reduce over %d parts", category.slug, len(papers), len(chunks))
        notes = await asyncio.gather(
            *(
                self.gateway.complete(
                    chunk_prompt(category, chunk, language=language, facts=FACTS_PER_CHUNK), ChunkNotes, stage=STAGE
                )
                for chunk in chunks
            )
        )
        prompt = reduce_prompt(category, notes, language=language, facts=self.key_facts, paper_count=len(papers))
        merged = await self.gateway.complete(prompt, CategoryReduce, stage=STAGE)
        facts = {fact.id: fact for part in notes for fact in part.key_facts}
        chosen = [facts[i] for i in dict.fromkeys(merged.key_fact_ids) if i in facts] or list(facts.values())
        return CategoryDigest(
            main_themes=merged.main_themes,
            keywords=merged.keywords,
            key_facts=chosen,
            impact=merged.impact,
            outlook=merged.outlook,
        )

    async def _grounded(self, draft: CategoryDigest, papers: Sequence[Paper], *, language: str) -> CategorySummary:
        """The draft as a summary: facts tied to known papers, every sentence grounded, notes added."""
        by_id = {p.arxiv_id: p for p in papers}
        facts = _known_facts(draft.key_facts, by_id)[: self.key_facts]
        everything = tuple(papers)
        slots = [
            *(Slot(text, everything) for text in draft.main_themes),
            *(Slot(fact.fact, (by_id[fact.id],)) for fact in facts),
            *(Slot(text, everything) for text in draft.impact),
            Slot(draft.outlook, everything),
        ]
        texts, report = await ground(slots, rewrite=self._rewrite)
        themes, rest = texts[: len(draft.main_themes)], texts[len(draft.main_themes) :]
        fact_texts, rest = rest[: len(facts)], rest[len(facts) :]
        impact, outlook = rest[:-1], rest[-1]
        key_facts = [
            KeyFact(arxiv_id=fact.id, title=by_id[fact.id].title, fact=text)
            for fact, text in zip(facts, fact_texts, strict=True)
            if text
        ]
        if not key_facts:
            raise LlmError("no grounded key fact was left")
        return CategorySummary(
            main_themes=[t for t in themes if t],
            keywords=[" ".join(k.split()) for k in draft.keywords if k.strip()],
            key_facts=key_facts,
            impact=[t for t in impact if t],
            outlook=outlook,
            backend=Backend.LLM,
            notes=_notes(report, shown=len(key_facts), total=len(papers)),
        )

    async def _rewrite(self, sentences: list[str], sources: list[Paper]) -> list[str]:
        reply = await self.gateway.complete(rewrite_prompt(sentences, sources), SentenceRewrites, stage=STAGE)
        texts = {item.index: item.text for item in reply.sentences}
        return [texts.get(index, "") for index in range(len(sentences))]

    async def summarize_paper(self, paper: Paper, *, language: str) -> PaperSummary:
        try:
            draft = await self.gateway.complete(paper_prompt(paper, language=language), PaperDigest, stage=STAGE)
            slots = [Slot(draft.tldr, (paper,)), *(Slot(point, (paper,)) for point in draft.key_points)]
            texts, _ = await ground(slots, rewrite=self._rewrite)
            if not texts[0]:
                raise LlmError("the summary's main sentence was not grounded")
        except LlmError as error:
            log.warning("summarizer: paper %s falls back to the extractive summary (%s)", paper.arxiv_id, error)
            return await self.fallback.summarize_paper(paper, language=language)
        return PaperSummary(
            arxiv_id=paper.arxiv_id,
            title=paper.title,
            tldr=texts[0],
            key_points=[t for t in texts[1:] if t],
            keywords=[" ".join(k.split()) for k in draft.keywords if k.strip()],
            backend=Backend.LLM,
        )


async def _after_map_steps() -> None:
    """Let map steps queue for the gateway's concurrency slots before one-call categories do.

    Categories are summarized concurrently; a map-reduced one needs two rounds of calls (parts,
    then the merge), a small one a single call. Starting the parts first keeps the merge off the
    critical path: the small categories' calls fill the slots the parts leave free. The map
    steps are tasks created one event-loop turn after their category starts, hence two turns.
    """
    for _ in range(2):
        await asyncio.sleep(0)


def _known_facts(facts: Sequence[Fact], by_id: dict[str, Paper]) -> list[Fact]:
    """One fact per paper of this category; facts about unknown ids cannot be attributed."""
    seen: dict[str, Fact] = {}
    for fact in facts:
        if fact.id in by_id and fact.id not in seen and fact.fact.strip():
            seen[fact.id] = fact
    return list(seen.values())


def _notes(report: GroundingReport, *, shown: int, total: int) -> list[Note | str]:
    notes: list[Note | str] = []
    if shown < total:
        notes.append(Note(key="llm.more", values={"shown": shown, "total": total}))
    if report.changed:
        notes.append(Note(key="llm.grounding", values={"rewritten": report.rewritten, "dropped": report.dropped}))
    return notes
