"""Discord's limits, as data, and the one function that measures a message against them.

Discord rejects a message that breaks any of these with HTTP 400, so the renderer splits before
sending instead of finding out from Discord (numbers: Discord's message and embed resources, the
same values discord.py documents; bots get 2,000 characters of content, not Nitro's 4,000).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DiscordLimits:
    content: int = 2_000
    embeds_per_message: int = 10
    embeds_total: int = 6_000  # title + description + fields + footer + author, over all embeds of a message
    embed_title: int = 256
    embed_description: int = 4_096
    embed_fields: int = 25
    field_name: int = 256
    field_value: int = 1_024
    footer: int = 2_048
    author_name: int = 256
    choices: int = 25  # option choices and autocomplete results alike
    subcommands: int = 25  # options of a command, subcommands of a group included
    command_name: int = 32
    command_description: int = 100
    choice_name: int = 100
    thread_name: int = 100
    option_value: int = 6_000


LIMITS = DiscordLimits()


def embed_length(embed: dict[str, Any]) -> int:
    """The characters Discord counts towards the 6,000 per message (URLs and colours are free)."""
    fields = embed.get("fields") or []
    return (
        len(embed.get("title") or "")
        + len(embed.get("description") or "")
        + sum(len(f.get("name") or "") + len(f.get("value") or "") for f in fields)
        + len((embed.get("footer") or {}).get("text") or "")
        + len((embed.get("author") or {}).get("name") or "")
    )


def violations(payload: dict[str, Any], limits: DiscordLimits = LIMITS) -> list[str]:
    """Every limit a message payload (``content`` + ``embeds``) breaks; empty when Discord will accept it."""
    problems: list[str] = []
    content = payload.get("content") or ""
    embeds = payload.get("embeds") or []
    if len(content) > limits.content:
        problems.append(f"content has {len(content)} characters (limit {limits.content})")
    if len(embeds) > limits.embeds_per_message:
        problems.append(f"{len(embeds)} embeds (limit {limits.embeds_per_message})")
    total = sum(embed_length(e) for e in embeds)
    if total > limits.embeds_total:
        problems.append(f"embeds hold {total} characters (limit {limits.embeds_total})")
    for number, embed in enumerate(embeds, start=1):
        checks = [
            ("title", len(embed.get("title") or ""), limits.embed_title),
            ("description", len(embed.get("description") or ""), limits.embed_description),
            ("fields", len(embed.get("fields") or []), limits.embed_fields),
            ("footer", len((embed.get("footer") or {}).get("text") or ""), limits.footer),
            ("author", len((embed.get("author") or {}).get("name") or ""), limits.author_name),
        ]
        for field in embed.get("fields") or []:
            checks.append(("field name", len(field.get("name") or ""), limits.field_name))
            checks.append(("field value", len(field.get("value") or ""), limits.field_value))
        problems += [f"embed {number} {what} is {size} (limit {limit})" for what, size, limit in checks if size > limit]
    return problems
