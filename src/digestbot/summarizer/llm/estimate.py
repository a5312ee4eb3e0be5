"""What a digest build would spend, without spending it (``digestbot digest --dry-run``).

Prompt tokens are counted on the exact prompts the build would send (at about four characters
per token); requests already in the cache count as free. Two things cannot be known before the
model has answered, so they are estimated: the categories (the cached answers where there are
some, else the offline categorizer's guess) and the reply lengths (typical sizes per task, below).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from digestbot.summarizer.llm.categorizer import STAGE as CATEGORIZE
from digestbot.summarizer.llm.categorizer import LlmCategorizer
from digestbot.summarizer.llm.prompts import Prompt, category_prompt, chunk_prompt, estimate_tokens
from digestbot.summarizer.llm.schemas import CategorizationBatch, CategoryDigest, ChunkNotes
from digestbot.summarizer.llm.summarizer import FACTS_PER_CHUNK, LlmSummarizer
from digestbot.summarizer.llm.summarizer import STAGE as SUMMARIZE
from digestbot.summarizer.models import CategoryAssignment, Paper
from digestbot.summarizer.offline.categorizer import OfflineCategorizer
from digestbot.summarizer.pipeline import group_by_category
from digestbot.summarizer.taxonomy import Taxonomy

# slug, relevance, reason (~35 tokens), notability and a one-sentence TL;DR (~45 tokens).
REPLY_TOKENS_PER_CATEGORIZED_PAPER = 80
REPLY_TOKENS_PER_SECTION = 900
REPLY_TOKENS_PER_NOTES = 450
REDUCE_INSTRUCTION_TOKENS = 900


@dataclass(frozen=True)
class Estimate:
    calls: int = 0
    cached_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: Estimate) -> Estimate:
        return Estimate(
            calls=self.calls + other.calls,
            cached_calls=self.cached_calls + other.cached_calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
        )

    def describe(self) -> str:
        return (
            f"{self.calls} model calls ({self.cached_calls} more answered from the cache), "
            f"about {self.prompt_tokens:,} prompt + {self.completion_tokens:,} completion tokens, "
            f"about ${self.cost_usd:.4f}"
        )


def estimate_digest(
    papers: Sequence[Paper],
    *,
    taxonomy: Taxonomy,
    categorizer: LlmCategorizer,
    summarizer: LlmSummarizer,
    language: str,
) -> Estimate:
    total = Estimate()
    for batch in categorizer.batches(papers):
        reply = REPLY_TOKENS_PER_CATEGORIZED_PAPER * len(batch)
        prompt = categorizer.prompt(batch, language=language)
        total += _call(categorizer, prompt, CategorizationBatch, CATEGORIZE, reply)
    groups = group_by_category(papers, _likely_categories(papers, taxonomy, categorizer, language), taxonomy)
    for slug, group in groups.items():
        if not group:
            continue
        category = taxonomy.get(slug)
        chunks = summarizer.chunks(group)
        if len(chunks) == 1:
            prompt = category_prompt(category, group, language=language, facts=summarizer.key_facts)
            total += _call(summarizer, prompt, CategoryDigest, SUMMARIZE, REPLY_TOKENS_PER_SECTION)
            continue
        parts = Estimate()
        for chunk in chunks:
            prompt = chunk_prompt(category, chunk, language=language, facts=FACTS_PER_CHUNK)
            parts += _call(summarizer, prompt, ChunkNotes, SUMMARIZE, REPLY_TOKENS_PER_NOTES)
        reduce_tokens = REDUCE_INSTRUCTION_TOKENS + REPLY_TOKENS_PER_NOTES * len(chunks)
        if parts.calls:  # the reduce step is cached only if every part was
            parts += _priced(summarizer, reduce_tokens, REPLY_TOKENS_PER_SECTION)
        total += parts
    return total


def _likely_categories(
    papers: Sequence[Paper], taxonomy: Taxonomy, categorizer: LlmCategorizer, language: str
) -> list[CategoryAssignment]:
    known: dict[str, str] = {}
    for batch in categorizer.batches(papers):
        prompt = categorizer.prompt(batch, language=language)
        reply = categorizer.gateway.peek(prompt, CategorizationBatch, stage=CATEGORIZE)
        known.update({item.id: item.slug for item in reply.items if item.slug in taxonomy.slugs} if reply else {})
    offline = OfflineCategorizer(taxonomy)
    return [
        CategoryAssignment(arxiv_id=p.arxiv_id, slug=known[p.arxiv_id]) if p.arxiv_id in known else offline.assign(p)
        for p in papers
    ]


def _call(
    owner: LlmCategorizer | LlmSummarizer, prompt: Prompt, output: type[BaseModel], stage: str, reply_tokens: int
) -> Estimate:
    if owner.gateway.peek(prompt, output, stage=stage) is not None:
        return Estimate(cached_calls=1)
    return _priced(owner, estimate_tokens(prompt.system) + estimate_tokens(prompt.user), reply_tokens, stage=stage)


def _priced(
    owner: LlmCategorizer | LlmSummarizer, prompt_tokens: int, reply_tokens: int, *, stage: str = SUMMARIZE
) -> Estimate:
    gateway = owner.gateway
    cost = gateway.config.prices.cost(
        gateway.model_for(stage), prompt_tokens=prompt_tokens, cached_tokens=0, completion_tokens=reply_tokens
    )
    return Estimate(calls=1, prompt_tokens=prompt_tokens, completion_tokens=reply_tokens, cost_usd=cost)
