"""Checks on a Slack HTTP request (``POST /slack/events``) before Bolt sees it.

Bolt parses a request's body before its verification middleware runs, and its verifier calls
``int()`` on the timestamp header: an unsigned request with ``X-Slack-Request-Timestamp: abc`` or
a deeply nested JSON body ends as HTTP 500 with a traceback in the log. So the raw bytes are
checked here first, cheapest and least trusting first: the size, then the signature (an HMAC
over the raw bytes, with a timestamp at most five minutes away), and only then the body's shape,
which only Slack, holding the signing secret, can reach. Bolt still verifies again; that costs
one HMAC.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

# Slack's payloads are a few KiB (a message event with blocks, a slash command's form); 1 MiB
# is aiohttp's own default request cap and leaves a wide margin without letting a stranger make
# the bot buffer megabytes before the signature is even checked.
MAX_BODY_BYTES = 1024 * 1024
# Slack's documented replay window: a request signed more than five minutes ago is refused.
MAX_CLOCK_SKEW_SECONDS = 5 * 60
# Slack's deepest payloads (rich-text blocks inside a message event inside an envelope) nest
# about ten levels; Bolt walks some of them recursively, so a signed body deeper than this is refused.
MAX_NESTING = 64
# Seconds since the epoch: digits only (``int()`` also takes " 12", "1_2" and other scripts'
# digits), and few enough of them that converting cannot be made expensive.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True)
class Rejection:
    """Why a request was refused: the HTTP status and a one-line reason (for the log and the caller)."""

    status: int
    reason: str


async def checked_request(request: web.Request, *, verifier: SignatureVerifier) -> AsyncBoltRequest | Rejection:
    """The request as Bolt takes it, or why it must not reach Bolt."""
    raw = await _read_capped(request, MAX_BODY_BYTES)
    if raw is None:
        return Rejection(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Rejection(400, "the body is not UTF-8")
    rejection = check_signature(text, request.headers, verifier=verifier)
    if rejection is not None:
        return rejection
    try:
        # Bolt parses the body and reads its ids here; a signed body that is not JSON or a form
        # (ValueError), too deep (RecursionError) or of the wrong shape (the rest) is not Slack's.
        parsed = AsyncBoltRequest(body=text, query=request.query_string, headers=request.headers)  # type: ignore[arg-type]
    except (ValueError, RecursionError, TypeError, LookupError, AttributeError):
        return Rejection(400, "the body is not a Slack payload")
    if not isinstance(parsed.body, dict) or _nested_deeper(parsed.body, MAX_NESTING):
        return Rejection(400, "the body is not a Slack payload")
    return parsed


def check_signature(body: str, headers: Mapping[str, str], *, verifier: SignatureVerifier) -> Rejection | None:
    """``None`` when Slack signed ``body`` within the last five minutes."""
    timestamp = headers.get("X-Slack-Request-Timestamp")
    signature = headers.get("X-Slack-Signature")
    if timestamp is None or signature is None:
        return Rejection(401, "the request is not signed")
    if not _TIMESTAMP.fullmatch(timestamp):
        return Rejection(400, "X-Slack-Request-Timestamp is not a number of seconds")
    if abs(verifier.clock.now() - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
        return Rejection(401, "the request was signed more than five minutes ago (a replay?)")
    if not verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
        return Rejection(401, "the signature does not match")
    return None


async def _read_capped(request: web.Request, limit: int) -> bytes | None:
    """The whole body, or ``None`` as soon as it is known to exceed ``limit`` bytes (a declared
    length is trusted for that; a chunked body is read only up to one byte past the limit)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = bytearray()
    while chunk := await request.content.read(limit + 1 - len(body)):
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _nested_deeper(value: object, limit: int) -> bool:
    """Whether objects and arrays nest more than ``limit`` levels (iteratively: no recursion to exhaust)."""
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False
