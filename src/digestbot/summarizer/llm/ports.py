"""What the LLM gateway needs from storage: a response cache and a usage ledger.

The summarizer may not import the bot (dependencies point ``bot -> summarizer``), so these
are protocols here with in-memory versions; the bot's database implements them for
``digestbot run`` so a rebuilt digest costs zero calls and spend survives restarts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

STAGES = ("categorize", "summarize", "answer")
"""The LLM stages; each has its own model setting and its own rows in the ledger."""


@dataclass(frozen=True)
class UsageRecord:
    """One model call (or cache hit) as the ledger keeps it."""

    day: dt.date
    stage: str  # "categorize" | "summarize" | "answer" | ...
    model: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    cost_usd: float
    cache_hit: bool


@dataclass(frozen=True)
class UsageTotals:
    calls: int
    cache_hits: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class ResponseCache(Protocol):
    """Validated model outputs keyed by (content hash, model, prompt version) — the caller
    builds the key; the cache only stores text."""

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, value: str) -> None: ...


class UsageLedger(Protocol):
    def record(self, record: UsageRecord) -> None: ...

    def totals(self, day: dt.date, stage: str | None = None) -> UsageTotals: ...


class MemoryResponseCache:
    def __init__(self) -> None:
        self._values: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self._values.get(key)

    def put(self, key: str, value: str) -> None:
        self._values[key] = value


class MemoryUsageLedger:
    def __init__(self) -> None:
        self.records: list[UsageRecord] = []

    def record(self, record: UsageRecord) -> None:
        self.records.append(record)

    def totals(self, day: dt.date, stage: str | None = None) -> UsageTotals:
        rows = [r for r in self.records if r.day == day and (stage is None or r.stage == stage)]
        return UsageTotals(
            calls=sum(1 for r in rows if not r.cache_hit),
            cache_hits=sum(1 for r in rows if r.cache_hit),
            prompt_tokens=sum(r.prompt_tokens for r in rows),
            completion_tokens=sum(r.completion_tokens for r in rows),
            cost_usd=sum(r.cost_usd for r in rows),
        )
