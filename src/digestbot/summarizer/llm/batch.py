"""Opt-in Batch API mode for the scheduled digest: half the price, in exchange for waiting.

OpenAI's Batch API runs uploaded requests within 24 hours at 50 % of the price. A scheduled
digest can afford that wait when it is prepared hours ahead, so in this mode the gateway hands
its requests here instead of calling directly. Requests that arrive together (the categorizer
and the summarizer issue theirs all at once) become one batch: written as JSON Lines, uploaded
through the files API, submitted, then polled until it completes or the deadline passes. A
result that is missing or failed, a batch not done by the deadline (it is cancelled), and every
request after the deadline go back to the gateway as "not done", which then calls directly, so
the digest is never late because of the batch. A server without the Batch API (most local
servers) is detected on the first attempt and the mode switches itself off.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import logging
from collections.abc import Callable
from typing import Any, Final

import openai
from openai import AsyncOpenAI

from digestbot.summarizer.llm.limits import Sleep

log = logging.getLogger(__name__)

ENDPOINT: Final = "/v1/chat/completions"
_FINISHED_UNUSABLE = frozenset({"failed", "expired", "cancelled", "cancelling"})


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class BatchQueue:
    """Collects requests into Batch API jobs until ``deadline`` (an aware datetime)."""

    def __init__(
        self,
        client: AsyncOpenAI,
        *,
        deadline: dt.datetime,
        collect_seconds: float = 1.0,
        poll_seconds: float = 60.0,
        clock: Callable[[], dt.datetime] = utc_now,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._client = client
        self.deadline = deadline
        self.collect_seconds = collect_seconds
        self.poll_seconds = poll_seconds
        self._clock = clock
        self._sleep = sleep
        self._pending: list[tuple[str, dict[str, Any], asyncio.Future[dict[str, Any] | None]]] = []
        self._flush: asyncio.Task[None] | None = None
        self._numbers = itertools.count(1)
        self._unsupported = False
        self.submitted: list[str] = []

    def accepting(self) -> bool:
        return not self._unsupported and self._clock() < self.deadline

    async def submit(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """The chat completion the batch produced for ``body``, or ``None`` to call directly."""
        future: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
        self._pending.append((f"request-{next(self._numbers)}", body, future))
        if self._flush is None:
            self._flush = asyncio.create_task(self._flush_soon())
        return await future

    async def _flush_soon(self) -> None:
        """Wait a moment so requests issued together share one batch, then run it."""
        await self._sleep(self.collect_seconds)
        items, self._pending, self._flush = self._pending, [], None
        results: dict[str, dict[str, Any]] = {}
        try:
            results = await self._run({custom_id: body for custom_id, body, _ in items})
        except openai.NotFoundError:
            self._unsupported = True
            log.warning("The model server has no Batch API; calling it directly from now on.")
        except (openai.OpenAIError, ValueError, KeyError) as error:
            log.warning("Batch failed (%s); calling the model directly instead.", type(error).__name__)
        finally:
            for custom_id, _, future in items:
                if not future.done():
                    future.set_result(results.get(custom_id))

    async def _run(self, bodies: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        lines = [
            json.dumps({"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": body}, ensure_ascii=False)
            for custom_id, body in bodies.items()
        ]
        upload = await self._client.files.create(
            file=("digest-batch.jsonl", "\n".join(lines).encode(), "application/jsonl"), purpose="batch"
        )
        batch = await self._client.batches.create(input_file_id=upload.id, endpoint=ENDPOINT, completion_window="24h")
        self.submitted.append(batch.id)
        log.info("Batch %s submitted with %d requests; waiting until %s.", batch.id, len(lines), self.deadline)
        while True:
            batch = await self._client.batches.retrieve(batch.id)
            if batch.status == "completed" and batch.output_file_id:
                return await self._results(batch.output_file_id)
            if batch.status in _FINISHED_UNUSABLE:
                log.warning("Batch %s ended as %s; calling the model directly.", batch.id, batch.status)
                return {}
            remaining = (self.deadline - self._clock()).total_seconds()
            if remaining <= 0:
                log.warning("Batch %s not done by the deadline; cancelling it and calling directly.", batch.id)
                await self._client.batches.cancel(batch.id)
                return {}
            await self._sleep(min(self.poll_seconds, remaining))

    async def _results(self, file_id: str) -> dict[str, dict[str, Any]]:
        content = await self._client.files.content(file_id)
        results: dict[str, dict[str, Any]] = {}
        for line in content.text.splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            response = record.get("response") or {}
            if response.get("status_code") == 200 and isinstance(response.get("body"), dict):
                results[record["custom_id"]] = response["body"]
        return results
