"""The cost of ranking a day's papers offline (target: <= 200 ms for 1,000 papers).

Run as ``.venv/bin/python benchmarks/ranking_speed.py``. Today is the fixture day's 532 real
papers repeated under new ids up to 1,000; the history is a month of digests (~9,000 papers:
the same abstracts under other ids and shuffled titles, so the near-duplicate index has long
candidate lists — a pessimistic case). It prints the median of several runs of:

* ranking 1,000 papers with no history (a first day);
* indexing the 30 days of history;
* ranking 1,000 papers against that history (index included: what a build pays);
* re-ranking 1,000 papers for a channel with three interests (what each post pays), with the
  stems computed afresh and then cached.

The machine's load average is printed too: on a shared 2-core machine it explains most noise.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digestbot.summarizer.models import Backend, Category, CategorySection, CategorySummary, Digest, Paper  # noqa: E402
from digestbot.summarizer.ranking import NoveltyIndex, RecentPaper, rank_papers, ranked_for  # noqa: E402
from digestbot.summarizer.ranking.interests import _stemmed  # noqa: E402
from digestbot.summarizer.sources.jsonl import read_papers  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "2026-06-30.jsonl"
PAPERS = 1000
HISTORY = 9000
RUNS = 7
INTERESTS = ["speech recognition", "speculative decoding", "diffusion models"]


def _today(papers: list[Paper]) -> list[Paper]:
    return [papers[i % len(papers)].model_copy(update={"arxiv_id": f"2607.{10000 + i:05d}"}) for i in range(PAPERS)]


def _history(papers: list[Paper]) -> list[RecentPaper]:
    shuffle = random.Random(0)
    recent = []
    for i in range(HISTORY):
        paper = papers[i % len(papers)]
        words = paper.title.split()
        shuffle.shuffle(words)
        recent.append(RecentPaper(f"2605.{10000 + i:05d}", " ".join(words[: max(3, len(words) // 2)]), paper.abstract))
    return recent


def _digest(papers: list[Paper]) -> Digest:
    category = Category(slug="general", name="General AI", description="everything")
    summary = CategorySummary(main_themes=[], keywords=[], key_facts=[], impact=[], outlook="", backend=Backend.OFFLINE)
    section = CategorySection(category=category, papers=papers, summary=summary)
    return Digest(
        date=dt.date(2026, 7, 1),
        language="en",
        sections=[section],
        backend=Backend.OFFLINE,
        source="bench",
        ranks=rank_papers(papers),
    )


def _median_ms(work: Callable[[], object]) -> str:
    """Median wall and CPU time: on a shared machine the CPU time is what the code costs."""
    walls, cpus = [], []
    for _ in range(RUNS):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return f"{statistics.median(walls):7.1f} ms wall, {statistics.median(cpus):7.1f} ms CPU"


def main() -> None:
    real = read_papers(FIXTURE)
    today, history = _today(real), _history(real)
    digest = _digest(today)
    print(f"ranking {PAPERS} papers, history of {HISTORY} papers, median of {RUNS} runs")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    index = NoveltyIndex(history)
    print(f"rank, no history:            {_median_ms(lambda: rank_papers(today))} (target <= 200 ms)")
    print(f"index 30 days of history:    {_median_ms(lambda: NoveltyIndex(history))}")
    print(f"rank against the index:      {_median_ms(lambda: rank_papers(today, recent=index))}")
    print(f"rank against history:        {_median_ms(lambda: rank_papers(today, recent=history))} (index included)")
    cold = _median_ms(lambda: (_stemmed.cache_clear(), ranked_for(digest, INTERESTS)))
    print(f"re-rank for 3 interests:     {cold} (first channel of the day)")
    print(f"  again, stems cached:       {_median_ms(lambda: ranked_for(digest, INTERESTS))} (every other channel)")
    duplicates = sum(any("near-duplicate" in r for r in rank.reasons) for rank in rank_papers(today, recent=history))
    print(f"near-duplicates found:       {duplicates} of {PAPERS} (history reuses every abstract)")


if __name__ == "__main__":
    main()
