"""Embeds and messages within Discord's limits, shared by the full digest, the brief post and
every other reply: lines packed into embed descriptions, embeds grouped into messages.

Each message keeps :data:`MARKER_RESERVE` characters free so the transport can add its
idempotency marker to a footer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import discord

from digestbot.adapters.discord.limits import LIMITS, embed_length
from digestbot.adapters.discord.markdown import escape
from digestbot.adapters.split import pack
from digestbot.bot.ports import OutgoingMessage

COLOR = 0x2F6FEB
MARKER_RESERVE = 48
_CONTINUED = " (continued)"


def embeds(
    lines: Sequence[str], *, title: str | None = None, url: str | None = None, footer: str | None = None
) -> list[dict[str, Any]]:
    """Lines packed into as many embed descriptions as they need; a title too long for the title
    field is shortened there and given in full as the first line, so nothing is lost."""
    lines = list(lines)
    shown_title = None
    if title is not None:
        escaped_title = escape(title)
        limit = LIMITS.embed_title - len(_CONTINUED)
        shown_title = escaped_title if len(escaped_title) <= limit else escaped_title[: limit - 1] + "…"
        if shown_title != escaped_title:
            lines.insert(0, f"**{escaped_title}**")
    chunks = pack(lines, limit=LIMITS.embed_description) or [""]
    embeds = []
    for number, chunk in enumerate(chunks):
        embed = discord.Embed(description=chunk or None, color=COLOR)
        if shown_title is not None:
            embed.title = shown_title if number == 0 else shown_title + _CONTINUED
            embed.url = url if number == 0 else None
        embeds.append(embed)
    if footer:
        embeds[-1].set_footer(text=footer)
    return [embed.to_dict() for embed in embeds]


def messages(embeds: Iterable[dict[str, Any]], *, text: str, content: str = "") -> list[OutgoingMessage]:
    """Group embeds into messages: at most 10 each and 6,000 characters minus the marker reserve."""
    budget = LIMITS.embeds_total - MARKER_RESERVE
    groups: list[list[dict[str, Any]]] = [[]]
    for embed in embeds:
        current = groups[-1]
        size = sum(embed_length(e) for e in current) + embed_length(embed)
        if current and (len(current) >= LIMITS.embeds_per_message or size > budget):
            groups.append([embed])
        else:
            current.append(embed)
    messages = []
    for number, group in enumerate(groups):
        payload: dict[str, Any] = {"content": content if number == 0 else "", "embeds": group}
        messages.append(OutgoingMessage(text=text, payload=payload))
    return messages


def with_thread_name(message: OutgoingMessage, name: str) -> OutgoingMessage:
    return OutgoingMessage(text=message.text, payload={**message.payload, "thread_name": name})


def thread_name(title: str, date: str) -> str:
    """``<title> <date>`` within Discord's 100 characters; the date always survives."""
    room = LIMITS.thread_name - len(date) - 1
    return f"{title if len(title) <= room else title[: room - 1] + '…'} {date}"
