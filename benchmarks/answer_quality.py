"""How often the offline answerer finds the answer to a thread question, on dev and held-out sets.

Run as ``.venv/bin/python benchmarks/answer_quality.py [--show-failures]``.

Target (issue 14): >= 90% of answerable questions answered with the right paper AND a quoted
sentence that contains the answer, while questions the papers do not answer are still refused.
The questions (``benchmarks/questions/*.jsonl``) are phrased as users ask them, about the papers
of the two shipped fixture days; ``heldout.jsonl`` was written before any tuning and is never
tuned on. Each question goes through the same path as a follow-up in a digest's thread: the
real offline digest of its day, the search index, ``QuestionService.ask_in_thread`` and the
:class:`ExtractiveAnswerer`. Our own time per answer (everything, no model) is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from digestbot.bot.commands.handlers import Conversation  # noqa: E402
from digestbot.bot.commands.replies import Reply  # noqa: E402
from digestbot.bot.digests import DigestService, MemoryDigestStore  # noqa: E402
from digestbot.bot.ports import ThreadLink  # noqa: E402
from digestbot.bot.questions.limits import QuestionLimits  # noqa: E402
from digestbot.bot.questions.search_index import SearchIndex  # noqa: E402
from digestbot.bot.questions.service import QuestionService  # noqa: E402
from digestbot.bot.storage.db import create_db_engine, migrate  # noqa: E402
from digestbot.summarizer.offline.answerer import ExtractiveAnswerer  # noqa: E402
from digestbot.summarizer.offline.categorizer import OfflineCategorizer  # noqa: E402
from digestbot.summarizer.offline.summarizer import ExtractiveSummarizer  # noqa: E402
from digestbot.summarizer.sources.jsonl import JsonlSource  # noqa: E402
from digestbot.summarizer.taxonomy import load_taxonomy  # noqa: E402

QUESTIONS = ROOT / "benchmarks" / "questions"
DAYS = {
    "2026-06-26": ROOT / "src" / "digestbot" / "summarizer" / "data" / "sample-2026-06-26.jsonl",
    "2026-06-30": ROOT / "tests" / "fixtures" / "2026-06-30.jsonl",
}


@dataclass(frozen=True)
class Question:
    day: str
    question: str
    paper: str | None
    answer: str | None


@dataclass(frozen=True)
class Outcome:
    question: Question
    text: str
    cited: list[str]
    seconds: float

    @property
    def passed(self) -> bool:
        """Answerable: a quoted line cites the expected paper and contains the answer phrase.
        Unanswerable: nothing is cited (the "papers don't say" reply)."""
        if self.question.paper is None:
            return not self.cited
        key = _fold(self.question.answer or "")
        return any(key in _fold(line) and f"[{self.question.paper}]" in line for line in self.text.splitlines())

    @property
    def right_paper(self) -> bool:
        return self.question.paper in self.cited


def _fold(text: str) -> str:
    return " ".join(text.lower().split())


def load_questions(name: str) -> list[Question]:
    lines = (QUESTIONS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [Question(**json.loads(line)) for line in lines if line.strip()]


def digest_service(path: Path) -> DigestService:
    taxonomy = load_taxonomy(None)
    return DigestService(
        source=JsonlSource(path),
        taxonomy=taxonomy,
        categorizer=OfflineCategorizer(taxonomy),
        summarizer=ExtractiveSummarizer(),
        store=MemoryDigestStore(),
    )


class Thread:
    """One day's digest posted in a thread, with the question service behind it."""

    def __init__(self, day: str) -> None:
        self.service = digest_service(DAYS[day])
        limits = QuestionLimits(questions_per_user_per_hour=10**6, questions_per_channel_per_hour=10**6)
        # The bot's in-memory database (one shared connection, as `digestbot chat` uses), migrated.
        engine = create_db_engine("sqlite://")
        migrate(engine)
        self.questions = QuestionService(
            digests=self.service, index=SearchIndex(engine), answerer=ExtractiveAnswerer(), limits=limits
        )
        self.day = dt.date.fromisoformat(day)

    async def ask(self, question: str, number: int) -> tuple[Reply, float]:
        digest = await self.service.digest(self.day)
        link = ThreadLink("bench", "C1", f"t{number}", digest.date, "en", tuple(p.arxiv_id for p in digest.papers))
        conversation = Conversation("bench", "C1", "U1", thread_id=f"t{number}")
        start = time.perf_counter()
        reply = await self.questions.ask_in_thread(question, link, conversation)
        return reply, time.perf_counter() - start


async def run(questions: list[Question], threads: dict[str, Thread]) -> list[Outcome]:
    outcomes = []
    for number, question in enumerate(questions):
        if question.day not in threads:
            threads[question.day] = Thread(question.day)
            await threads[question.day].ask("warm-up: build and index the digest", -1)
        reply, seconds = await threads[question.day].ask(question.question, number)
        text = getattr(reply, "text", "")
        cited = [c.arxiv_id for c in getattr(reply, "citations", [])]
        outcomes.append(Outcome(question=question, text=text, cited=cited, seconds=seconds))
    return outcomes


def report(name: str, outcomes: list[Outcome], *, show_failures: bool) -> None:
    answerable = [o for o in outcomes if o.question.paper is not None]
    refusable = [o for o in outcomes if o.question.paper is None]
    papers = {o.question.paper for o in answerable}
    right = sum(o.passed for o in answerable)
    paper = sum(o.right_paper for o in answerable)
    refused = sum(o.passed for o in refusable)
    times = sorted(o.seconds for o in outcomes)
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    print(f"{name}: {len(answerable)} answerable questions about {len(papers)} papers, {len(refusable)} unanswerable")
    print(f"  right paper and a sentence with the answer  {right}/{len(answerable)} ({right / len(answerable):.0%})")
    print(f"  right paper cited                           {paper}/{len(answerable)} ({paper / len(answerable):.0%})")
    print(f"  unanswerable ones refused                   {refused}/{len(refusable)} ({refused / len(refusable):.0%})")
    print(f"  our time per answer  p50 {statistics.median(times) * 1000:.1f} ms  p95 {p95 * 1000:.1f} ms")
    if show_failures:
        for outcome in outcomes:
            if not outcome.passed:
                expected = outcome.question.paper or "a refusal"
                print(f"  MISS {outcome.question.question!r} (want {expected}: {outcome.question.answer!r})")
                print("       " + outcome.text.replace("\n", "\n       "))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-failures", action="store_true", help="print each missed question and its reply")
    options = parser.parse_args()
    threads: dict[str, Thread] = {}
    for name in ("dev", "heldout"):
        outcomes = await run(load_questions(name), threads)
        report(name, outcomes, show_failures=options.show_failures)


if __name__ == "__main__":
    asyncio.run(main())
