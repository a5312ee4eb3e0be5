"""The evaluation math, checked on examples small enough to compute by hand."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from digestbot.summarizer.evaluation import evaluate, format_report, read_labels

SLUGS = ["x", "y", "z"]


def test_scores_match_a_hand_computed_example() -> None:
    labels = {"a": "x", "b": "x", "c": "y", "d": "z"}
    predicted = {"a": "x", "b": "y", "c": "y", "d": "x"}

    result = evaluate(predicted, labels, SLUGS)

    # x: tp 1 of 2 predicted, 2 true -> P 0.5, R 0.5, F1 0.5
    # y: tp 1 of 2 predicted, 1 true -> P 0.5, R 1.0, F1 2/3
    # z: never predicted, 1 true     -> P 0, R 0, F1 0
    assert result.total == 4
    assert result.accuracy == pytest.approx(0.5)
    assert result.per_class["x"].precision == pytest.approx(0.5)
    assert result.per_class["x"].recall == pytest.approx(0.5)
    assert result.per_class["y"].f1 == pytest.approx(2 / 3)
    assert result.per_class["z"].f1 == 0.0
    assert result.per_class["z"].support == 1
    assert result.macro_f1 == pytest.approx((0.5 + 2 / 3 + 0.0) / 3)
    assert result.confusion == {
        "x": {"x": 1, "y": 1, "z": 0},
        "y": {"x": 0, "y": 1, "z": 0},
        "z": {"x": 1, "y": 0, "z": 0},
    }


def test_a_class_only_ever_predicted_counts_in_macro_f1() -> None:
    result = evaluate({"a": "y", "b": "x"}, {"a": "x", "b": "x"}, SLUGS)

    assert result.classes == ("x", "y")
    assert result.per_class["x"].f1 == pytest.approx(2 / 3)
    assert result.macro_f1 == pytest.approx((2 / 3 + 0.0) / 2)


def test_classes_absent_from_both_sides_are_left_out() -> None:
    result = evaluate({"a": "z"}, {"a": "z"}, SLUGS)

    assert result.classes == ("z",)
    assert result.accuracy == result.macro_f1 == 1.0


def test_predictions_for_unlabelled_papers_are_ignored() -> None:
    result = evaluate({"a": "x", "extra": "y"}, {"a": "x"}, SLUGS)

    assert result.total == 1
    assert result.classes == ("x",)


def test_a_labelled_paper_without_prediction_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"1 labelled paper.*no prediction: b"):
        evaluate({"a": "x"}, {"a": "x", "b": "y"}, SLUGS)


def test_an_unknown_slug_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"Unknown category slug.*'w'"):
        evaluate({"a": "w"}, {"a": "x"}, SLUGS)


def test_report_shows_summary_table_and_confusion() -> None:
    report = format_report(evaluate({"a": "x", "b": "y"}, {"a": "x", "b": "x"}, SLUGS))

    assert "accuracy: 0.500" in report
    assert "macro-F1: 0.333" in report
    lines = report.splitlines()
    confusion = lines[lines.index("confusion (rows: label, columns: predicted)") + 1 :]
    assert confusion[1].split() == ["x", "1", "1"]
    assert confusion[2].split() == ["y", "0", "0"]


def _write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_read_labels_normalizes_versions_and_skips_blank_lines(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "day.labels.jsonl",
        json.dumps({"id": "2606.26100v2", "label": "llm"}),
        "",
        json.dumps({"id": "2606.26612", "label": "cv"}),
    )

    assert read_labels(path).main == {"2606.26100": "llm", "2606.26612": "cv"}


def test_read_labels_keeps_the_acceptable_alternatives_without_the_main_label(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "day.labels.jsonl",
        json.dumps({"id": "2606.26100", "label": "rl", "acceptable": ["cv", "rl"]}),
        json.dumps({"id": "2606.26612", "label": "cv"}),
    )

    labels = read_labels(path)

    assert labels.main == {"2606.26100": "rl", "2606.26612": "cv"}
    assert labels.acceptable == {"2606.26100": frozenset({"cv"})}


@pytest.mark.parametrize(
    ("acceptable", "message"),
    [("cv", '"acceptable" must be a list'), (["robots"], r"unknown acceptable label\(s\) \['robots'\]")],
)
def test_read_labels_rejects_bad_acceptable_lists(tmp_path: Path, acceptable: object, message: str) -> None:
    path = _write(tmp_path / "bad.jsonl", json.dumps({"id": "2606.26100", "label": "llm", "acceptable": acceptable}))

    with pytest.raises(ValueError, match=rf"{re.escape(str(path))}:1: {message}"):
        read_labels(path)


def test_an_acceptable_prediction_counts_as_right_under_its_own_class() -> None:
    labels = {"a": "x", "b": "x", "c": "y"}
    predicted = {"a": "y", "b": "z", "c": "y"}

    result = evaluate(predicted, labels, SLUGS, acceptable={"a": {"y"}, "b": {"y"}})

    # a: y is acceptable -> right, counted as a y paper; b: z is not acceptable -> wrong.
    assert result.accuracy == pytest.approx(2 / 3)
    assert result.strict_accuracy == pytest.approx(1 / 3)
    assert result.accepted == 1
    assert result.confusion["y"]["y"] == 2 and result.confusion["x"]["z"] == 1
    assert result.per_class["y"].f1 == 1.0
    assert result.per_class["x"].recall == 0.0
    # Main labels alone: x has no hit, y is found with one false positive (F1 2/3), z is never right.
    assert result.macro_f1 == pytest.approx(1 / 3)
    assert result.strict_macro_f1 == pytest.approx((2 / 3) / 3)
    report = format_report(result)
    assert (
        "(1 right by an acceptable alternative label; on main labels alone: accuracy 0.333, macro-F1 0.222)" in report
    )


def test_read_labels_names_file_and_line_of_broken_json(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.jsonl", json.dumps({"id": "2606.26100", "label": "llm"}), "{oops")

    with pytest.raises(ValueError, match=rf"{re.escape(str(path))}:2: not JSON"):
        read_labels(path)


def test_read_labels_names_file_and_line_of_unknown_slug(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.jsonl", json.dumps({"id": "2606.26100", "label": "robots"}))

    with pytest.raises(ValueError, match=rf"{re.escape(str(path))}:1: unknown label 'robots'"):
        read_labels(path)


def test_read_labels_accepts_a_custom_slug_list(tmp_path: Path) -> None:
    path = _write(tmp_path / "custom.jsonl", json.dumps({"id": "2606.26100", "label": "astro"}))

    assert read_labels(path, slugs=["astro", "misc"]).main == {"2606.26100": "astro"}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (json.dumps(["2606.26100", "llm"]), "expected an object"),
        (json.dumps({"label": "llm"}), "expected an object"),
        (json.dumps({"id": "not-an-id", "label": "llm"}), "is not an arXiv id"),
    ],
)
def test_read_labels_rejects_malformed_records(tmp_path: Path, line: str, message: str) -> None:
    path = _write(tmp_path / "bad.jsonl", line)

    with pytest.raises(ValueError, match=rf"{re.escape(str(path))}:1: .*{message}"):
        read_labels(path)


def test_read_labels_rejects_conflicting_duplicates(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "dup.jsonl",
        json.dumps({"id": "2606.26100", "label": "llm"}),
        json.dumps({"id": "2606.26100v2", "label": "cv"}),
    )

    with pytest.raises(ValueError, match=rf"{re.escape(str(path))}:2: 2606.26100 is labelled twice"):
        read_labels(path)
