"""``digestbot eval``, ``digestbot cost`` and the dry-run estimate, through Typer's runner."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from digestbot.app.cli_eval import dry_run_report, register, usage_line
from digestbot.app.factory import make_digest_service, make_gateway
from digestbot.app.wiring import llm_stores
from digestbot.bot.config import load_settings
from digestbot.summarizer.sources.jsonl import JsonlSource
from tests.fakes.openai_server import FakeOpenAIServer

FIXTURES = Path(__file__).parent / "fixtures"
PAPERS = FIXTURES / "2026-06-30.jsonl"
LABELS = FIXTURES / "labels-2026-06-30.jsonl"

runner = CliRunner()
app = typer.Typer()
register(app)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        yield fake


def test_eval_scores_the_offline_categorizer_without_a_key() -> None:
    result = runner.invoke(app, ["eval", "--labels", str(LABELS), "--source", str(PAPERS)])
    assert result.exit_code == 0, result.output
    assert "categorizer: the offline categorizer" in result.stdout
    assert "papers: 80   accuracy:" in result.stdout and "macro-F1" in result.stdout
    assert "confusion" in result.stdout


def test_eval_scores_the_llm_categorizer_and_records_its_cost(server: FakeOpenAIServer) -> None:
    result = runner.invoke(app, ["eval", "--labels", str(LABELS), "--source", str(PAPERS)])

    assert result.exit_code == 0, result.output
    assert "categorizer: the LLM categorizer (gpt-4o-mini)" in result.stdout
    assert "papers: 80" in result.stdout
    assert len(server.chat_requests("CategorizationBatch")) == 4  # 80 labelled papers, 25 per call
    assert "LLM usage" in result.stderr and "4 calls" in result.stderr

    cost = runner.invoke(app, ["cost"])
    assert cost.exit_code == 0, cost.output
    categorize = next(line for line in cost.stdout.splitlines() if line.startswith("categorize"))
    assert categorize.split()[1:3] == ["4", "0"]

    again = runner.invoke(app, ["eval", "--labels", str(LABELS), "--source", str(PAPERS)])
    assert again.exit_code == 0
    assert len(server.chat_requests()) == 4  # the database cache answered the second run


def test_eval_counts_an_acceptable_alternative_as_right_and_reports_per_class_scores(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    lines = [
        # Labelled "rl" but every other category accepted: whatever the categorizer says is right.
        '{"id": "2606.28729", "label": "rl", "acceptable": '
        '["inference", "cv", "llm", "general", "healthcare", "multimodal", "training"]}',
        '{"id": "2606.28926", "label": "llm"}',
    ]
    labels.write_text("\n".join(lines) + "\n")

    result = runner.invoke(app, ["eval", "--labels", str(labels), "--source", str(PAPERS)])

    assert result.exit_code == 0, result.output
    assert "1 right by an acceptable alternative label" in result.stdout
    assert "precision  recall     f1  support" in result.stdout
    assert "confusion (rows: label, columns: predicted)" in result.stdout
    header = next(line for line in result.stdout.splitlines() if line.startswith("label \\ predicted"))
    assert "rl" not in header.split()  # the accepted paper counts under its predicted category


def test_eval_rejects_an_unknown_acceptable_category(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"id": "2606.28729", "label": "llm", "acceptable": ["astro"]}\n')
    result = runner.invoke(app, ["eval", "--labels", str(labels), "--source", str(PAPERS)])
    assert result.exit_code == 1
    assert "labels.jsonl:1: unknown acceptable label(s) ['astro']" in result.stderr


def test_eval_names_labelled_papers_missing_from_the_source(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"id": "2606.99999", "label": "llm"}\n')
    result = runner.invoke(app, ["eval", "--labels", str(labels), "--source", str(PAPERS)])
    assert result.exit_code == 1
    assert "1 labelled paper(s) are not in" in result.stderr and "2606.99999" in result.stderr


def test_cost_rejects_a_bad_date() -> None:
    result = runner.invoke(app, ["cost", "--date", "yesterday"])
    assert result.exit_code == 1 and "is not a date" in result.stderr


def test_a_dry_run_counts_calls_and_tokens_without_calling(server: FakeOpenAIServer, tmp_path: Path) -> None:
    settings = load_settings()
    cache, ledger = llm_stores(settings)
    gateway = make_gateway(settings, cache=cache, ledger=ledger)
    service = make_digest_service(settings, source=JsonlSource(PAPERS), gateway=gateway)

    before = asyncio.run(dry_run_report(service))
    assert server.chat_requests() == []
    assert before.startswith("Dry run for 2026-06-30 (532 papers): ")
    calls = int(before.split(": ")[1].split()[0])
    assert calls >= 22 + 8  # 532 papers / 25 per categorize call, then one summary per category at least
    assert "(0 more answered from the cache)" in before and "prompt + " in before

    asyncio.run(service.digest())
    after = asyncio.run(dry_run_report(service))
    assert ": 0 model calls (" in after  # every request of the build is now in the cache
    assert usage_line(ledger).startswith("LLM usage ")


def test_a_dry_run_with_the_offline_back_end_says_it_costs_nothing() -> None:
    service = make_digest_service(load_settings(), source=JsonlSource(PAPERS))
    assert "no model calls" in asyncio.run(dry_run_report(service))
