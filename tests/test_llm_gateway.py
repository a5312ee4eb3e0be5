"""The LLM gateway against a local OpenAI-compatible server, through the real ``openai`` client."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator

import pytest

from digestbot.summarizer.llm.gateway import (
    BudgetExceeded,
    GatewayConfig,
    InvalidOutput,
    LlmGateway,
    LlmUnavailable,
    open_client,
)
from digestbot.summarizer.llm.ports import MemoryResponseCache, MemoryUsageLedger
from digestbot.summarizer.llm.prices import PriceTable
from digestbot.summarizer.llm.prompts import Prompt, paper_prompt
from digestbot.summarizer.llm.schemas import PaperDigest
from digestbot.summarizer.models import Paper
from tests.fakes.openai_server import FakeOpenAIServer, Fault

MODELS = {"categorize": "gpt-4o-mini", "summarize": "gpt-4o-mini", "answer": "gpt-4o"}
PAPER = Paper(
    arxiv_id="2409.14674",
    title="INT-FlashAttention: Enabling Flash Attention for INT8 Quantization",
    abstract="We propose INT-FlashAttention. It achieves 72% faster inference and 82% smaller quantization error.",
)


class Sleeps:
    """Records the waits the gateway asks for and returns at once, so no test sleeps for real."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


def gateway_for(
    server: FakeOpenAIServer,
    *,
    sleeps: Sleeps | None = None,
    api_key: str = "sk-test",
    timeout: float = 10.0,
    ledger: MemoryUsageLedger | None = None,
    cache: MemoryResponseCache | None = None,
    today: dt.date = dt.date(2026, 6, 30),
    **config: object,
) -> LlmGateway:
    settings = {"models": MODELS, "base_url": server.url, **config}
    return LlmGateway(
        open_client(base_url=server.url, api_key=api_key, timeout=timeout),
        config=GatewayConfig(**settings),  # type: ignore[arg-type]
        cache=cache if cache is not None else MemoryResponseCache(),
        ledger=ledger if ledger is not None else MemoryUsageLedger(),
        sleep=sleeps or Sleeps(),
        today=lambda: today,
    )


async def test_a_call_asks_for_a_strict_json_schema_and_returns_the_validated_model(server: FakeOpenAIServer) -> None:
    gateway = gateway_for(server)
    result = await gateway.complete(paper_prompt(PAPER, language="en"), PaperDigest, stage="summarize")

    assert isinstance(result, PaperDigest)
    assert result.tldr == "We propose INT-FlashAttention."
    (request,) = server.chat_requests()
    body = request.body
    assert body["model"] == "gpt-4o-mini"
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "PaperDigest"
    assert body["response_format"]["json_schema"]["strict"] is True
    assert body["response_format"]["json_schema"]["schema"]["additionalProperties"] is False
    assert [m["role"] for m in body["messages"]] == ["system", "user"]


async def test_each_stage_uses_its_own_model(server: FakeOpenAIServer) -> None:
    gateway = gateway_for(server)
    await gateway.complete(paper_prompt(PAPER, language="en"), PaperDigest, stage="answer")
    assert server.chat_requests()[0].body["model"] == "gpt-4o"


async def test_a_429_is_retried_after_the_retry_after_the_server_asked_for(server: FakeOpenAIServer) -> None:
    sleeps = Sleeps()
    gateway = gateway_for(server, sleeps=sleeps)
    server.fail_next(Fault.http(429, retry_after=2))

    result = await gateway.complete(paper_prompt(PAPER, language="en"), PaperDigest, stage="summarize")

    assert result.tldr
    assert len(server.chat_requests()) == 2
    assert any(2.0 <= wait <= 2.2 for wait in sleeps.waits), sleeps.waits


@pytest.mark.parametrize("retry_after", [float("nan"), float("inf"), 1e308])
async def test_an_untrusted_retry_after_gives_a_finite_wait(server: FakeOpenAIServer, retry_after: float) -> None:
    """``Retry-After: nan`` once made the gateway sleep forever, holding the build's lock."""
    sleeps = Sleeps()
    gateway = gateway_for(server, sleeps=sleeps)
    server.fail_next(Fault.http(429, retry_after=retry_after))

    await gateway.complete(paper_prompt(PAPER, language="en"), PaperDigest, stage="summarize")

    assert sleeps.waits and all(0.0 <= wait <= 150.0 for wait in sleeps.waits), sleeps.waits


async def test_server_errors_are_retried_with_growing_backoff(server: FakeOpenAIServer) -> None:
    sleeps = Sleeps()
    gateway = gateway_for(server, sleeps=sleeps, backoff_seconds=1.0)
    server.fail_next(Fault.http(500), Fault.http(503), Fault.http(502))

    await gateway.complete(paper_prompt(PAPER, language="en"), PaperDigest, stage="summarize")

    assert len(server.chat_requests()) == 4
    first, second, third = sleeps.waits
    assert 0.5 <= first <= 1.0 and 1.0 <= second <= 2.0 and 2.0 <= third <= 4.0


