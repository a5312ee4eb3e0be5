"""What a model call costs: a small price table (data), overridable by ``LLM_PRICES``.

Prices are US dollars per million tokens, as OpenAI lists them for standard (non-batch)
processing (checked mid-2025). Cached input is what the provider charges for the part of a
prompt served from its prompt cache; the Batch API halves every price. A model the table does
not know (a local Ollama or vLLM model, a new release) costs 0 and is logged once, so the
ledger still counts its tokens and a token budget still applies.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)

BATCH_DISCOUNT = 0.5


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input: float
    cached_input: float
    output: float


DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4o-mini": Price(0.15, 0.075, 0.60),
    "gpt-4o": Price(2.50, 1.25, 10.00),
    "gpt-4.1": Price(2.00, 0.50, 8.00),
    "gpt-4.1-mini": Price(0.40, 0.10, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.025, 0.40),
    "gpt-5": Price(1.25, 0.125, 10.00),
    "gpt-5-mini": Price(0.25, 0.025, 2.00),
    "gpt-5-nano": Price(0.05, 0.005, 0.40),
    "o4-mini": Price(1.10, 0.275, 4.40),
    "o3-mini": Price(1.10, 0.55, 4.40),
}


class PriceTable:
    """Looks a model up by exact name, then by its longest known prefix, so dated snapshots
    (``gpt-4o-mini-2024-07-18``) and router names (``openai/gpt-4o-mini``) find their price."""

    def __init__(self, overrides: Mapping[str, tuple[float, float, float]] | None = None) -> None:
        self._prices = dict(DEFAULT_PRICES)
        for model, (input_price, cached_price, output_price) in (overrides or {}).items():
            self._prices[model] = Price(input_price, cached_price, output_price)
        self._warned: set[str] = set()

    def price(self, model: str) -> Price | None:
        for name in (model, model.rsplit("/", 1)[-1]):
            if name in self._prices:
                return self._prices[name]
            prefixes = [known for known in self._prices if name.startswith(known + "-")]
            if prefixes:
                return self._prices[max(prefixes, key=len)]
        return None

    def cost(
        self, model: str, *, prompt_tokens: int, cached_tokens: int, completion_tokens: int, batch: bool = False
    ) -> float:
        """The call's cost in USD; ``prompt_tokens`` includes the cached ones, as the API reports them."""
        price = self.price(model)
        if price is None:
            if model not in self._warned:
                self._warned.add(model)
                log.warning("No price known for model %r: its calls are counted at $0 (set LLM_PRICES).", model)
            return 0.0
        fresh = max(prompt_tokens - cached_tokens, 0)
        dollars = (fresh * price.input + cached_tokens * price.cached_input + completion_tokens * price.output) / 1e6
        return dollars * (BATCH_DISCOUNT if batch else 1.0)
