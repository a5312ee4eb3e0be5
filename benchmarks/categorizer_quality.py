"""How good is the offline categorizer? Scores the shipped model and the keyword rules on the
hand-labelled days, dev and held-out separately, with baselines.

Run as ``.venv/bin/python benchmarks/categorizer_quality.py [--only dev|held-out] [--errors]``
from the repository root (``--errors`` lists the model's misclassified dev papers, never the
held-out ones). The sets are defined once in ``categorizer_sets.py``:

* **dev**: the training days. The model's score there is a training-day fit, so the figure
  to quote for it is the leave-one-day-out score stored in the model (printed first), which
  ``train_categorizer.py`` measured by training on the other days. The keyword rules were tuned
  against 2026-06-26 and 2026-06-30 by hand, so their figures there are flattering too.
* **held-out**: never trained or tuned on. ``2026-06-29`` is a whole day, every paper
  labelled: the honest estimate for a new day. The 80 older held-out papers of 2026-06-30 are
  kept for continuity with earlier reports.

Scores count a prediction in a paper's ``acceptable`` list as right (see
``digestbot.summarizer.evaluation``); the line under each summary gives accuracy and macro-F1
on the main labels alone ("strict"), since a later day may be labelled without alternatives.
Baselines: the primary arXiv category alone (mapped to the category with the largest prior
for it) and "naive keywords" (the first category, in taxonomy order, one of whose keywords
occurs anywhere in the text). The last line times the model on 1,000 papers.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable, Sequence

from categorizer_sets import LabelledSet, held_out_sets, training_sets
from digestbot.summarizer.evaluation import Evaluation, evaluate, format_report
from digestbot.summarizer.models import Paper
from digestbot.summarizer.offline.categorizer import OfflineCategorizer
from digestbot.summarizer.offline.model import LinearModel, ModelCategorizer
from digestbot.summarizer.taxonomy import Taxonomy, load_taxonomy

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


def score(predict: Predictor, labelled: LabelledSet, taxonomy: Taxonomy) -> Evaluation:
    predicted = {paper.arxiv_id: predict(paper) for paper in labelled.labelled()}
    labels = labelled.labels
    return evaluate(predicted, labels.main, taxonomy.slugs, acceptable=labels.acceptable)


def report_set(labelled: LabelledSet, taxonomy: Taxonomy, model: ModelCategorizer, *, errors: bool) -> None:
    labels = list(labelled.labels.main.values())
    distribution = ", ".join(f"{slug} {labels.count(slug)}" for slug in taxonomy.slugs)
    print(f"=== {labelled.name}: {len(labels)} labelled papers ({distribution})")
    print("shipped model:")
    print(format_report(score(lambda paper: model.assign(paper).slug, labelled, taxonomy)))
    if errors:
        print_errors(labelled, model)
    rules = OfflineCategorizer(taxonomy)
    for name, predict in (
        ("keyword rules (the previous categorizer)", lambda paper: rules.assign(paper).slug),
        ("baseline primary arXiv category", primary_category_baseline(taxonomy)),
        ("baseline naive keywords", naive_keyword_baseline(taxonomy)),
    ):
        result = score(predict, labelled, taxonomy)
        print(
            f"{name}: accuracy {result.accuracy:.3f}, macro-F1 {result.macro_f1:.3f} "
            f"(main labels alone: {result.strict_accuracy:.3f} / {result.strict_macro_f1:.3f})"
        )
    print()


def print_errors(labelled: LabelledSet, model: ModelCategorizer) -> None:
    """One line per misclassified paper: id, label, prediction, the reason, and the title."""
    for paper in labelled.labelled():
        assignment = model.assign(paper)
        label = labelled.labels.main[paper.arxiv_id]
        if assignment.slug != label and assignment.slug not in labelled.labels.acceptable.get(paper.arxiv_id, ()):
            print(f"  {paper.arxiv_id} {label} -> {assignment.slug} [{assignment.reason}] {paper.title[:70]}")


def time_categorizer(papers: Sequence[Paper], model: ModelCategorizer) -> float:
    """Seconds to categorize TIMED_PAPERS papers (the pool repeated), model loading included."""
    batch = [papers[index % len(papers)] for index in range(TIMED_PAPERS)]
    start = time.perf_counter()
    categorizer = ModelCategorizer(model.taxonomy, LinearModel.load())
    assignments = asyncio.run(categorizer.categorize(batch))
    elapsed = time.perf_counter() - start
    assert len(assignments) == len(batch)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("dev", "held-out"), help="score one kind of set only")
    parser.add_argument("--errors", action="store_true", help="list the model's misclassified dev papers")
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    model = ModelCategorizer(taxonomy, LinearModel.load())
    cross_validated = model.model.meta.get("leave_one_day_out", {})
    dev, held_out = training_sets(), held_out_sets()
    if args.only in (None, "dev"):
        print(
            "model, leave-one-day-out over the randomly sampled training days: "
            f"accuracy {cross_validated.get('accuracy')}, macro-F1 {cross_validated.get('macro_f1')} "
            f"(main labels alone: accuracy {cross_validated.get('strict_accuracy')}, "
            f"macro-F1 {cross_validated.get('strict_macro_f1')})\n"
        )
        for labelled in dev:
            report_set(labelled, taxonomy, model, errors=args.errors)
    if args.only in (None, "held-out"):
        for labelled in held_out:
            report_set(labelled, taxonomy, model, errors=False)
    pool = [paper for labelled in (*dev, *held_out) for paper in labelled.papers]
    print(f"speed: {TIMED_PAPERS} papers in {time_categorizer(pool, model) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
