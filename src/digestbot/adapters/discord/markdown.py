"""Making untrusted text inert in Discord Markdown.

Paper titles, abstracts, user questions and model output are shown as written, never as markup:
``**bold**`` stays literal, ``||spoilers||`` hide nothing, a masked link ``[innocent](https://evil)``
shows its real URL, ``# heading`` or ``> quote`` at a line start stay text, and ``@everyone``,
``@here`` and ``<@id>`` mentions read as text (``allowed_mentions=none`` is what stops pings; this
stops them from even looking like mentions). Our own Markdown (links to arXiv, bold labels) is
added around the escaped text by the renderer.
"""

from __future__ import annotations

import re

import discord

# A zero-width space between "]" and "(" means Discord no longer sees a masked link; the visible
# text does not change (the same trick discord.utils.escape_mentions uses for "@\u200beveryone").
_ZERO_WIDTH_SPACE = "\u200b"
# Discord's mention markup: users <@123> (<@!123> in older clients), roles <@&123>, channels <#123>.
_MENTION_MARKUP = re.compile(r"<(?:@[!&]?|#)([^<>|\s]+)>")
# Inline code as Discord reads it: a backtick, at least one other character on the line, a backtick.
_CODE_SPAN = re.compile(r"(`[^`\n]+`)")


def escape(text: str) -> str:
    """One line of inert text: whitespace folded, masked links broken, Markdown and mentions escaped."""
    return _inert(" ".join(text.split()))


def escape_text(text: str) -> str:
    """Our own words that may quote untrusted text — the titles in "2 papers match — which one?
    …": inert as :func:`escape` makes it, except our `code spans` (a command to type), which
    stay code; lines and spacing stay as written. A backtick pair inside a quoted title becomes
    a code span too, which is as inert as escaped text."""
    pieces = _CODE_SPAN.split(text)
    kept = "".join(piece if number % 2 else _inert(piece) for number, piece in enumerate(pieces))
    return discord.utils.escape_mentions(kept)


def readable_mentions(text: str) -> str:
    """Untrusted text (an answer, a search snippet) with Discord's mention markup shown as the id
    it names, ``@\u200b123``, before it is escaped: it reads as a mention was meant and cannot
    become one (``allowed_mentions=none`` stops the ping in any case)."""
    return _MENTION_MARKUP.sub(lambda m: f"@{_ZERO_WIDTH_SPACE}{m.group(1)}", text)


def escape_lines(text: str) -> list[str]:
    """Multi-line untrusted text (an answer): each line escaped, blank lines kept."""
    return [escape(line) if line.strip() else "" for line in text.splitlines()]


def _inert(text: str) -> str:
    unlinked = text.replace("](", f"]{_ZERO_WIDTH_SPACE}(")
    # escape_markdown leaves bare URLs alone so they stay clickable; "<" starts mentions,
    # channel links, timestamps and custom emoji, so it is escaped too.
    escaped = discord.utils.escape_markdown(unlinked).replace("<", "\\<")
    return discord.utils.escape_mentions(escaped)


def link(label: str, url: str) -> str:
    """Our own masked link; the label is escaped and cannot close the link early."""
    safe_label = escape(label).replace("[", "(").replace("]", ")")
    return f"[{safe_label}]({url})"
