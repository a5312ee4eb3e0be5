"""Notability and TL;DRs come from the batched categorize call: real ``openai`` client, local fake."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from digestbot.app.factory import make_backends, make_gateway
from digestbot.bot.config import load_settings
from digestbot.summarizer.llm.categorizer import LlmCategorizer
from digestbot.summarizer.llm.gateway import LlmGateway
from digestbot.summarizer.llm.ports import MemoryResponseCache, MemoryUsageLedger
from digestbot.summarizer.llm.prompts import CATEGORIZE_VERSION
from digestbot.summarizer.models import Digest, Paper
from digestbot.summarizer.pipeline import build_digest
from digestbot.summarizer.sources.base import Listing
from digestbot.summarizer.sources.jsonl import read_papers
from digestbot.summarizer.taxonomy import load_taxonomy
from tests.fakes.openai_server import ChatRequest, FakeOpenAIServer, categorize_by_keywords, default_brain

FIXTURE = Path(__file__).parent / "fixtures" / "2026-06-30.jsonl"
TASKS_BEFORE_RANKING = {"CategorizationBatch", "CategoryDigest", "ChunkNotes", "CategoryReduce", "SentenceRewrites"}


@pytest.fixture(scope="module")
def day_papers() -> list[Paper]:
    return read_papers(FIXTURE)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


def gateway_for(server: FakeOpenAIServer) -> LlmGateway:
    settings = load_settings(openai_base_url=server.url, openai_api_key="sk-test")
    return make_gateway(settings, cache=MemoryResponseCache(), ledger=MemoryUsageLedger())


async def llm_digest(server: FakeOpenAIServer, papers: list[Paper], *, language: str = "en") -> Digest:
    taxonomy = load_taxonomy()
    settings = load_settings(openai_base_url=server.url, openai_api_key="sk-test")
    categorizer, summarizer = make_backends(settings, taxonomy, gateway=gateway_for(server))
    listing = Listing(date=dt.date(2026, 6, 30), papers=papers, source="test")
    return await build_digest(
        listing, taxonomy=taxonomy, categorizer=categorizer, summarizer=summarizer, language=language
    )


async def test_the_categorize_call_rates_notability_and_writes_tldrs_at_no_extra_call(
    server: FakeOpenAIServer, day_papers: list[Paper]
) -> None:
    papers = day_papers[:60]

    digest = await llm_digest(server, papers)

    assert server.tasks()["CategorizationBatch"] == 3  # 25 + 25 + 10, as before ranking
    assert set(server.tasks()) <= TASKS_BEFORE_RANKING
    schema = server.chat_requests("CategorizationBatch")[0].body["response_format"]["json_schema"]["schema"]
    assert {"notability", "tldr"} <= set(schema["$defs"]["PaperCategory"]["required"])
    assert set(digest.tldrs) == {p.arxiv_id for p in papers}
    assert all(1 <= (a.notability or 0) <= 10 for a in digest.assignments)
    assert all(any(r.startswith("model notability ") for r in rank.reasons) for rank in digest.ranks)
    assert [r.score for r in digest.ranks] == sorted((r.score for r in digest.ranks), reverse=True)


async def test_tldrs_are_asked_in_the_digest_language_under_a_new_prompt_version(
    server: FakeOpenAIServer, day_papers: list[Paper]
) -> None:
    await LlmCategorizer(gateway_for(server), load_taxonomy()).categorize(day_papers[:5], language="ko")

    system = server.chat_requests("CategorizationBatch")[0].body["messages"][0]["content"]
    assert 'Write "tldr" in Korean' in system
    assert "at most 20 words" in system  # a TL;DR a daily post can show dozens of
    assert CATEGORIZE_VERSION == "categorize/3"


async def test_a_tldr_with_an_invented_number_is_dropped_not_shown(day_papers: list[Paper]) -> None:
    def inventing(request: ChatRequest) -> dict[str, Any] | str:
        if request.task != "CategorizationBatch":
            return default_brain(request)
        reply = categorize_by_keywords(request)
        reply["items"][0]["tldr"] = "It is 987.6x faster than everything."
        return reply

    with FakeOpenAIServer(brain=inventing) as server:
        assignments = await LlmCategorizer(gateway_for(server), load_taxonomy()).categorize(day_papers[:3])

    assert assignments[0].tldr == ""
    assert assignments[0].notability is not None
    assert all(a.tldr for a in assignments[1:])


async def test_the_fake_refuses_a_reply_without_the_new_fields_and_no_paper_is_lost(day_papers: list[Paper]) -> None:
    def forgetful(request: ChatRequest) -> dict[str, Any] | str:
        reply = default_brain(request)
        if request.task == "CategorizationBatch" and isinstance(reply, dict):
            for item in reply["items"]:
                del item["tldr"]
        return reply

    with FakeOpenAIServer(brain=forgetful) as server:
        settings = load_settings(openai_base_url=server.url, openai_api_key="sk-test", llm_max_retries=0)
        gateway = make_gateway(settings, cache=MemoryResponseCache(), ledger=MemoryUsageLedger())
        assignments = await LlmCategorizer(gateway, load_taxonomy()).categorize(day_papers[:4])

    assert len(assignments) == 4
    assert all(a.reason.startswith("offline fallback") and a.notability is None for a in assignments)
