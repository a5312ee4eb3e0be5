"""The shipped categorizer model: a linear classifier over TF-IDF terms, arXiv categories and
the keyword rules' evidence, with its weights stored as data (``data/categorizer-model.npz``).

Why a trained model: hand-tuned keyword triggers fit the days they were tuned on and misfire on
new ones ("Accelerating Skill Assessment in Chess" became an inference paper). A logistic
regression learns from hand-labelled days how much each word, arXiv category and rule verdict
is worth, so no single word decides. Run time needs only numpy; the weights are re-created by
``benchmarks/train_categorizer.py`` from the labels in ``benchmarks/labels/``.

The model knows the classes it was trained on. A team's own taxonomy (other slugs) cannot use
it, so :func:`make_offline_categorizer` falls back to the keyword rules there.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from digestbot.summarizer.backends import Categorizer
from digestbot.summarizer.cpu import run_cpu_bound
from digestbot.summarizer.models import CategoryAssignment, Paper
from digestbot.summarizer.offline.categorizer import OfflineCategorizer
from digestbot.summarizer.offline.features import TITLE, Terms, paper_terms, side_features
from digestbot.summarizer.taxonomy import Taxonomy

MODEL_FILE = "categorizer-model.npz"
_REASON_CUES = 3


@dataclass(frozen=True)
class LinearModel:
    """Weights of a multinomial logistic regression, one column per class.

    Rows ``0 .. len(terms)-1`` weigh TF-IDF terms (sublinear term frequency times ``idf``,
    L2-normalised per paper); the remaining rows weigh the side features, used as they are.
    ``surface`` is a readable word for each term, used to explain a decision.
    """

    classes: tuple[str, ...]
    terms: tuple[str, ...]
    surface: tuple[str, ...]
    idf: np.ndarray
    side: tuple[str, ...]
    coef: np.ndarray
    intercept: np.ndarray
    meta: dict[str, Any]

    @cached_property
    def index(self) -> dict[str, int]:
        """Feature name -> row of ``coef``."""
        return {name: row for row, name in enumerate((*self.terms, *self.side))}

    def vector(self, terms: Terms, side: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """The paper's non-zero features as (rows, values)."""
        index = self.index
        rows: list[int] = []
        values: list[float] = []
        for term, count in terms.counts.items():
            row = index.get(term)
            if row is not None:
                rows.append(row)
                values.append((1.0 + math.log(count)) * float(self.idf[row]))
        norm = math.sqrt(sum(value * value for value in values)) or 1.0
        values = [value / norm for value in values]
        for name, value in side.items():
            row = index.get(name)
            if row is not None:
                rows.append(row)
                values.append(value)
        return np.asarray(rows, dtype=np.int64), np.asarray(values, dtype=np.float32)

    def probabilities(self, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
        logits = self.intercept + values @ self.coef[rows]
        exp = np.exp(logits - logits.max())
        return exp / exp.sum()

    def cues(self, rows: np.ndarray, values: np.ndarray, column: int) -> list[str]:
        """The words that pushed hardest towards ``column``, strongest first."""
        is_term = rows < len(self.terms)
        term_rows = rows[is_term]
        pushes = values[is_term] * self.coef[term_rows, column]
        words = (self.surface[term_rows[i]].removeprefix(TITLE) for i in np.argsort(-pushes) if pushes[i] > 0)
        return list(dict.fromkeys(words))[:_REASON_CUES]  # a title word also counts as an abstract word

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            classes=np.asarray(self.classes),
            terms=np.asarray(self.terms),
            surface=np.asarray(self.surface),
            idf=self.idf.astype(np.float32),
            side=np.asarray(self.side),
            coef=self.coef.astype(np.float32),
            intercept=self.intercept.astype(np.float32),
            meta=np.asarray(json.dumps(self.meta, sort_keys=True)),
        )

    @classmethod
    def load(cls, path: Path | None = None) -> LinearModel:
        """Read a saved model; ``None`` means the one shipped with the package."""
        source = path or resources.files("digestbot.summarizer.data").joinpath(MODEL_FILE)
        with source.open("rb") as handle, np.load(handle, allow_pickle=False) as data:
            return cls(
                classes=tuple(str(c) for c in data["classes"]),
                terms=tuple(str(t) for t in data["terms"]),
                surface=tuple(str(s) for s in data["surface"]),
                idf=data["idf"].astype(np.float32),
                side=tuple(str(s) for s in data["side"]),
                coef=data["coef"].astype(np.float32),
                intercept=data["intercept"].astype(np.float32),
                meta=json.loads(str(data["meta"])),
            )


class ModelCategorizer:
    """Puts every paper in exactly one category with the trained model.

    The keyword rules still run: their evidence and verdict are features the model weighs.
    """

    def __init__(self, taxonomy: Taxonomy, model: LinearModel) -> None:
        if set(model.classes) != set(taxonomy.slugs):
            raise ValueError(f"The model's classes {sorted(model.classes)} are not the taxonomy's slugs.")
        self.taxonomy = taxonomy
        self.model = model
        self.rules = OfflineCategorizer(taxonomy)

    async def categorize(self, papers: Sequence[Paper], *, language: str = "en") -> list[CategoryAssignment]:
        """One assignment per paper, in input order, computed in a worker thread (see cpu.py);
        ``language`` is unused, as the model writes no text."""
        return await run_cpu_bound(lambda: [self.assign(paper) for paper in papers])

    def assign(self, paper: Paper) -> CategoryAssignment:
        """The most probable category, its probability, and the words and signals behind it."""
        side = side_features(paper, self.rules)
        rows, values = self.model.vector(paper_terms(paper), side)
        probabilities = self.model.probabilities(rows, values)
        column = int(np.argmax(probabilities))
        slug = self.model.classes[column]
        return CategoryAssignment(
            arxiv_id=paper.arxiv_id,
            slug=slug,
            score=round(float(probabilities[column]), 2),
            reason=_reason(self.model.cues(rows, values, column), paper, side, probability=probabilities[column]),
        )


def _reason(cues: list[str], paper: Paper, side: Mapping[str, float], *, probability: float) -> str:
    """Like "model 0.91: kv cache, quantization; arXiv cs.CL; rules: inference"."""
    parts = [f"model {probability:.2f}" + (": " + ", ".join(cues) if cues else "")]
    if paper.arxiv_categories:
        parts.append("arXiv " + ", ".join(paper.arxiv_categories))
    rule = next((name.split(":", 1)[1] for name in side if name.startswith("rule-choice:")), None)
    if rule:
        parts.append(f"rules: {rule}")
    return "; ".join(parts)


def shipped_model() -> LinearModel | None:
    """The packaged model, or ``None`` when this installation has none."""
    try:
        return LinearModel.load()
    except FileNotFoundError:
        return None


def make_offline_categorizer(taxonomy: Taxonomy, model: LinearModel | None = None) -> Categorizer:
    """The trained model when it was trained for this taxonomy's slugs, else the keyword rules.

    A team's own taxonomy (``DIGEST_TAXONOMY_FILE``) with other slugs keeps working: its
    keywords and priors drive :class:`OfflineCategorizer` exactly as before.
    """
    model = model or shipped_model()
    if model is None or set(model.classes) != set(taxonomy.slugs):
        return OfflineCategorizer(taxonomy)
    return ModelCategorizer(taxonomy, model)
