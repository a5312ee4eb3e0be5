"""Measuring a categorizer against human labels: accuracy, macro-F1, per-class scores, confusion.

Pure functions over ``{arxiv_id: slug}`` mappings, so the same code scores the offline
categorizer, an LLM categorizer or a team's own taxonomy, from the CLI or a benchmark script.
Macro-F1 is reported next to accuracy because a day's papers are dominated by two or three
categories: a categorizer that ignores the small ones can look accurate and still be useless.

A label file may list, beside a paper's main label, other categories a careful reader would also
accept (``"acceptable": ["cv"]`` for a driving world model labelled ``rl``): two annotators
disagree on such papers, so a prediction in that list counts as right. Scores are computed as if
the paper had been labelled with the accepted prediction, so per-class figures and the confusion
matrix agree with the accuracy.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from digestbot.summarizer.ids import InvalidArxivId, split_versioned_id
from digestbot.summarizer.taxonomy import load_taxonomy

_CORNER = "label \\ predicted"


@dataclass(frozen=True)
class Labels:
    """Hand labels: each paper's main category and the other categories also accepted for it."""

    main: dict[str, str]
    acceptable: dict[str, frozenset[str]]


@dataclass(frozen=True)
class ClassScores:
    """One category's scores; ``support`` is how many labelled papers belong to it."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Evaluation:
    """The result of comparing predictions with labels over the labelled papers.

    ``classes`` lists, in taxonomy order, every category present in the labels or the
    predictions; macro-F1 averages over exactly these, so a category that is predicted but
    never labelled (a pure false positive) still costs something. ``confusion[label][predicted]``
    counts papers, with every class present as a row and a column; a paper whose prediction was
    one of its acceptable alternatives counts under the prediction's row. ``accepted`` is how
    many papers were right only thanks to such an alternative; ``strict_accuracy`` and
    ``strict_macro_f1`` score the main labels alone, the figures two annotators' single labels
    would give (a later day may be labelled without alternatives).
    """

    total: int
    accuracy: float
    strict_accuracy: float
    accepted: int
    macro_f1: float
    strict_macro_f1: float
    classes: tuple[str, ...]
    per_class: dict[str, ClassScores]
    confusion: dict[str, dict[str, int]]


def evaluate(
    predicted: Mapping[str, str],
    labels: Mapping[str, str],
    slugs: Sequence[str],
    *,
    acceptable: Mapping[str, Collection[str]] | None = None,
) -> Evaluation:
    """Score ``predicted`` on the papers in ``labels`` (main labels), where a prediction listed in
    ``acceptable[paper_id]`` also counts as right.

    Every labelled paper must have a prediction: a missing one means the labels belong to
    another day (or the categorizer dropped a paper), and a silently smaller denominator would
    flatter the score. Unknown slugs are rejected for the same reason.
    """
    if not labels:
        raise ValueError("No labelled papers to evaluate.")
    missing = sorted(set(labels) - set(predicted))
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        raise ValueError(f"{len(missing)} labelled paper(s) have no prediction: {shown}.")
    accepted = acceptable or {}
    strict = sum(labels[paper_id] == predicted[paper_id] for paper_id in labels)
    pairs = [
        (predicted[paper_id] if predicted[paper_id] in accepted.get(paper_id, ()) else label, predicted[paper_id])
        for paper_id, label in labels.items()
    ]
    classes, per_class, confusion = _tabulate(pairs, slugs, labels=labels.values())
    strict_pairs = [(label, predicted[paper_id]) for paper_id, label in labels.items()]
    strict_per_class = _tabulate(strict_pairs, slugs, labels=labels.values())[1]
    correct = sum(confusion[slug][slug] for slug in classes)
    return Evaluation(
        total=len(pairs),
        accuracy=correct / len(pairs),
        strict_accuracy=strict / len(pairs),
        accepted=correct - strict,
        macro_f1=_macro_f1(per_class),
        strict_macro_f1=_macro_f1(strict_per_class),
        classes=classes,
        per_class=per_class,
        confusion=confusion,
    )


def _tabulate(
    pairs: Sequence[tuple[str, str]], slugs: Sequence[str], *, labels: Iterable[str]
) -> tuple[tuple[str, ...], dict[str, ClassScores], dict[str, dict[str, int]]]:
    """The classes present (taxonomy order), per-class scores and confusion of (truth, guess) pairs."""
    present = {slug for pair in pairs for slug in pair}
    unknown = sorted((present | set(labels)) - set(slugs))
    if unknown:
        raise ValueError(f"Unknown category slug(s) {unknown}; expected one of {list(slugs)}.")
    classes = tuple(slug for slug in slugs if slug in present)
    confusion = {truth: dict.fromkeys(classes, 0) for truth in classes}
    for truth, guess in pairs:
        confusion[truth][guess] += 1
    return classes, {slug: _class_scores(slug, confusion) for slug in classes}, confusion


def _macro_f1(per_class: Mapping[str, ClassScores]) -> float:
    """Mean F1 over the classes present in labels or predictions."""
    return sum(scores.f1 for scores in per_class.values()) / len(per_class)


def _class_scores(slug: str, confusion: Mapping[str, Mapping[str, int]]) -> ClassScores:
    """Precision, recall and F1 of one class; an empty denominator scores 0, never NaN."""
    true_positives = confusion[slug][slug]
    predicted = sum(row[slug] for row in confusion.values())
    support = sum(confusion[slug].values())
    precision = true_positives / predicted if predicted else 0.0
    recall = true_positives / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return ClassScores(precision=precision, recall=recall, f1=f1, support=support)


def format_report(evaluation: Evaluation) -> str:
    """A plain-text report (summary line, per-class table, confusion matrix) for a terminal."""
    width = max(len(_CORNER), *(len(slug) for slug in evaluation.classes))
    lines = [f"papers: {evaluation.total}   accuracy: {evaluation.accuracy:.3f}   macro-F1: {evaluation.macro_f1:.3f}"]
    if evaluation.accepted:
        lines.append(
            f"({evaluation.accepted} right by an acceptable alternative label; "
            f"on main labels alone: accuracy {evaluation.strict_accuracy:.3f}, "
            f"macro-F1 {evaluation.strict_macro_f1:.3f})"
        )
    lines += [
        "",
        f"{'category':<{width}}  precision  recall     f1  support",
    ]
    for slug in evaluation.classes:
        scores = evaluation.per_class[slug]
        lines.append(
            f"{slug:<{width}}  {scores.precision:9.3f}  {scores.recall:6.3f}  {scores.f1:5.3f}  {scores.support:7d}"
        )
    cell = max(5, *(len(slug) for slug in evaluation.classes))
    lines += ["", "confusion (rows: label, columns: predicted)"]
    lines.append(f"{_CORNER:<{width}}" + "".join(f" {slug:>{cell}}" for slug in evaluation.classes))
    for truth in evaluation.classes:
        row = evaluation.confusion[truth]
        lines.append(f"{truth:<{width}}" + "".join(f" {row[guess]:>{cell}d}" for guess in evaluation.classes))
    return "\n".join(lines)


def read_labels(path: Path, slugs: Iterable[str] | None = None) -> Labels:
    """Read a JSON Lines file of ``{"id": "2606.12345", "label": "llm"}`` records, each optionally
    with ``"acceptable": ["cv", …]``, the other categories a careful reader would also accept.

    ``slugs`` are the valid labels (default: the shipped taxonomy's). Any bad line stops the
    read with ``file:line`` in the message, because a label file is written by hand and a
    silently skipped line would quietly change the benchmark.
    """
    valid = set(slugs) if slugs is not None else set(load_taxonomy().slugs)
    labels = Labels(main={}, acceptable={})
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        paper_id, label, others = _parse_label_line(line, valid, where=f"{path}:{number}")
        if labels.main.get(paper_id, label) != label:
            raise ValueError(f"{path}:{number}: {paper_id} is labelled twice, differently.")
        labels.main[paper_id] = label
        if others:
            labels.acceptable[paper_id] = labels.acceptable.get(paper_id, frozenset()) | others
    return labels


def _parse_label_line(line: str, valid: set[str], *, where: str) -> tuple[str, str, frozenset[str]]:
    """One record -> (arXiv id without version, slug, other acceptable slugs), or a ValueError
    prefixed by ``where``."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"{where}: not JSON ({error.msg}).") from error
    if not isinstance(record, dict) or not isinstance(record.get("id"), str):
        raise ValueError(f'{where}: expected an object like {{"id": "2606.12345", "label": "llm"}}.')
    label = record.get("label")
    if label not in valid:
        raise ValueError(f"{where}: unknown label {label!r}; expected one of {sorted(valid)}.")
    others = record.get("acceptable", [])
    if not isinstance(others, list) or not all(isinstance(other, str) for other in others):
        raise ValueError(f'{where}: "acceptable" must be a list of category slugs, like ["cv", "multimodal"].')
    unknown = sorted(set(others) - valid)
    if unknown:
        raise ValueError(f"{where}: unknown acceptable label(s) {unknown}; expected one of {sorted(valid)}.")
    try:
        paper_id, _version = split_versioned_id(record["id"])
    except InvalidArxivId as error:
        raise ValueError(f"{where}: {error}") from error
    return paper_id, label, frozenset(others) - {label}
