"""Batch API mode: requests go through /v1/files and /v1/batches, or directly after the deadline."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from digestbot.app.factory import make_gateway
from digestbot.bot.config import load_settings
from digestbot.summarizer.llm.batch import BatchQueue
from digestbot.summarizer.llm.categorizer import LlmCategorizer
from digestbot.summarizer.llm.gateway import GatewayConfig, LlmGateway, open_client
from digestbot.summarizer.llm.ports import MemoryResponseCache, MemoryUsageLedger
from digestbot.summarizer.llm.prices import PriceTable
from digestbot.summarizer.models import Paper
from digestbot.summarizer.sources.jsonl import read_papers
from digestbot.summarizer.taxonomy import load_taxonomy
from tests.fakes.openai_server import FakeOpenAIServer

FIXTURE = Path(__file__).parent / "fixtures" / "2026-06-30.jsonl"
MODELS = {"categorize": "gpt-4o-mini", "summarize": "gpt-4o-mini", "answer": "gpt-4o-mini"}


def papers(count: int) -> list[Paper]:
    return read_papers(FIXTURE)[:count]


def batch_gateway(server: FakeOpenAIServer, *, wait: float, ledger: MemoryUsageLedger) -> tuple[LlmGateway, BatchQueue]:
    client = open_client(base_url=server.url, api_key="sk-test", timeout=10)
    queue = BatchQueue(
        client,
        deadline=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=wait),
        collect_seconds=0.05,
        poll_seconds=0.05,
    )
    gateway = LlmGateway(
        client,
        config=GatewayConfig(models=MODELS, base_url=server.url),
        cache=MemoryResponseCache(),
        ledger=ledger,
        batcher=queue,
    )
    return gateway, queue


async def test_requests_issued_together_become_one_batch_at_half_price() -> None:
    ledger = MemoryUsageLedger()
    with FakeOpenAIServer(batch_completes_after=0.1) as server:
        gateway, queue = batch_gateway(server, wait=30, ledger=ledger)
        assignments = await LlmCategorizer(gateway, load_taxonomy()).categorize(papers(60))

    assert len(assignments) == 60
    assert not any(a.reason.startswith("offline") for a in assignments)
    assert server.chat_requests() == []  # nothing went directly
    assert len(queue.submitted) == 1
    upload = next(r for r in server.requests if r.path == "/v1/files")
    assert upload.body.count(b'"custom_id"') == 3  # 25 + 25 + 10 papers
    batch = next(r for r in server.requests if r.path == "/v1/batches")
    assert batch.body["endpoint"] == "/v1/chat/completions" and batch.body["completion_window"] == "24h"
    for record in ledger.records:
        full = PriceTable().cost(
            "gpt-4o-mini",
            prompt_tokens=record.prompt_tokens,
            cached_tokens=record.cached_tokens,
            completion_tokens=record.completion_tokens,
        )
        assert record.cost_usd == full / 2


async def test_a_batch_not_done_by_the_deadline_is_cancelled_and_called_directly() -> None:
    ledger = MemoryUsageLedger()
    with FakeOpenAIServer(batch_completes_after=None) as server:
        gateway, queue = batch_gateway(server, wait=0.3, ledger=ledger)
        assignments = await LlmCategorizer(gateway, load_taxonomy()).categorize(papers(30))
        assert not queue.accepting()

    assert len(assignments) == 30
    assert not any(a.reason.startswith("offline") for a in assignments)
    assert server.cancelled_batches == queue.submitted
    assert len(server.chat_requests("CategorizationBatch")) == 2


async def test_a_server_without_the_batch_api_switches_batch_mode_off() -> None:
    with FakeOpenAIServer(batches_supported=False) as server:
        gateway, queue = batch_gateway(server, wait=30, ledger=MemoryUsageLedger())
        assignments = await LlmCategorizer(gateway, load_taxonomy()).categorize(papers(30))
        assert not queue.accepting()
    assert len(assignments) == 30
    assert len(server.chat_requests()) == 2


async def test_the_factory_uses_batches_only_in_batch_mode_with_a_deadline() -> None:
    deadline = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)
    settings = load_settings(openai_api_key="sk-test", llm_batch_mode=True)
    assert make_gateway(settings, batch_deadline=deadline).batcher is not None
    assert make_gateway(settings).batcher is None
    assert make_gateway(load_settings(openai_api_key="sk-test"), batch_deadline=deadline).batcher is None
