"""Turning a rendered :class:`OutgoingMessage` into the keyword arguments of a discord.py send.

Shared by the REST transport (``Messageable.send``) and interaction follow-ups (``Webhook.send``),
so both send exactly what the renderer built, and both refuse a message Discord would reject.
"""

from __future__ import annotations

import io
from typing import Any

import discord

from digestbot.adapters.discord.limits import violations
from digestbot.bot.ports import OutgoingMessage

# Everything we post may contain untrusted text; nothing we post may ping anyone.
NO_MENTIONS = discord.AllowedMentions.none()


def send_kwargs(message: OutgoingMessage, *, marker: str | None = None) -> dict[str, Any]:
    """``content``, ``embeds``, ``file`` and ``allowed_mentions`` for ``send``.

    ``marker`` (an idempotency marker) is appended to the last embed's footer, where
    :meth:`DiscordTransport.find_sent` looks for it; the renderer keeps room for it.
    """
    payload = {"content": message.payload.get("content") or "", "embeds": list(message.payload.get("embeds") or [])}
    if marker is not None:
        payload["embeds"] = _with_marker(payload["embeds"], marker)
    problems = violations(payload)
    if problems:
        raise ValueError(f"message breaks Discord's limits: {'; '.join(problems)}")
    kwargs: dict[str, Any] = {
        "content": payload["content"] or None,
        "embeds": [discord.Embed.from_dict(embed) for embed in payload["embeds"]],
        "allowed_mentions": NO_MENTIONS,
    }
    if message.attachment is not None:
        filename, data = message.attachment
        kwargs["file"] = discord.File(io.BytesIO(data), filename=filename)
    return kwargs


def footer_text(embed: dict[str, Any]) -> str:
    return (embed.get("footer") or {}).get("text") or ""


def _with_marker(embeds: list[dict[str, Any]], marker: str) -> list[dict[str, Any]]:
    if not embeds:
        return [{"type": "rich", "footer": {"text": marker}}]
    *rest, last = embeds
    text = footer_text(last)
    return [*rest, {**last, "footer": {**(last.get("footer") or {}), "text": f"{text} · {marker}" if text else marker}}]
