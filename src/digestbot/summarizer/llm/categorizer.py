"""The LLM categorizer: batches of papers in, one category per paper out, never a paper lost.

Each call carries a batch (25 by default, at least 20 recommended: the fixed instructions and
the taxonomy are paid once per call, so larger batches are cheaper) of id + title + abstract
snippet, and must return every id exactly once with a known slug. Whatever comes back wrong —
a missing, repeated or unknown id, an unknown slug, a malformed item — is asked again once, in a
smaller call with just those papers; what is still unresolved, and whole batches whose call
failed (invalid JSON twice, server down, budget spent), go to the offline categorizer. The
reason of such an assignment says so.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Sequence

from digestbot.summarizer.backends import Categorizer
from digestbot.summarizer.llm.gateway import BudgetExceeded, LlmError, LlmGateway
from digestbot.summarizer.llm.grounding import allowed_numbers, number_key, paper_texts
from digestbot.summarizer.llm.notes import OFFLINE_FALLBACK
from digestbot.summarizer.llm.prompts import Prompt, categorize_prompt
from digestbot.summarizer.llm.schemas import CategorizationBatch, strict_json_schema
from digestbot.summarizer.models import CategoryAssignment, Paper
from digestbot.summarizer.offline.categorizer import OfflineCategorizer
from digestbot.summarizer.taxonomy import Taxonomy
from digestbot.summarizer.text import numbers_in

log = logging.getLogger(__name__)

STAGE = "categorize"
DEFAULT_BATCH_SIZE = 25
SNIPPET_CHARS = 600
PROGRESS_STEP = 200


class LlmCategorizer:
    def __init__(
        self,
        gateway: LlmGateway,
        taxonomy: Taxonomy,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        snippet_chars: int = SNIPPET_CHARS,
        fallback: Categorizer | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.gateway = gateway
        self.taxonomy = taxonomy
        self.batch_size = max(1, batch_size)
        self.snippet_chars = snippet_chars
        self.fallback = fallback or OfflineCategorizer(taxonomy)
        self._progress = progress
        self._schema = _schema_for(taxonomy)

    def batches(self, papers: Sequence[Paper]) -> list[Sequence[Paper]]:
        """Deterministic batches (input order), so a rebuilt day hits the cache call for call."""
        return [papers[i : i + self.batch_size] for i in range(0, len(papers), self.batch_size)]

    def prompt(self, papers: Sequence[Paper], *, language: str = "en") -> Prompt:
        return categorize_prompt(self.taxonomy, papers, snippet_chars=self.snippet_chars, language=language)

    async def categorize(self, papers: Sequence[Paper], *, language: str = "en") -> list[CategoryAssignment]:
        """Exactly one assignment per paper, in input order; the same call rates each paper's
        notability and writes its TL;DR in ``language``, so ranking costs no extra call."""
        done = 0

        async def run(batch: Sequence[Paper]) -> dict[str, CategoryAssignment]:
            nonlocal done
            result = await self._batch(batch, language)
            done += len(batch)
            if self._progress and (done == len(papers) or done // PROGRESS_STEP > (done - len(batch)) // PROGRESS_STEP):
                self._progress(f"  categorized {done}/{len(papers)} papers")
            return result

        results = await asyncio.gather(*(run(batch) for batch in self.batches(papers)))
        by_id = {arxiv_id: a for result in results for arxiv_id, a in result.items()}
        return [by_id[paper.arxiv_id] for paper in papers]

    async def _batch(self, papers: Sequence[Paper], language: str) -> dict[str, CategoryAssignment]:
        resolved, failure = await self._ask(papers, language)
        missing = [p for p in papers if p.arxiv_id not in resolved]
        if missing and failure is None:
            log.info("categorizer: %d of %d papers unresolved; asking again for just those", len(missing), len(papers))
            retried, failure = await self._ask(missing, language)
            resolved.update(retried)
            missing = [p for p in missing if p.arxiv_id not in resolved]
        if missing:
            why = failure or "the model's answer left them out twice"
            log.warning("categorizer: %d papers go to the offline categorizer (%s)", len(missing), why)
            for assignment in await self.fallback.categorize(missing):
                resolved[assignment.arxiv_id] = assignment.model_copy(
                    update={"reason": f"{OFFLINE_FALLBACK} ({why}): {assignment.reason}", "fallback": True}
                )
        return resolved

    async def _ask(self, papers: Sequence[Paper], language: str) -> tuple[dict[str, CategoryAssignment], str | None]:
        """The valid assignments of one call, and why the call failed (``None`` if it did not)."""
        try:
            prompt = self.prompt(papers, language=language)
            reply = await self.gateway.complete(prompt, CategorizationBatch, stage=STAGE, schema=self._schema)
        except BudgetExceeded:
            return {}, "daily LLM budget spent"
        except LlmError as error:
            return {}, str(error)
        wanted = {p.arxiv_id: p for p in papers}
        counts = Counter(item.id for item in reply.items)
        slugs = set(self.taxonomy.slugs)
        valid = [i for i in reply.items if i.id in wanted and counts[i.id] == 1 and i.slug in slugs]
        assignments = [
            CategoryAssignment(
                arxiv_id=i.id,
                slug=i.slug,
                score=float(i.relevance),
                reason=i.reason,
                notability=i.notability,
                tldr=_grounded(i.tldr, wanted[i.id]),
            )
            for i in valid
        ]
        return {a.arxiv_id: a for a in assignments}, None


def _grounded(tldr: str, paper: Paper) -> str:
    """The TL;DR if every number it quotes is in the paper's title or abstract, else nothing: a
    rewrite would cost a call the budget has no room for, and the reader still gets the paper."""
    allowed = allowed_numbers(paper_texts([paper]))
    return tldr if all(number_key(n) in allowed for n in numbers_in(tldr)) else ""


def _schema_for(taxonomy: Taxonomy) -> dict[str, object]:
    """The batch schema with the slug limited to this taxonomy's slugs (an enum the server enforces)."""
    schema = strict_json_schema(CategorizationBatch)
    schema["$defs"]["PaperCategory"]["properties"]["slug"]["enum"] = list(taxonomy.slugs)
    return schema
