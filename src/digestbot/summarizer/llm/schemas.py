"""The JSON the model must return, one pydantic model per task; the class name is the schema name.

These are wire formats, deliberately separate from the domain models: the model returns ids
and text, and our code attaches titles, links and back ends. Every field is required and no
extra field is allowed, which is what OpenAI's strict structured outputs demand; fields that
are hard for weak models (a relevance out of range, one malformed item of many) are repaired
or dropped here rather than failing a whole reply.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

MAX_SEARCH_TERMS = 12
MAX_TERM_CHARS = 60


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


TLDR_CHARS = 300


class PaperCategory(_Wire):
    id: str
    slug: str
    relevance: int = Field(json_schema_extra={"minimum": 1, "maximum": 10})
    reason: str
    notability: int = Field(json_schema_extra={"minimum": 1, "maximum": 10})
    tldr: str

    @field_validator("relevance", "notability")
    @classmethod
    def _clamp(cls, value: int) -> int:
        return min(max(value, 1), 10)

    @field_validator("reason")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())[:200]

    @field_validator("tldr")
    @classmethod
    def _one_sentence(cls, value: str) -> str:
        """One line; an overlong answer is cut at a word rather than dropped."""
        flat = " ".join(value.split())
        return flat if len(flat) <= TLDR_CHARS else flat[:TLDR_CHARS].rsplit(" ", 1)[0] + " …"


class CategorizationBatch(_Wire):
    """One batch's categories. Malformed items are dropped (counted in ``rejected``), so the
    caller retries just those papers instead of losing the whole batch."""

    items: list[PaperCategory]

    @model_validator(mode="before")
    @classmethod
    def _drop_malformed(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            return data
        kept = []
        for item in data["items"]:
            try:
                kept.append(PaperCategory.model_validate(item))
            except ValidationError:
                continue
        return {**data, "items": kept}


class Fact(_Wire):
    id: str
    fact: str


class CategoryDigest(_Wire):
    """The seed's five parts for one category (key facts name their paper by id)."""

    main_themes: list[str]
    keywords: list[str]
    key_facts: list[Fact]
    impact: list[str]
    outlook: str


class ChunkNotes(_Wire):
    """The map step over one part of a large category."""

    themes: list[str]
    keywords: list[str]
    key_facts: list[Fact]
    impact: list[str]


class CategoryReduce(_Wire):
    """The reduce step: the section written from every part's notes; key facts are chosen by id."""

    main_themes: list[str]
    keywords: list[str]
    key_fact_ids: list[str]
    impact: list[str]
    outlook: str


class PaperDigest(_Wire):
    tldr: str
    key_points: list[str]
    keywords: list[str]


class GroundedAnswer(_Wire):
    answer: str
    cited_ids: list[str]
    supported: bool


class SearchTerms(_Wire):
    """English search terms for a question written without any (a Korean question). Terms are
    folded to one line each and capped, so a rambling reply cannot become a huge query."""

    terms: list[str]

    @field_validator("terms")
    @classmethod
    def _short(cls, value: list[str]) -> list[str]:
        folded = (" ".join(term.split())[:MAX_TERM_CHARS] for term in value)
        return [term for term in folded if term][:MAX_SEARCH_TERMS]


class Rewrite(_Wire):
    index: int
    text: str


class SentenceRewrites(_Wire):
    sentences: list[Rewrite]


def strict_json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema in the form strict structured outputs accept: every object closes
    (``additionalProperties: false``) and lists every property as required."""
    schema = copy.deepcopy(model.model_json_schema())
    _close(schema)
    for definition in schema.get("$defs", {}).values():
        _close(definition)
    return schema


def _close(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            node["additionalProperties"] = False
            node["required"] = list(node["properties"])
        for key, value in node.items():
            if key != "$defs":
                _close(value)
    elif isinstance(node, list):
        for value in node:
            _close(value)
