"""How good is the offline categorizer? Scores it on three hand-labelled sets from two arXiv days.

Run as ``.venv/bin/python benchmarks/categorizer_quality.py [--only dev|dev-0630|held-out]``
(``--errors`` also lists the misclassified papers of the dev sets, never of the held-out set).

* dev: ``benchmarks/labels/2026-06-26.labels.jsonl`` over the shipped sample day — the set the
  taxonomy keywords were first tuned against;
* dev-0630: ``benchmarks/labels/2026-06-30.dev.labels.jsonl``, 150 other papers of the held-out
  day (none of the held-out ids), labelled before looking at categorizer output and then tuned
  against too — a second day, so tuning cannot fit one day's vocabulary alone;
* held-out: ``tests/fixtures/labels-2026-06-30.jsonl`` over the same other day, labelled before
  any tuning and never tuned against — the honest estimate of quality on a new day.

Each set is also scored with two baselines, so a change to the categorizer or the taxonomy is
judged against what trivial rules already achieve: the primary arXiv category alone (mapped to
the category with the largest prior for it) and "naive keywords" (the first category, in
taxonomy order, one of whose keywords occurs anywhere in the text, substring match).
The last line times the categorizer on 1,000 papers.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from digestbot.summarizer.evaluation import Evaluation, evaluate, format_report, read_labels
from digestbot.summarizer.models import Paper
from digestbot.summarizer.offline.categorizer import OfflineCategorizer
from digestbot.summarizer.sources.jsonl import read_papers, sample_source
from digestbot.summarizer.taxonomy import Taxonomy, load_taxonomy

ROOT = Path(__file__).resolve().parent.parent
DEV_LABELS = ROOT / "benchmarks" / "labels" / "2026-06-26.labels.jsonl"
DEV_0630_LABELS = ROOT / "benchmarks" / "labels" / "2026-06-30.dev.labels.jsonl"
HELD_OUT_PAPERS = ROOT / "tests" / "fixtures" / "2026-06-30.jsonl"
HELD_OUT_LABELS = ROOT / "tests" / "fixtures" / "labels-2026-06-30.jsonl"
TIMED_PAPERS = 1000

Predictor = Callable[[Paper], str]


def primary_category_baseline(taxonomy: Taxonomy) -> Predictor:
    """The category whose prior for the paper's primary arXiv category is largest."""

    def predict(paper: Paper) -> str:
        primary = paper.arxiv_categories[0] if paper.arxiv_categories else ""
        best = max(taxonomy.categories, key=lambda category: category.arxiv_priors.get(primary, 0.0))
        return best.slug if best.arxiv_priors.get(primary, 0.0) > 0 else taxonomy.fallback_slug

    return predict


def naive_keyword_baseline(taxonomy: Taxonomy) -> Predictor:
    """The first category with any keyword as a plain substring of title + abstract."""

    def predict(paper: Paper) -> str:
        text = f"{paper.title} {paper.abstract}".lower()
        for category in taxonomy.categories:
            if any(keyword.lower().rstrip("*") in text for keyword in category.keywords):
                return category.slug
        return taxonomy.fallback_slug

    return predict


def offline_predictor(taxonomy: Taxonomy) -> Predictor:
    categorizer = OfflineCategorizer(taxonomy)
    return lambda paper: categorizer.assign(paper).slug


def score(predict: Predictor, papers: Sequence[Paper], labels: dict[str, str], taxonomy: Taxonomy) -> Evaluation:
    by_id = {paper.arxiv_id: paper for paper in papers}
    predicted = {paper_id: predict(by_id[paper_id]) for paper_id in labels if paper_id in by_id}
    return evaluate(predicted, labels, taxonomy.slugs)


def report_set(
    name: str, papers: Sequence[Paper], labels: dict[str, str], taxonomy: Taxonomy, *, errors: bool = False
) -> None:
    distribution = ", ".join(f"{slug} {list(labels.values()).count(slug)}" for slug in taxonomy.slugs)
    print(f"=== {name}: {len(labels)} labelled papers ({distribution})")
    print(format_report(score(offline_predictor(taxonomy), papers, labels, taxonomy)))
    if errors:
        print_errors(papers, labels, taxonomy)
    for baseline, make in (
        ("primary arXiv category", primary_category_baseline),
        ("naive keywords", naive_keyword_baseline),
    ):
        result = score(make(taxonomy), papers, labels, taxonomy)
        print(f"baseline {baseline}: accuracy {result.accuracy:.3f}, macro-F1 {result.macro_f1:.3f}")
    print()


def print_errors(papers: Sequence[Paper], labels: dict[str, str], taxonomy: Taxonomy) -> None:
    """One line per misclassified paper: id, label, prediction, the reason, and the title."""
    categorizer = OfflineCategorizer(taxonomy)
    by_id = {paper.arxiv_id: paper for paper in papers}
    for paper_id, label in labels.items():
        assignment = categorizer.assign(by_id[paper_id])
        if assignment.slug != label:
            print(f"  {paper_id} {label} -> {assignment.slug} [{assignment.reason}] {by_id[paper_id].title[:70]}")


def time_categorizer(papers: Sequence[Paper], taxonomy: Taxonomy) -> float:
    """Seconds to categorize TIMED_PAPERS papers (the pool repeated), construction included."""
    batch = [papers[index % len(papers)] for index in range(TIMED_PAPERS)]
    start = time.perf_counter()
    assignments = asyncio.run(OfflineCategorizer(taxonomy).categorize(batch))
    elapsed = time.perf_counter() - start
    assert len(assignments) == len(batch)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("dev", "dev-0630", "held-out"), help="score one set only")
    parser.add_argument("--errors", action="store_true", help="list the dev sets' misclassified papers")
    args = parser.parse_args()
    only = args.only
    taxonomy = load_taxonomy()
    dev_papers = sample_source().papers()
    held_out_papers = read_papers(HELD_OUT_PAPERS)
    if only in (None, "dev"):
        report_set("dev (sample 2026-06-26)", dev_papers, read_labels(DEV_LABELS), taxonomy, errors=args.errors)
    if only in (None, "dev-0630"):
        labels = read_labels(DEV_0630_LABELS)
        report_set("dev (2026-06-30, not held-out)", held_out_papers, labels, taxonomy, errors=args.errors)
    if only in (None, "held-out"):
        report_set("held-out (2026-06-30)", held_out_papers, read_labels(HELD_OUT_LABELS), taxonomy)
    elapsed = time_categorizer([*dev_papers, *held_out_papers], taxonomy)
    print(f"speed: {TIMED_PAPERS} papers in {elapsed * 1000:.0f} ms")


if __name__ == "__main__":
    main()
