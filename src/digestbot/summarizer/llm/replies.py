"""What comes back from the model: a reply's parts, its strict JSON schema, and parsing it into
the expected output model (a fenced block is unwrapped; a problem is named so it can be sent back
to the model)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, TypeVar

from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError

from digestbot.summarizer.llm.schemas import strict_json_schema

T = TypeVar("T", bound=BaseModel)
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.S)


@dataclass(frozen=True)
class ModelReply:
    content: str | None
    finish_reason: str | None
    refusal: str | None


def completion_or_none(raw: dict[str, Any] | None) -> ChatCompletion | None:
    """A batch result as a completion; anything malformed is treated as "not done"."""
    if raw is None:
        return None
    try:
        return ChatCompletion.model_validate(raw)
    except ValidationError:
        return None


@functools.cache
def output_schema(output: type[BaseModel]) -> dict[str, Any]:
    """Each output model's strict schema, built once (the gateway never changes it)."""
    return strict_json_schema(output)


def parse_reply(reply: ModelReply, output: type[T]) -> T:
    """The reply as ``output``, or a ValueError naming what is wrong (sent back to the model)."""
    if reply.refusal:
        raise ValueError("the model refused")
    if reply.finish_reason == "length":
        raise ValueError("the reply was cut off at the token limit")
    if not reply.content:
        raise ValueError("the reply was empty")
    fenced = _FENCE.match(reply.content)
    text = fenced.group(1) if fenced else reply.content
    try:
        return output.model_validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "reply"
        raise ValueError(f"{where}: {first['msg']}") from None
