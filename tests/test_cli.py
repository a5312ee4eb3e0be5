"""The ``digestbot`` CLI end to end on the shipped sample day, through Typer's runner."""

from __future__ import annotations

import json
import logging
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from digestbot import __version__
from digestbot.app.cli import app
from digestbot.summarizer.sources.jsonl import sample_source

runner = CliRunner()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_digest_of_the_sample_day_writes_markdown_and_chart(tmp_path: Path) -> None:
    result = runner.invoke(app, ["digest", "--source", "sample", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    markdown = (tmp_path / "out" / "digest-2026-06-26.md").read_text()
    width, height = png_size((tmp_path / "out" / "digest-2026-06-26.png").read_bytes())
    assert 600 <= width <= 1600 and 300 <= height <= 900
    for paper in sample_source().listing().papers:
        assert markdown.count(f"({paper.abs_url})") == 1, paper.arxiv_id
    assert "Fetching papers" in result.stderr and "261 papers" in result.stderr


def test_quiet_mode_prints_only_the_written_paths(tmp_path: Path) -> None:
    result = runner.invoke(app, ["-q", "digest", "--source", "sample", "--out", str(tmp_path)])
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.split() == [str(tmp_path / "digest-2026-06-26.md"), str(tmp_path / "digest-2026-06-26.png")]


def test_korean_and_category_filter(tmp_path: Path) -> None:
    result = runner.invoke(app, ["digest", "-s", "sample", "-o", str(tmp_path), "--lang", "ko", "-c", "llm,cv"])
    assert result.exit_code == 0, result.output
    markdown = (tmp_path / "digest-2026-06-26.md").read_text()
    assert "**요약:**" in markdown
    assert [line for line in markdown.splitlines() if line.startswith("## ")] == ["## Computer Vision", "## LLM"]


def test_unknown_category_suggests_the_closest(tmp_path: Path) -> None:
    result = runner.invoke(app, ["digest", "-s", "sample", "-o", str(tmp_path), "-c", "lmm"])
    assert result.exit_code == 1
    assert "did you mean `llm`?" in result.stderr
    assert not list(tmp_path.glob("*.md"))


def test_bad_jsonl_line_is_reported_with_file_and_line(tmp_path: Path) -> None:
    papers = tmp_path / "2026-07-01.jsonl"
    good = {"id": "2607.00001", "title": "T", "abstract": "A."}
    papers.write_text(json.dumps(good) + "\n{oops\n")
    result = runner.invoke(app, ["digest", "--source", str(papers), "-o", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{papers}:2: not a paper" in result.stderr


def test_wrong_date_for_a_file_and_future_dates_are_explained(tmp_path: Path) -> None:
    result = runner.invoke(app, ["digest", "-s", "sample", "--date", "2026-06-30", "-o", str(tmp_path)])
    assert result.exit_code == 1 and "holds the papers of 2026-06-26" in result.stderr
    result = runner.invoke(app, ["digest", "-s", "sample", "--date", "2999-01-01", "-o", str(tmp_path)])
    assert result.exit_code == 1 and "in the future" in result.stderr
    result = runner.invoke(app, ["digest", "-s", "sample", "--date", "0001-01-01", "-o", str(tmp_path)])
    assert result.exit_code == 1 and "before arXiv's first announcement (1991-08-14)" in result.stderr
    assert "Traceback" not in result.stderr
    result = runner.invoke(app, ["digest", "-s", "sample", "--date", "26/06/2026", "-o", str(tmp_path)])
    assert result.exit_code == 1 and "YYYY-MM-DD" in result.stderr


def test_paper_prints_a_summary_and_rejects_malformed_ids() -> None:
    result = runner.invoke(app, ["paper", "https://arxiv.org/abs/2606.26139v2", "--source", "sample"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Multiscale Exit-Join Dynamics")
    assert "TL;DR" in result.stdout
    bad = runner.invoke(app, ["paper", "not-an-id", "--source", "sample"])
    assert bad.exit_code == 1 and "is not an arXiv id" in bad.stderr


def test_invalid_setting_names_the_variable(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DIGEST_LANGUAGE", "Korean!")
    result = runner.invoke(app, ["digest", "-s", "sample"])
    assert result.exit_code == 1 and "DIGEST_LANGUAGE" in result.stderr


def test_categories_and_version() -> None:
    listing = runner.invoke(app, ["categories"])
    assert listing.exit_code == 0 and listing.stdout.splitlines()[0].startswith("inference")
    version = runner.invoke(app, ["--version"])
    assert version.stdout.strip() == f"digestbot {__version__}"


def test_the_installed_console_script_runs() -> None:
    executable = Path(sys.executable).parent / "digestbot"
    completed = subprocess.run([str(executable), "--help"], capture_output=True, text=True, timeout=30)
    assert completed.returncode == 0
    assert "digest" in completed.stdout and "chat" in completed.stdout


def test_a_built_digest_is_kept_and_searchable(tmp_path: Path) -> None:
    assert runner.invoke(app, ["-q", "digest", "--source", "sample", "--out", str(tmp_path)]).exit_code == 0
    found = runner.invoke(app, ["search", "Multiscale Exit-Join coalition"])
    assert found.exit_code == 0, found.output
    assert "2606.26139" in found.stdout and "https://arxiv.org/abs/2606.26139" in found.stdout


def test_dry_run_without_a_model_spends_nothing(tmp_path: Path) -> None:
    result = runner.invoke(app, ["digest", "--source", "sample", "--dry-run", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "no model calls" in result.stdout
    assert not list(tmp_path.glob("*.md"))


def test_eval_scores_the_offline_categorizer_on_the_shipped_labelled_day(project_root: Path) -> None:
    labels = project_root / "benchmarks" / "labels" / "2026-06-26.labels.jsonl"
    result = runner.invoke(app, ["eval", "--labels", str(labels), "--source", "sample"])
    assert result.exit_code == 0, result.output
    assert "papers: 110" in result.stdout and "macro-F1" in result.stdout


SLACK_TOKEN = "xoxb-cli-test-not-a-real-token"
OPENAI_KEY = "sk-cli-test-not-a-real-key"
DB_PASSWORD = "p@ss-cli-test"  # written percent-encoded in DATABASE_URL


@pytest.fixture
def secrets_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", SLACK_TOKEN)
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://bot:p%40ss-cli-test@db.invalid:5432/digestbot")


@pytest.fixture
def careless_command() -> Iterator[str]:
    """A command that logs what a careless library might: the configured secrets, in a message
    and in a traceback (the real commands log no secret; this checks the net under them)."""

    @app.command("careless")
    def careless() -> None:
        log = logging.getLogger("some.library")
        log.debug("request headers: Authorization: Bearer %s", OPENAI_KEY)
        log.warning("calling Slack with %s", SLACK_TOKEN)
        try:
            raise ConnectionError(f"postgresql://bot:p%40ss-cli-test@db failed; password {DB_PASSWORD} rejected")
        except ConnectionError:
            log.exception("connect failed")

    yield "careless"
    app.registered_commands.pop()


@pytest.mark.parametrize("verbose", [False, True], ids=["default", "verbose"])
def test_every_command_redacts_secrets_in_its_logs(
    secrets_in_the_environment: None, careless_command: str, verbose: bool
) -> None:
    result = runner.invoke(app, ["-v", careless_command] if verbose else [careless_command])

    assert result.exit_code == 0, result.output
    assert "calling Slack with [redacted]" in result.stderr
    assert "postgresql://bot:[redacted]@db failed; password [redacted] rejected" in result.stderr
    assert ("Authorization: Bearer [redacted]" in result.stderr) is verbose  # debug only with -v
    for secret in (SLACK_TOKEN, OPENAI_KEY, DB_PASSWORD, "p%40ss-cli-test"):
        assert secret not in result.output


def test_json_logs_for_a_one_shot_command(
    secrets_in_the_environment: None, careless_command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOG_FORMAT", "json")

    result = runner.invoke(app, [careless_command])

    entries = [json.loads(line) for line in result.stderr.splitlines()]
    assert [entry["message"] for entry in entries] == ["calling Slack with [redacted]", "connect failed"]
    assert "ConnectionError: postgresql://bot:[redacted]@db" in entries[1]["error"]


def test_a_database_url_too_malformed_to_parse_still_has_its_password_redacted(
    secrets_in_the_environment: None, careless_command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://bot:p%40ss-cli-test@[db/digestbot")

    result = runner.invoke(app, [careless_command])

    assert result.exit_code == 0, result.output
    assert "postgresql://bot:[redacted]@db failed; password [redacted] rejected" in result.stderr
