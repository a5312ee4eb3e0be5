"""The one gateway every model call goes through, on the official ``openai`` async client.

What it guarantees, so callers only decide what to ask and what to do when it fails:

* Structured output: the reply must validate against a pydantic model, sent as a strict
  ``json_schema`` response format. A server that rejects JSON-schema mode (older vLLM/Ollama:
  HTTP 400 naming ``response_format``/``json_schema``) is detected once and, for the rest of the
  process, asked in JSON mode with the schema in the prompt (then with no response format at
  all, if JSON mode is refused too); pydantic validates either way.
* Invalid output (not JSON, wrong shape, cut off) is asked once more with the validation error,
  then raised as :class:`InvalidOutput` for the caller's offline fallback of that one item.
* One retry policy, ours (the SDK's ``max_retries`` is 0): 429, 408, 409, 5xx, timeouts and
  connection errors are retried with exponential backoff and jitter, honouring ``Retry-After``
  (a 429's wait pauses every caller, not just the one told). ``insufficient_quota`` is not retried.
* Bounded concurrency (a semaphore around the HTTP call) and a requests-per-minute limiter.
* The cache and the ledger are storage (a database under ``digestbot run``), so they are called
  through :func:`~digestbot.summarizer.io_pools.db_call`, never on the event loop.
* A cache keyed by sha256 of (stage, model, prompt version, schema, prompt text): a rebuilt
  digest or a repeated question costs no call.
* A ledger row per call and per cache hit (tokens from ``usage``, cached tokens included, cost
  from the price table), and a daily budget in USD and/or tokens after which every call raises
  :class:`BudgetExceeded` until the day (UTC) changes. The check runs before each call, so the
  calls already in flight (at most ``concurrency``) may overshoot it slightly.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError

from digestbot.summarizer.io_pools import db_call
from digestbot.summarizer.llm.limits import MAX_RETRY_AFTER_SECONDS, RateLimiter, Sleep, backoff_delay
from digestbot.summarizer.llm.ports import ResponseCache, UsageLedger, UsageRecord
from digestbot.summarizer.llm.prices import PriceTable
from digestbot.summarizer.llm.prompts import Prompt
from digestbot.summarizer.llm.replies import ModelReply, completion_or_none, output_schema, parse_reply
from digestbot.summarizer.retry_after import retry_after_seconds

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_RETRYABLE_STATUS = frozenset({408, 409, 429})

# Output modes, strongest first; a server that refuses one is asked in the next from then on.
_MODES = ("json_schema", "json_object", "prompt")
_MODE_BY_SERVER: dict[str, int] = {}
_NO_TEMPERATURE: set[tuple[str, str]] = set()


class LlmError(Exception):
    """A call that did not produce a valid answer; ``str()`` is one line, safe to show users."""


class InvalidOutput(LlmError):
    """The reply failed validation twice."""


class BudgetExceeded(LlmError):
    """Today's budget is spent; the caller degrades to the offline back end and says so."""


class LlmUnavailable(LlmError):
    """The server failed after every retry, or refused the request (key, model, quota)."""


def utc_today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@dataclass(frozen=True)
class GatewayConfig:
    """How the gateway calls the server; ``models`` maps each stage to a model name."""

    models: Mapping[str, str]
    base_url: str = DEFAULT_BASE_URL
    concurrency: int = 8
    requests_per_minute: int = 0
    max_retries: int = 4
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 30.0
    temperature: float | None = 0.0
    daily_budget_usd: float | None = None
    daily_budget_tokens: int | None = None
    prices: PriceTable = field(default_factory=PriceTable)


class BatchSubmitter(Protocol):
    """The Batch API path (see ``batch.py``): ``None`` means "not done in time, call directly"."""

    def accepting(self) -> bool: ...

    async def submit(self, body: dict[str, Any]) -> dict[str, Any] | None: ...


def open_client(*, base_url: str | None, api_key: str | None, timeout: float) -> AsyncOpenAI:
    """The SDK client with its own retries off (ours apply); local servers often need no key,
    but the SDK insists on one, so a placeholder that is not a secret is sent."""
    return AsyncOpenAI(
        base_url=base_url or DEFAULT_BASE_URL, api_key=api_key or "no-key", timeout=timeout, max_retries=0
    )


