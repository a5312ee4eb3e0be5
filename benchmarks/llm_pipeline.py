"""The LLM pipeline at scale against the fake OpenAI server at 500 ms per call.

Run as ``.venv/bin/python benchmarks/llm_pipeline.py``. It builds a 1,000-paper digest (the
fixture day's 532 papers, repeated under new ids) through the real ``openai`` client with the
default settings, and prints, against the targets of issue 4:

* model calls vs the budget 1000/20 + 8 + 1 (retries on top);
* wall time vs the floor the configured concurrency implies (every call takes the latency; the
  categorize phase must finish before summaries start, and a map-reduced category needs two
  rounds), target ratio <= 1.3;
* how often each abstract was sent to the categorizer (target: once);
* a rebuild with a warm cache: calls (target 0) and wall time (target <= 3 s);
* a run where 10 % of calls fail with 429 or 500: every paper must still be in the digest.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.openai_server import ChatRequest, FakeOpenAIServer  # noqa: E402

from digestbot.app.factory import make_backends, make_gateway  # noqa: E402
from digestbot.bot.config import Settings, load_settings  # noqa: E402
from digestbot.summarizer.llm.ports import MemoryResponseCache, MemoryUsageLedger  # noqa: E402
from digestbot.summarizer.models import Digest, Paper  # noqa: E402
from digestbot.summarizer.pipeline import build_digest  # noqa: E402
from digestbot.summarizer.sources.base import Listing  # noqa: E402
from digestbot.summarizer.sources.jsonl import read_papers  # noqa: E402
from digestbot.summarizer.taxonomy import load_taxonomy  # noqa: E402

PAPERS = 1000
LATENCY = 0.5
FIXTURE = ROOT / "tests" / "fixtures" / "2026-06-30.jsonl"
DAY = dt.date(2026, 6, 30)


@dataclass
class Run:
    digest: Digest
    seconds: float
    tasks: Counter[str]
    ledger: MemoryUsageLedger


def thousand_papers() -> list[Paper]:
    day = read_papers(FIXTURE)
    copies = [
        paper.model_copy(update={"arxiv_id": f"2607.{number:05d}"})
        for number, paper in enumerate(day[: PAPERS - len(day)], start=1)
    ]
    return [*day, *copies]


async def build(server: FakeOpenAIServer, settings: Settings, papers: list[Paper], cache: MemoryResponseCache) -> Run:
    taxonomy = load_taxonomy()
    ledger = MemoryUsageLedger()
    gateway = make_gateway(settings, cache=cache, ledger=ledger)
    categorizer, summarizer = make_backends(settings, taxonomy, gateway=gateway)
    before = server.tasks()
    started = time.perf_counter()
    digest = await build_digest(
        Listing(date=DAY, papers=papers, source="bench"),
        taxonomy=taxonomy,
        categorizer=categorizer,
        summarizer=summarizer,
        language="en",
    )
    seconds = time.perf_counter() - started
    await gateway.aclose()
    return Run(digest=digest, seconds=seconds, tasks=server.tasks() - before, ledger=ledger)


def floor_seconds(tasks: Counter[str], concurrency: int) -> float:
    """A lower bound: categorize rounds, then summary rounds (two when a category was map-reduced)."""
    categorize = tasks["CategorizationBatch"]
    summaries = sum(n for task, n in tasks.items() if task != "CategorizationBatch")
    rounds = math.ceil(categorize / concurrency) + max(
        math.ceil(summaries / concurrency), 2 if tasks["CategoryReduce"] else 1
    )
    return rounds * LATENCY


def sent_to_categorizer(server: FakeOpenAIServer) -> Counter[str]:
    counts: Counter[str] = Counter()
    for request in server.chat_requests("CategorizationBatch"):
        messages = request.body["messages"]
        parsed = ChatRequest("", "", messages[0]["content"], messages[1]["content"], request.body)
        counts.update(p.arxiv_id for p in parsed.papers)
    return counts


def complete(digest: Digest, papers: list[Paper]) -> bool:
    return sorted(p.arxiv_id for p in digest.papers) == sorted(p.arxiv_id for p in papers)


def usage(run: Run) -> str:
    totals = run.ledger.totals(dt.datetime.now(dt.UTC).date())
    return f"{totals.prompt_tokens:,} prompt + {totals.completion_tokens:,} completion tokens, ${totals.cost_usd:.4f}"


async def main() -> None:
    papers = thousand_papers()
    budget = PAPERS // 20 + 8 + 1
    with FakeOpenAIServer(latency=LATENCY) as server:
        settings = load_settings(openai_base_url=server.url, openai_api_key="sk-bench")
        cache = MemoryResponseCache()
        cold = await build(server, settings, papers, cache)
        calls = sum(cold.tasks.values())
        floor = floor_seconds(cold.tasks, settings.llm_concurrency)
        sent = sent_to_categorizer(server)
        print(
            f"papers: {len(papers)}, categories: {len(cold.digest.sections)}, concurrency: {settings.llm_concurrency}, "
            f"batch: {settings.llm_categorize_batch_size}, latency: {LATENCY * 1000:.0f} ms"
        )
        print(f"calls: {calls} (budget {budget}) — {dict(cold.tasks)}")
        print(f"wall time: {cold.seconds:.2f} s, floor {floor:.2f} s, ratio {cold.seconds / floor:.2f} (target <= 1.3)")
        print(f"abstracts sent to the categorizer: {len(sent)} distinct, times each: {sorted(set(sent.values()))}")
        print(f"all papers present: {complete(cold.digest, papers)}; usage: {usage(cold)}")

        warm = await build(server, settings, papers, cache)
        print(
            f"warm rebuild: {sum(warm.tasks.values())} calls, {warm.seconds:.2f} s (target 0 calls, <= 3 s), "
            f"same digest: {warm.digest == cold.digest}"
        )

    with FakeOpenAIServer(latency=LATENCY, failure_rate=0.1, retry_after=0.5, seed=4) as flaky:
        settings = load_settings(openai_base_url=flaky.url, openai_api_key="sk-bench")
        run = await build(flaky, settings, papers, MemoryResponseCache())
        calls = sum(run.tasks.values())
        offline = sum(a.reason.startswith("offline fallback") for a in run.digest.assignments)
        degraded = sum(s.summary.backend.value == "offline" for s in run.digest.sections)
        print(
            f"10% failing: {calls} calls ({calls - sum(cold.tasks.values())} more than without failures), "
            f"{run.seconds:.2f} s, all papers present: {complete(run.digest, papers)}, "
            f"offline-categorized papers: {offline}, offline sections: {degraded}"
        )


if __name__ == "__main__":
    asyncio.run(main())
