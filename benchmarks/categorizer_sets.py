"""The hand-labelled sets behind the categorizer's training and its quality figures, in one place.

Imported by ``train_categorizer.py`` and ``categorizer_quality.py`` (run them from the repository
root; Python puts this directory on the import path), so the training days and the held-out
day can never drift apart between the two scripts. See ``benchmarks/labels/README.md``.

* **train** sets: the model is trained on them, and its hyper-parameters are chosen by
  leave-one-day-out cross-validation over them. Five are random samples of a day; the sixth
  (``2026-06-16`` supplement) was picked by title words (reinforcement, robot, policy,
  training, distillation, quantiz…) to give the rare classes more examples, so it is only
  ever trained on, never scored;
* **held-out** sets: never read by the training script. ``2026-06-29`` is a whole day, every
  paper of it labelled, the honest estimate for a day the model has never seen. The 80 older
  held-out papers of ``2026-06-30`` come from a training day, so they only say how the model
  does on unseen papers of a seen day.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from digestbot.summarizer.evaluation import Labels, read_labels
from digestbot.summarizer.models import Paper
from digestbot.summarizer.sources.jsonl import read_papers, sample_source

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "benchmarks" / "labels"
DATA = ROOT / "benchmarks" / "data"
FIXTURES = ROOT / "tests" / "fixtures"


@dataclass(frozen=True)
class LabelledSet:
    """Some labelled papers of one arXiv day, with every paper of that day (for IDF)."""

    name: str
    day: str
    papers: tuple[Paper, ...]
    labels: Labels
    random_sample: bool = True

    def labelled(self) -> list[Paper]:
        by_id = {paper.arxiv_id: paper for paper in self.papers}
        return [by_id[paper_id] for paper_id in self.labels.main]


def _day_file(day: str) -> tuple[Paper, ...]:
    if day == "2026-06-26":
        return tuple(sample_source().papers())
    if day == "2026-06-30":
        return tuple(read_papers(FIXTURES / "2026-06-30.jsonl"))
    return tuple(read_papers(DATA / f"{day}.jsonl"))


def _load(name: str, day: str, labels: Path, *, random_sample: bool = True) -> LabelledSet:
    papers = _day_file(day)
    return LabelledSet(name, day, papers, read_labels(labels), random_sample=random_sample)


def training_sets() -> list[LabelledSet]:
    """The labelled days the model learns from (780 papers of six days)."""
    return [
        _load("dev 2026-06-26", "2026-06-26", LABELS / "2026-06-26.labels.jsonl"),
        _load("dev 2026-06-30", "2026-06-30", LABELS / "2026-06-30.dev.labels.jsonl"),
        _load("dev 2026-06-24", "2026-06-24", LABELS / "2026-06-24.labels.jsonl"),
        _load("dev 2026-06-23", "2026-06-23", LABELS / "2026-06-23.labels.jsonl"),
        _load("dev 2026-06-17", "2026-06-17", LABELS / "2026-06-17.labels.jsonl"),
        _load(
            "supplement 2026-06-16",
            "2026-06-16",
            LABELS / "2026-06-16.supplement.labels.jsonl",
            random_sample=False,
        ),
    ]


def held_out_sets() -> list[LabelledSet]:
    """Never trained or tuned on: a whole unseen day, and the older held-out papers."""
    return [
        _load("held-out day 2026-06-29", "2026-06-29", LABELS / "2026-06-29.labels.jsonl"),
        _load("held-out papers of 2026-06-30", "2026-06-30", FIXTURES / "labels-2026-06-30.jsonl"),
    ]
