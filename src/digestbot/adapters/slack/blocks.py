"""Block Kit building blocks and the packing of blocks into messages within Slack's limits.

Every section's text is mrkdwn with ``verbatim: true``: Slack then turns no bare URL, channel
name or ``@here`` in it into a link or a mention — the text says exactly what we escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from digestbot.adapters.slack.limits import LIMITS, SlackLimits
from digestbot.adapters.slack.mrkdwn import escape, fit, inert_marks
from digestbot.adapters.split import pack

Block = dict[str, Any]


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text, "verbatim": True}]}


def divider() -> Block:
    return {"type": "divider"}


def label(text: str) -> str:
    """A heading in bold; a mark inside it (a paper title's "*") cannot end the bold early."""
    return f"*{escape(inert_marks(text))}*"


def heading(text: str, *, limits: SlackLimits = LIMITS) -> list[Block]:
    """A header block (plain text: nothing in it is parsed) when the text fits its 150
    characters; otherwise the whole text as a section, never cut short."""
    flat = " ".join(text.split())
    if len(flat) <= limits.header_text:
        return [{"type": "header", "text": {"type": "plain_text", "text": flat, "emoji": True}}]
    return [section(piece) for piece in fit("", flat, limit=limits.line_text)]


def part(title: str | None, lines: Sequence[str], *, limits: SlackLimits = LIMITS) -> list[Block]:
    """A titled run of lines as sections; a run too long for one section continues in the next
    under "(continued)". Each line must already fit :attr:`SlackLimits.line_text`."""
    chunks = pack(lines, limit=limits.line_text)
    blocks = []
    for number, chunk in enumerate(chunks):
        if title is None:
            blocks.append(section(chunk))
        else:
            head = label(title) if number == 0 else f"{label(title)} (continued)"
            blocks.append(section(f"{head}\n{chunk}"))
    return blocks


def text_length(block: Block) -> int:
    """The characters Slack counts towards a message's total (``msg_blocks_too_long``)."""
    total = len(block.get("text", {}).get("text", ""))
    total += sum(len(field.get("text", "")) for field in block.get("fields", []))
    total += sum(len(element.get("text", "")) for element in block.get("elements", []))
    return total


def paginate(
    blocks: Sequence[Block],
    *,
    continued: Callable[[int, int], Block] | None = None,
    limits: SlackLimits = LIMITS,
) -> list[list[Block]]:
    """Blocks in order, cut into messages of at most 50 blocks and the total-text budget.

    ``continued(number, total)`` makes the first block of every message after the first (a
    "part 2 of 3" line); room for it is kept in each message's budget.
    """
    max_blocks = limits.blocks_per_message - 1
    max_text = limits.message_block_text - limits.heading_allowance
    pages: list[list[Block]] = [[]]
    used = 0
    for block in blocks:
        size = text_length(block)
        if pages[-1] and (len(pages[-1]) >= max_blocks or used + size > max_text):
            pages.append([])
            used = 0
        pages[-1].append(block)
        used += size
    if continued is not None:
        pages = [
            page if number == 1 else [continued(number, len(pages)), *page] for number, page in enumerate(pages, 1)
        ]
    return pages