async def test_it_gives_up_after_max_retries_with_a_typed_error(server: FakeOpenAIServer) -> None:
    gateway = gateway_for(server, max_retries=2)
    server.fail_next(*[Fault.http(500)] * 3)

    with pytest.raises(LlmUnavailable, match="HTTP 500 after 3 attempts"):
        await gateway.complete(paper_prompt(PAPER, language="en"), PaperDigest, stage="summarize")
    assert len(server.chat_requests()) == 3


async def test_a_timeout_is_retried(server: FakeOpenAIServer) -> None:
    server.latency = 0.5
    gateway = gateway_for(server, timeout=0.1, max_retries=1)

    with pytest.raises(LlmUnavailable, match="timed out"):
        await gateway.complete(paper_prompt(PAPER, language="en"), PaperDigest, stage="summarize")
    assert len(server.chat_requests()) == 2


async def test_a_rejected_key_is_not_retried_and_never_shown(server: FakeOpenAIServer) -> None:
    server.api_key = "sk-right"
    gateway = gateway_for(server, api_key="sk-wrong-but-secret")

    with pytest.raises(LlmUnavailable) as caught:
        await gateway.complete(paper_prompt(PAPER, language="en"), PaperDigest, stage="summarize")

    assert len(server.chat_requests()) == 1
    assert "401" in str(caught.value)
    assert "sk-" not in str(caught.value)


async def test_invalid_output_is_asked_again_once_with_the_reason(server: FakeOpenAIServer) -> None:
    gateway = gateway_for(server)
    server.fail_next(Fault.content("this is not JSON"))

    result = await gateway.complete(paper_prompt(PAPER, language="en"), PaperDigest, stage="summarize")

    assert result.tldr
    _, second = server.chat_requests()
    assert len(second.body["messages"]) == 3
    assert "rejected" in second.body["messages"][-1]["content"]


async def test_invalid_output_twice_raises_invalid_output(server: FakeOpenAIServer) -> None:
    gateway = gateway_for(server)
    server.fail_next(Fault.content("nope"), Fault.content('{"tldr": 3}'))

    with pytest.raises(InvalidOutput):
        await gateway.complete(paper_prompt(PAPER, language="en"), PaperDigest, stage="summarize")
    assert len(server.chat_requests()) == 2


async def test_a_fenced_json_reply_is_accepted(server: FakeOpenAIServer) -> None:
    gateway = gateway_for(server)
    server.fail_next(Fault.content('```json\n{"tldr": "t", "key_points": [], "keywords": []}\n```'))
    result = await gateway.complete(paper_prompt(PAPER, language="en"), PaperDigest, stage="summarize")
    assert result.tldr == "t"


async def test_a_cache_hit_costs_no_call_and_is_ledgered_at_zero(server: FakeOpenAIServer) -> None:
    ledger = MemoryUsageLedger()
    gateway = gateway_for(server, ledger=ledger)
    prompt = paper_prompt(PAPER, language="en")

    first = await gateway.complete(prompt, PaperDigest, stage="summarize")
    second = await gateway.complete(prompt, PaperDigest, stage="summarize")

    assert first == second
    assert len(server.chat_requests()) == 1
    call, hit = ledger.records
    assert not call.cache_hit and call.prompt_tokens > 0 and call.cost_usd > 0
    assert hit.cache_hit and hit.prompt_tokens == hit.completion_tokens == 0 and hit.cost_usd == 0
    totals = ledger.totals(dt.date(2026, 6, 30))
    assert (totals.calls, totals.cache_hits) == (1, 1)


async def test_the_cache_key_covers_model_prompt_version_and_language(server: FakeOpenAIServer) -> None:
    gateway = gateway_for(server)
    english = paper_prompt(PAPER, language="en")
    keys = {
        gateway.cache_key(english, PaperDigest, stage="summarize"),
        gateway.cache_key(english, PaperDigest, stage="answer"),  # another model
        gateway.cache_key(paper_prompt(PAPER, language="ko"), PaperDigest, stage="summarize"),
        gateway.cache_key(Prompt("paper/2", english.system, english.user), PaperDigest, stage="summarize"),
    }
    assert len(keys) == 4


