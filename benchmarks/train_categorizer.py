"""Train the shipped categorizer model from the hand-labelled training days.

Run as ``.venv/bin/python benchmarks/train_categorizer.py [--check]`` from the repository root.
It needs nothing beyond the package's own dependencies (numpy): the logistic regression is
small enough to fit with plain full-batch gradient steps.

1. Every labelled paper of the training days (``categorizer_sets.training_sets``) becomes
   TF-IDF terms plus side features (``digestbot.summarizer.offline.features``). IDF comes from
   every paper of the training days, labelled or not; the held-out day is never read.
2. Hyper-parameters (L2 strength, how strongly rare classes are up-weighted) are chosen by
   leave-one-day-out cross-validation: train on two days, score the third, for each day. The
   figures printed are those cross-validated dev scores.
3. The chosen setting is refitted on all training days and written to
   ``src/digestbot/summarizer/data/categorizer-model.npz`` (``--check`` only prints).
"""

from __future__ import annotations

import argparse
import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from categorizer_sets import ROOT, LabelledSet, training_sets
from digestbot.summarizer.evaluation import Evaluation, evaluate
from digestbot.summarizer.models import Paper
from digestbot.summarizer.offline.categorizer import OfflineCategorizer
from digestbot.summarizer.offline.features import TITLE, Terms, paper_terms, side_features
from digestbot.summarizer.offline.model import MODEL_FILE, LinearModel
from digestbot.summarizer.taxonomy import Taxonomy, load_taxonomy

OUTPUT = ROOT / "src" / "digestbot" / "summarizer" / "data" / MODEL_FILE
# Word weights need far less shrinking than the few side features: a TF-IDF vector has
# hundreds of small entries, while a rule verdict is one indicator of weight 1.
TERM_L2 = (1e-4, 3e-4)
SIDE_L2 = (1e-3, 1e-2)
# Powers above 1 over-weight the rare classes beyond balance: with 1-8 rl, training and
# inference papers a day, a balanced loss still let cv and llm absorb them (leave-one-day-out
# inference recall 0.58, training 0.05 on main labels at power 1).
CLASS_WEIGHT_POWER = (1.0, 1.5, 2.0)
MIN_DOCUMENT_FREQUENCY = 2
STEPS = 400


@dataclass(frozen=True)
class Featurized:
    """One paper's features, computed once and reused by every fold."""

    paper: Paper
    terms: Terms
    side: dict[str, float]


def featurize(papers: Sequence[Paper], rules: OfflineCategorizer) -> dict[str, Featurized]:
    return {paper.arxiv_id: Featurized(paper, paper_terms(paper), side_features(paper, rules)) for paper in papers}


def vocabulary(
    labelled: Sequence[Featurized], corpus: Sequence[Terms], classes: Sequence[str], meta: dict[str, object]
) -> LinearModel:
    """An untrained model: terms seen in ≥2 labelled papers (others would keep zero weight under
    L2 anyway), smoothed IDF over the whole corpus, and every side feature seen in training."""
    seen = Counter(term for item in labelled for term in item.terms.counts)
    terms = sorted(term for term, count in seen.items() if count >= MIN_DOCUMENT_FREQUENCY)
    frequency = Counter(term for document in corpus for term in document.counts)
    idf = np.asarray([math.log((1 + len(corpus)) / (1 + frequency[term])) + 1.0 for term in terms], dtype=np.float32)
    surface: dict[str, str] = {}
    for item in labelled:
        surface.update({term: word for term, word in item.terms.surface.items() if term not in surface})
    side = sorted({name for item in labelled for name in item.side})
    return LinearModel(
        classes=tuple(classes),
        terms=tuple(terms),
        surface=tuple(surface.get(term.removeprefix(TITLE), term) for term in terms),
        idf=idf,
        side=tuple(side),
        coef=np.zeros((len(terms) + len(side), len(classes)), dtype=np.float32),
        intercept=np.zeros(len(classes), dtype=np.float32),
        meta=meta,
    )


def matrix(model: LinearModel, items: Sequence[Featurized]) -> np.ndarray:
    """Dense design matrix built with the model's own run-time vectorizer."""
    rows = np.zeros((len(items), model.coef.shape[0]), dtype=np.float32)
    for position, item in enumerate(items):
        columns, values = model.vector(item.terms, item.side)
        rows[position, columns] = values
    return rows


def fit(
    features: np.ndarray, targets: np.ndarray, classes: int, *, l2: np.ndarray, power: float
) -> tuple[np.ndarray, ...]:
    """Class-weighted multinomial logistic regression with L2, by Adam on the full batch.

    Class weights are (n / (k · count))^power: power 1 balances the classes fully, a larger
    power favours the small ones (rl, training, inference) further, which macro-F1 counts as
    much as cv.
    """
    counts = np.bincount(targets, minlength=classes).astype(np.float32)
    weights = (len(targets) / (classes * np.maximum(counts, 1.0))) ** power
    sample = weights[targets] / weights[targets].sum()
    onehot = np.eye(classes, dtype=np.float32)[targets]
    coef = np.zeros((features.shape[1], classes), dtype=np.float32)
    bias = np.zeros(classes, dtype=np.float32)
    moments = [np.zeros_like(coef), np.zeros_like(coef), np.zeros_like(bias), np.zeros_like(bias)]
    for step in range(1, STEPS + 1):
        logits = features @ coef + bias
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        error = (probabilities - onehot) * sample[:, None]
        for index, (parameter, gradient) in enumerate(
            ((coef, features.T @ error + 2 * l2[:, None] * coef), (bias, error.sum(axis=0)))
        ):
            first, second = moments[2 * index], moments[2 * index + 1]
            first[:] = 0.9 * first + 0.1 * gradient
            second[:] = 0.999 * second + 0.001 * gradient**2
            parameter -= 0.05 * (first / (1 - 0.9**step)) / (np.sqrt(second / (1 - 0.999**step)) + 1e-8)
    return coef, bias