class LlmGateway:
    def __init__(
        self,
        client: AsyncOpenAI,
        *,
        config: GatewayConfig,
        cache: ResponseCache,
        ledger: UsageLedger,
        today: Callable[[], dt.date] = utc_today,
        sleep: Sleep = asyncio.sleep,
        batcher: BatchSubmitter | None = None,
    ) -> None:
        self.config = config
        self.cache = cache
        self.ledger = ledger
        self.batcher = batcher
        self._client = client
        # Resolved now: the SDK imports its resource modules on first use (~0.3 s), which belongs
        # to start-up, not to the first digest.
        self._completions = client.chat.completions
        self._today = today
        self._sleep = sleep
        self._semaphore = asyncio.Semaphore(config.concurrency)
        self._limiter = RateLimiter(config.requests_per_minute, sleep=sleep)
        self._exhausted_on: dt.date | None = None

    def model_for(self, stage: str) -> str:
        return self.config.models[stage]

    async def aclose(self) -> None:
        """Close the HTTP connections (at shutdown; the gateway is unusable afterwards)."""
        await self._client.close()

    @property
    def budget_exhausted(self) -> bool:
        return self._exhausted_on == self._today()

    def cache_key(self, prompt: Prompt, output: type[BaseModel], *, stage: str) -> str:
        material = [stage, self.model_for(stage), prompt.version, output.__name__, prompt.system, prompt.user]
        return "llm:" + hashlib.sha256(json.dumps(material, ensure_ascii=False).encode()).hexdigest()

    def peek(self, prompt: Prompt, output: type[T], *, stage: str) -> T | None:
        """The cached reply to ``prompt``, if any, without a call or a ledger row (for estimates)."""
        return self._from_cache(self.cache_key(prompt, output, stage=stage), output)

    async def complete(self, prompt: Prompt, output: type[T], *, stage: str, schema: dict[str, Any] | None = None) -> T:
        """The validated reply; raises :class:`LlmError` (never an SDK exception)."""
        model = self.model_for(stage)
        key = self.cache_key(prompt, output, stage=stage)
        cached = await db_call(self._from_cache, key, output)
        if cached is not None:
            await self._record(stage, model, completion=None)
            return cached
        problem: str | None = None
        for _ in range(2):
            reply = await self._call(stage, model, prompt, output, schema, correction=problem)
            try:
                value = parse_reply(reply, output)
            except ValueError as error:
                problem = str(error)
                log.info("%s: invalid model output (%s)", stage, problem)
                continue
            await db_call(self.cache.put, key, value.model_dump_json())
            return value
        raise InvalidOutput(f"the model's reply did not match the {output.__name__} schema twice ({problem})")

    def _from_cache(self, key: str, output: type[T]) -> T | None:
        stored = self.cache.get(key)
        if stored is None:
            return None
        try:
            return output.model_validate_json(stored)
        except ValidationError:
            return None

    async def _call(
        self,
        stage: str,
        model: str,
        prompt: Prompt,
        output: type[BaseModel],
        schema: dict[str, Any] | None,
        *,
        correction: str | None,
    ) -> ModelReply:
        await self._check_budget()
        body = self._body(model, prompt, output, schema, correction)
        if self.batcher is not None and self.batcher.accepting():
            raw = await self.batcher.submit(body)
            completion = completion_or_none(raw)
            if completion is not None:
                return await self._accept(stage, model, completion, batch=True)
        attempt = 0
        while True:
            await self._limiter.wait()
            try:
                completion = await self._send(body)
            except openai.BadRequestError as error:
                if not self._adapt(error, body, model):
                    raise LlmUnavailable(_describe(error)) from None
                body = self._body(model, prompt, output, schema, correction)
                continue
            except (openai.APIStatusError, openai.APIConnectionError) as error:
                delay = self._retry_delay(error, attempt)
                if delay is None:
                    raise LlmUnavailable(_describe(error, attempts=attempt + 1)) from None
                log.info("%s: %s; retrying in %.1f s", stage, _describe(error), delay)
                await self._sleep(delay)
                attempt += 1
                continue
            except openai.OpenAIError as error:  # e.g. a 200 whose body is not a completion
                raise LlmUnavailable(_describe(error)) from None
            return await self._accept(stage, model, completion, batch=False)

    async def _send(self, body: dict[str, Any]) -> ChatCompletion:
        """One HTTP call in a concurrency slot; the budget is checked once the slot is ours, so
        calls queued behind the one that spent the budget are never sent."""
        async with self._semaphore:
            await self._check_budget()
            return await self._completions.create(**body)

    def _retry_delay(self, error: openai.APIStatusError | openai.APIConnectionError, attempt: int) -> float | None:
        """Seconds to wait before retrying, or ``None`` when retrying cannot help."""
        if attempt >= self.config.max_retries:
            return None
        if isinstance(error, openai.APIStatusError):
            if error.status_code not in _RETRYABLE_STATUS and error.status_code < 500:
                return None
            if error.code == "insufficient_quota":
                return None
            # Clamped by the parser: a bad header (nan, inf, year 9999) must not stall a run.
            wait = retry_after_seconds(error.response.headers, ceiling=MAX_RETRY_AFTER_SECONDS)
            if wait is not None:
                if error.status_code == 429:
                    self._limiter.pause(wait)
                # A little jitter on top, so the callers told the same wait do not return at once.
                return wait + random.uniform(0, wait / 10)
        return backoff_delay(attempt, base=self.config.backoff_seconds, cap=self.config.max_backoff_seconds)

    def _adapt(self, error: openai.BadRequestError, body: dict[str, Any], model: str) -> bool:
        """Learn from a 400 that names an unsupported feature; True when a retry may now pass."""
        message = f"{error.param} {error.message}".lower()
        server = self.config.base_url
        mode = body.get("response_format", {}).get("type", "prompt")
        if mode != "prompt" and any(word in message for word in ("response_format", "json_schema", "json_object")):
            _MODE_BY_SERVER[server] = _MODES.index(mode) + 1
            log.warning(
                "The server at %s refuses %s output; using %s mode with validation from now on.",
                server,
                mode,
                _MODES[_MODE_BY_SERVER[server]],
            )
            return True
        if "temperature" in message and "temperature" in body:
            _NO_TEMPERATURE.add((server, model))
            return True
        return False

    def _body(
        self, model: str, prompt: Prompt, output: type[BaseModel], schema: dict[str, Any] | None, correction: str | None
    ) -> dict[str, Any]:
        schema = schema or output_schema(output)
        mode = _MODES[_MODE_BY_SERVER.get(self.config.base_url, 0)]
        system = prompt.system
        if mode != "json_schema":
            # JSON mode requires the word JSON in the prompt; the schema goes last so the
            # cacheable prefix stays the same as in schema mode.
            system += (
                f"\n\nReply with one JSON object (schema name: {output.__name__}) that validates against "
                f"this JSON Schema:\n{json.dumps(schema, ensure_ascii=False)}"
            )
        messages = [{"role": "system", "content": system}, {"role": "user", "content": prompt.user}]
        if correction:
            messages.append(
                {
                    "role": "user",
                    "content": f"Your previous reply was rejected: {correction[:300]}. "
                    "Reply again with one JSON object that follows the schema exactly.",
                }
            )
        body: dict[str, Any] = {"model": model, "messages": messages}
        if mode == "json_schema":
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": output.__name__, "schema": schema, "strict": True},
            }
        elif mode == "json_object":
            body["response_format"] = {"type": "json_object"}
        if self.config.temperature is not None and (self.config.base_url, model) not in _NO_TEMPERATURE:
            body["temperature"] = self.config.temperature
        return body

    async def _accept(self, stage: str, model: str, completion: ChatCompletion, *, batch: bool) -> ModelReply:
        await self._record(stage, model, completion=completion, batch=batch)
        if not completion.choices:
            return ModelReply(content=None, finish_reason=None, refusal=None)
        choice = completion.choices[0]
        return ModelReply(
            content=choice.message.content, finish_reason=choice.finish_reason, refusal=choice.message.refusal
        )

    async def _record(self, stage: str, model: str, *, completion: ChatCompletion | None, batch: bool = False) -> None:
        usage = completion.usage if completion is not None else None
        prompt_tokens = usage.prompt_tokens if usage else 0
        completion_tokens = usage.completion_tokens if usage else 0
        details = usage.prompt_tokens_details if usage else None
        cached_tokens = (details.cached_tokens or 0) if details else 0
        cost = self.config.prices.cost(
            model,
            prompt_tokens=prompt_tokens,
            cached_tokens=cached_tokens,
            completion_tokens=completion_tokens,
            batch=batch,
        )
        await db_call(
            self.ledger.record,
            UsageRecord(
                day=self._today(),
                stage=stage,
                model=model,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                cached_tokens=cached_tokens,
                cost_usd=cost,
                cache_hit=completion is None,
            ),
        )

    async def _check_budget(self) -> None:
        today = self._today()
        if self._exhausted_on == today:
            raise BudgetExceeded("the daily LLM budget is spent")
        usd, tokens = self.config.daily_budget_usd, self.config.daily_budget_tokens
        if usd is None and tokens is None:
            return
        totals = await db_call(self.ledger.totals, today)
        if (usd is not None and totals.cost_usd >= usd) or (tokens is not None and totals.tokens >= tokens):
            self._exhausted_on = today
            log.warning(
                "Daily LLM budget reached (%d tokens, $%.4f today): the offline back end takes over until tomorrow.",
                totals.tokens,
                totals.cost_usd,
            )
            raise BudgetExceeded("the daily LLM budget is spent")


def _describe(error: openai.OpenAIError, *, attempts: int | None = None) -> str:
    """A one-line description without the server's message (which may echo part of a key)."""
    if isinstance(error, openai.APITimeoutError):
        text = "the model server timed out"
    elif isinstance(error, openai.APIConnectionError):
        text = "could not connect to the model server"
    elif isinstance(error, openai.APIStatusError):
        text = f"the model server answered HTTP {error.status_code}" + (f" ({error.code})" if error.code else "")
    else:
        text = type(error).__name__
    return text + (f" after {attempts} attempts" if attempts and attempts > 1 else "")
