"""Retrieval and answer overhead over 10,000 stored papers; full-text fetching discipline.

Run as ``.venv/bin/python benchmarks/retrieval.py [--papers 10000] [--postgres URL]``.

Targets (issue 8): retrieval p95 ≤ 50 ms over 10,000 stored papers; an answer costs one model
call plus ≤ 100 ms of our own time; each paper's full text is fetched at most once, at most one
request every 3 s. The stored papers are the fixture days' real papers repeated under new ids
(20 digests of 500). "Our own time" is ``ask_in_thread`` with an answerer that returns at once,
i.e. everything but the model call; the offline answerer's total is printed too. Request spacing
is measured on a simulated clock shared by the fetcher and the local arXiv HTML server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.arxiv_html import FakeArxivHtmlServer, SimulatedClock, latexml_page  # noqa: E402

from digestbot.bot.commands.handlers import Conversation  # noqa: E402
from digestbot.bot.digests import DigestService, MemoryDigestStore  # noqa: E402
from digestbot.bot.ports import ThreadLink  # noqa: E402
from digestbot.bot.questions.limits import QuestionLimits  # noqa: E402
from digestbot.bot.questions.search_index import SearchIndex  # noqa: E402
from digestbot.bot.questions.service import QuestionService  # noqa: E402
from digestbot.bot.storage.db import create_db_engine, migrate  # noqa: E402
from digestbot.summarizer.backends import Question  # noqa: E402
from digestbot.summarizer.models import (  # noqa: E402
    Answer,
    Backend,
    CategorySection,
    CategorySummary,
    Digest,
    Paper,
)
from digestbot.summarizer.offline.answerer import ExtractiveAnswerer  # noqa: E402
from digestbot.summarizer.offline.categorizer import OfflineCategorizer  # noqa: E402
from digestbot.summarizer.offline.summarizer import ExtractiveSummarizer  # noqa: E402
from digestbot.summarizer.sources.fulltext import ArxivHtmlFetcher  # noqa: E402
from digestbot.summarizer.sources.jsonl import read_papers, sample_source  # noqa: E402
from digestbot.summarizer.taxonomy import load_taxonomy  # noqa: E402

PAPERS_PER_DIGEST = 500
FIRST_DAY = dt.date(2027, 1, 4)
QUESTIONS = [
    "Which of these runs on a single GPU?",
    "What speedup does the quantization give over FP16?",
    "Which papers evaluate on ImageNet and report top-1 accuracy?",
    "How does the proposed method compare to reinforcement learning from human feedback?",
    "Which papers use diffusion models for medical imaging?",
    "What datasets are used for evaluating retrieval-augmented generation?",
    "Summarize the healthcare papers for a clinician",
    "Does any paper study hallucination in vision-language models?",
]


class InstantAnswerer:
    """Stands in for the model call, so what is timed is our own work around it."""

    backend = Backend.LLM

    async def answer(self, question: Question) -> Answer:
        cited = question.passages[0].arxiv_id
        return Answer(text=f"An answer [{cited}].", cited_ids=[cited], supported=True, backend=self.backend)

    async def search_terms(self, question: str) -> str | None:
        return None


@contextlib.contextmanager
def scratch_engine(url: str) -> Iterator[Engine]:
    """The bot's engine for ``url``; on PostgreSQL inside a schema of its own, dropped afterwards."""
    if not url.startswith("postgresql"):
        engine = create_db_engine(url)
        yield engine
        engine.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_db_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def corpus(count: int) -> list[Paper]:
    """``count`` real papers: the fixture days repeated under new, unique ids."""
    originals = [*sample_source().papers(), *read_papers(ROOT / "tests" / "fixtures" / "2026-06-30.jsonl")]
    return [
        paper.model_copy(update={"arxiv_id": f"27{number // 99_999:02d}.{number % 99_999 + 1:05d}"})
        for number, paper in zip(range(count), itertools.cycle(originals), strict=False)
    ]


def digests_of(papers: list[Paper]) -> list[Digest]:
    taxonomy = load_taxonomy(None)
    summary = CategorySummary(main_themes=[], keywords=[], key_facts=[], impact=[], outlook="", backend=Backend.OFFLINE)
    digests = []
    for number, start in enumerate(range(0, len(papers), PAPERS_PER_DIGEST)):
        chunk = papers[start : start + PAPERS_PER_DIGEST]
        section = CategorySection(category=taxonomy.get("general"), papers=chunk, summary=summary)
        day = FIRST_DAY + dt.timedelta(days=number)
        digests.append(Digest(date=day, language="en", sections=[section], backend=Backend.OFFLINE, source="sample"))
    return digests


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"p50 {statistics.median(ordered) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   (n={len(ordered)})"