async def test_usage_counts_cached_prompt_tokens_at_the_cached_price(server: FakeOpenAIServer) -> None:
    ledger = MemoryUsageLedger()
    gateway = gateway_for(server, ledger=ledger)
    long_rules = "Fixed instructions. " * 400  # over 1,024 tokens: the provider caches the prefix
    for user in ("first", "second"):
        await gateway.complete(
            Prompt("test/1", long_rules, paper_prompt(PAPER, language="en").user + user), PaperDigest, stage="summarize"
        )
    cold, warm = ledger.records
    assert cold.cached_tokens == 0 and warm.cached_tokens > 1000
    assert warm.cost_usd < cold.cost_usd
    expected = PriceTable().cost(
        "gpt-4o-mini",
        prompt_tokens=warm.prompt_tokens,
        cached_tokens=warm.cached_tokens,
        completion_tokens=warm.completion_tokens,
    )
    assert warm.cost_usd == pytest.approx(expected)


async def test_an_unknown_model_costs_nothing_and_is_logged_once(
    server: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = MemoryUsageLedger()
    gateway = gateway_for(server, ledger=ledger, models={**MODELS, "summarize": "llama3.1:8b"})
    caplog.set_level(logging.WARNING)
    for language in ("en", "ko"):
        await gateway.complete(paper_prompt(PAPER, language=language), PaperDigest, stage="summarize")
    assert [r.cost_usd for r in ledger.records] == [0.0, 0.0]
    assert all(r.prompt_tokens > 0 for r in ledger.records)
    assert sum("llama3.1:8b" in m for m in caplog.messages) == 1


async def test_the_token_budget_stops_spending_until_the_next_day(server: FakeOpenAIServer) -> None:
    ledger = MemoryUsageLedger()
    gateway = gateway_for(server, ledger=ledger, daily_budget_tokens=10)
    await gateway.complete(paper_prompt(PAPER, language="en"), PaperDigest, stage="summarize")

    with pytest.raises(BudgetExceeded):
        await gateway.complete(paper_prompt(PAPER, language="ko"), PaperDigest, stage="summarize")
    assert len(server.chat_requests()) == 1
    assert gateway.budget_exhausted
    # Cached answers are free, so they are still served.
    await gateway.complete(paper_prompt(PAPER, language="en"), PaperDigest, stage="summarize")

    tomorrow = gateway_for(server, ledger=ledger, daily_budget_tokens=10, today=dt.date(2026, 7, 1))
    await tomorrow.complete(paper_prompt(PAPER, language="ko"), PaperDigest, stage="summarize")
    assert len(server.chat_requests()) == 2


async def test_the_usd_budget_stops_spending(server: FakeOpenAIServer) -> None:
    gateway = gateway_for(server, daily_budget_usd=0.0000001)
    await gateway.complete(paper_prompt(PAPER, language="en"), PaperDigest, stage="summarize")
    with pytest.raises(BudgetExceeded):
        await gateway.complete(paper_prompt(PAPER, language="ko"), PaperDigest, stage="summarize")


async def test_a_server_without_json_schema_mode_is_detected_once_and_remembered() -> None:
    with FakeOpenAIServer(json_schema_supported=False) as server:
        gateway = gateway_for(server)
        first = await gateway.complete(paper_prompt(PAPER, language="en"), PaperDigest, stage="summarize")
        await gateway.complete(paper_prompt(PAPER, language="ko"), PaperDigest, stage="summarize")
        # Another gateway for the same server (e.g. the answerer's) knows it too.
        await gateway_for(server).complete(paper_prompt(PAPER, language="de"), PaperDigest, stage="summarize")

    formats = [r.body["response_format"]["type"] for r in server.chat_requests()]
    assert formats == ["json_schema", "json_object", "json_object", "json_object"]
    assert first.tldr
    json_mode = server.chat_requests()[1].body["messages"][0]["content"]
    assert "(schema name: PaperDigest)" in json_mode and '"tldr"' in json_mode


async def test_concurrency_is_bounded() -> None:
    with FakeOpenAIServer(latency=0.2) as server:
        gateway = gateway_for(server, concurrency=2)
        import asyncio

        await asyncio.gather(
            *(gateway.complete(paper_prompt(PAPER, language=f"x{n}"), PaperDigest, stage="summarize") for n in range(6))
        )
    assert len(server.chat_requests()) == 6
    assert server.max_in_flight == 2


async def test_requests_per_minute_spaces_the_starts(server: FakeOpenAIServer) -> None:
    sleeps = Sleeps()
    gateway = gateway_for(server, sleeps=sleeps, requests_per_minute=600)
    for n in range(4):
        await gateway.complete(paper_prompt(PAPER, language=f"x{n}"), PaperDigest, stage="summarize")
    # Each start is reserved 0.1 s after the previous one; the recorded sleeps are those waits.
    assert len(sleeps.waits) == 3
    assert all(0.0 < wait <= 0.1 * (n + 1) + 0.01 for n, wait in enumerate(sleeps.waits))