def train(
    labelled: Sequence[Featurized], corpus: Sequence[Terms], labels: dict[str, str], **settings: float
) -> LinearModel:
    classes = load_taxonomy().slugs
    untrained = vocabulary(labelled, corpus, classes, meta={})
    targets = np.asarray([classes.index(labels[item.paper.arxiv_id]) for item in labelled])
    l2 = np.full(untrained.coef.shape[0], settings["term_l2"], dtype=np.float32)
    l2[len(untrained.terms) :] = settings["side_l2"]
    coef, bias = fit(matrix(untrained, labelled), targets, len(classes), l2=l2, power=settings["power"])
    return replace(untrained, coef=coef, intercept=bias)


def predict(model: LinearModel, items: Sequence[Featurized]) -> dict[str, str]:
    scores = matrix(model, items) @ model.coef + model.intercept
    return {
        item.paper.arxiv_id: model.classes[int(column)]
        for item, column in zip(items, scores.argmax(axis=1), strict=True)
    }


class Days:
    """Featurized training days, and the folds of leave-one-day-out cross-validation."""

    def __init__(self, sets: Sequence[LabelledSet], taxonomy: Taxonomy) -> None:
        rules = OfflineCategorizer(taxonomy)
        self.sets = sets
        self.taxonomy = taxonomy
        self.features = {labelled.day: featurize(labelled.papers, rules) for labelled in sets}
        self.labels = {paper_id: label for s in sets for paper_id, label in s.labels.main.items()}

    def labelled(self, sets: Sequence[LabelledSet]) -> list[Featurized]:
        return [self.features[s.day][paper_id] for s in sets for paper_id in s.labels.main]

    def corpus(self, sets: Sequence[LabelledSet]) -> list[Terms]:
        days = {s.day for s in sets}
        return [item.terms for day in days for item in self.features[day].values()]

    def fit(self, sets: Sequence[LabelledSet], **settings: float) -> LinearModel:
        return train(self.labelled(sets), self.corpus(sets), self.labels, **settings)

    def cross_validate(self, **settings: float) -> Evaluation:
        """Pooled scores over the randomly sampled days, each predicted by a model trained on
        all the other sets (the keyword-picked supplement is trained on, never scored)."""
        predicted: dict[str, str] = {}
        scored = [s for s in self.sets if s.random_sample]
        for held in scored:
            model = self.fit([s for s in self.sets if s is not held], **settings)
            predicted.update(predict(model, self.labelled([held])))
        labels = {paper_id: self.labels[paper_id] for paper_id in predicted}
        acceptable = {key: value for s in scored for key, value in s.labels.acceptable.items()}
        return evaluate(predicted, labels, self.taxonomy.slugs, acceptable=acceptable)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="cross-validate only; do not write the model")
    args = parser.parse_args()
    days = Days(training_sets(), load_taxonomy())
    results: dict[tuple[float, float, float], Evaluation] = {}
    for setting in itertools.product(TERM_L2, SIDE_L2, CLASS_WEIGHT_POWER):
        results[setting] = result = days.cross_validate(**_settings(setting))
        print(
            "term l2 {:g}, side l2 {:g}, class-weight power {:g}: ".format(*setting)
            + f"leave-one-day-out accuracy {result.accuracy:.3f}, macro-F1 {result.macro_f1:.3f} "
            + f"(main labels alone: {result.strict_accuracy:.3f} / {result.strict_macro_f1:.3f})",
            flush=True,
        )
    best = max(results, key=lambda setting: results[setting].accuracy + results[setting].macro_f1)
    print("chosen: term l2 {:g}, side l2 {:g}, class-weight power {:g}".format(*best))
    if args.check:
        return
    model = days.fit(days.sets, **_settings(best))
    meta = {
        "trained_on": {s.name: len(s.labels.main) for s in days.sets},
        **_settings(best),
        "leave_one_day_out": {
            "accuracy": round(results[best].accuracy, 3),
            "macro_f1": round(results[best].macro_f1, 3),
            "strict_accuracy": round(results[best].strict_accuracy, 3),
            "strict_macro_f1": round(results[best].strict_macro_f1, 3),
        },
    }
    replace(model, meta=meta).save(OUTPUT)
    print(
        f"wrote {Path(OUTPUT).relative_to(ROOT)}: {len(model.terms)} terms, {len(model.side)} side features, "
        f"{OUTPUT.stat().st_size / 1024:.0f} KiB"
    )


def _settings(setting: tuple[float, float, float]) -> dict[str, float]:
    term_l2, side_l2, power = setting
    return {"term_l2": term_l2, "side_l2": side_l2, "power": power}


if __name__ == "__main__":
    main()