def timed(action: Callable[[], object], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return samples


def retrieval(index: SearchIndex, papers: list[Paper], digests: list[Digest], rng: random.Random) -> None:
    title_words = [p.title.split()[: rng.randint(1, 3)] for p in rng.sample(papers, 200)]
    searches = iter(itertools.cycle(" ".join(words) for words in title_words))
    search_times = timed(lambda: index.search(next(searches)), 400)
    digest_ids = [[p.arxiv_id for p in d.papers] for d in digests]
    asks = iter(itertools.cycle((q, rng.choice(digest_ids)) for q in QUESTIONS * 10))
    passage_times = timed(lambda: index.passages_for(*next(asks), 8), 400)
    print(f"  /digest search over all papers            {percentiles(search_times)}")
    print(f"  passages for a question (one digest, 500) {percentiles(passage_times)}")
    print(f"  retrieval overall                         {percentiles(search_times + passage_times)}")


async def answer_overhead(index: SearchIndex, digests: list[Digest]) -> None:
    store = MemoryDigestStore()
    for digest in digests:
        store.save_digest(digest)
    taxonomy = load_taxonomy(None)
    service = DigestService(
        source=sample_source(),
        taxonomy=taxonomy,
        categorizer=OfflineCategorizer(taxonomy),
        summarizer=ExtractiveSummarizer(),
        store=store,
    )
    limits = QuestionLimits(questions_per_user_per_hour=10**6, questions_per_channel_per_hour=10**6)
    digest = digests[-1]
    link = ThreadLink("bench", "C1", "t", digest.date, "en", tuple(p.arxiv_id for p in digest.papers))
    for label, answerer in (
        ("one model call stubbed out", InstantAnswerer()),
        ("offline answerer", ExtractiveAnswerer()),
    ):
        questions = QuestionService(digests=service, index=index, answerer=answerer, limits=limits)
        samples = []
        for number, question in enumerate(QUESTIONS * 25):
            conversation = Conversation("bench", "C1", f"U{number}", thread_id=f"t{number}")
            start = time.perf_counter()
            await questions.ask_in_thread(question, link, conversation)
            samples.append(time.perf_counter() - start)
        print(f"  our time per answer ({label:<26}) {percentiles(samples)}")


async def full_text_discipline(index: SearchIndex, digests: list[Digest]) -> None:
    clock = SimulatedClock()
    digest = digests[0]
    papers = digest.papers[:20]
    pages = {
        p.arxiv_id: latexml_page(title=p.title, abstract=p.abstract, sections=[("Method", [p.abstract])])
        for p in papers
    }
    with FakeArxivHtmlServer(pages=pages, clock=clock) as server:
        fetcher = ArxivHtmlFetcher(base_url=server.base_url, clock=clock, sleep=clock.sleep)
        store = MemoryDigestStore()
        store.save_digest(digest)
        taxonomy = load_taxonomy(None)
        service = DigestService(
            source=sample_source(),
            taxonomy=taxonomy,
            categorizer=OfflineCategorizer(taxonomy),
            summarizer=ExtractiveSummarizer(),
            store=store,
        )
        limits = QuestionLimits(questions_per_user_per_hour=10**6, questions_per_channel_per_hour=10**6)
        questions = QuestionService(
            digests=service, index=index, answerer=InstantAnswerer(), fulltext=fetcher, limits=limits, clock=clock
        )
        link = ThreadLink("bench", "C1", "t", digest.date, "en", tuple(p.arxiv_id for p in digest.papers))
        asked = 0
        for _ in range(3):  # every paper asked about three times
            for paper in papers:
                await questions.ask_in_thread(f"What does {paper.arxiv_id} find?", link, Conversation("b", "C", "U"))
                asked += 1
    intervals = [later.at - earlier.at for earlier, later in itertools.pairwise(server.requests)]
    fetched = {r.path for r in server.requests}
    print(f"  {asked} questions about {len(papers)} papers: {len(server.requests)} requests, {len(fetched)} distinct")
    print(f"  smallest spacing between requests: {min(intervals):.1f} s (simulated clock)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--postgres", help="also measure on this PostgreSQL URL (in a throw-away schema)")
    options = parser.parse_args()
    rng = random.Random(8)
    papers = corpus(options.papers)
    digests = digests_of(papers)
    with tempfile.TemporaryDirectory() as folder:
        urls = [("SQLite (FTS5, bm25)", f"sqlite:///{Path(folder) / 'bench.db'}")]
        if options.postgres:
            urls.append(("PostgreSQL (tsvector, ts_rank)", options.postgres))
        for label, url in urls:
            with scratch_engine(url) as engine:
                migrate(engine)
                index = SearchIndex(engine)
                start = time.perf_counter()
                for digest in digests:
                    index.index_digest(digest)
                print(f"{label}: indexed {len(papers):,} papers in {time.perf_counter() - start:.1f} s")
                if engine.dialect.name == "postgresql":  # fresh statistics, as autovacuum keeps them
                    with engine.begin() as connection:
                        connection.execute(text("ANALYZE"))
                retrieval(index, papers, digests, rng)
                await answer_overhead(index, digests)
                await full_text_discipline(index, digests)


if __name__ == "__main__":
    asyncio.run(main())
