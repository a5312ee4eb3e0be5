"""Slack mrkdwn for untrusted text: escaped, flattened, unable to ping or to break a link.

Slack's only escapes are ``&amp;``, ``&lt;`` and ``&gt;`` (HTML-encoding anything else shows
literally), and every control sequence — ``<!channel>``, ``<@U123>``, ``<url|label>`` — starts
with ``<``, so escaping those three makes a paper title or a model's output inert. Text we write
ourselves is escaped the same way but keeps its ``*bold*`` and ```code```.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from digestbot.adapters.split import split_text
from digestbot.summarizer.ids import CITATION, abs_url

_MENTION_WORDS = re.compile(r"@(?=(channel|here|everyone)\b)", re.IGNORECASE)
# Slack's mention markup: <!channel>, <!here>, <!subteam^S1|@team>, <@U123|name>, <#C123|name>.
_MENTION_MARKUP = re.compile(r"<[!@#]([^<>|\s]+)(?:\|([^<>]*))?>")
_AT_WORD = re.compile(r"@(everyone|here|channel)\b", re.IGNORECASE)
_ZERO_WIDTH_SPACE = "\u200b"
_URL_UNSAFE = str.maketrans({"<": "%3C", ">": "%3E", "|": "%7C", " ": "%20", "&": "&amp;"})
_WORD_JOINER = "\u2060"
# A look-alike for "|" inside link labels: Slack has no escape for it, and a label is cut at it.
_LABEL_BAR = "\u2223"
# Slack has no escape for its formatting marks either: "*Bold* claims" in a title would turn bold.
# A mark can only open or close formatting at a word's edge, so one there becomes a look-alike
# (∗ ˍ ∼ ˋ); inside a word ("snake_case", "5*3") it stays as written.
_FORMATTING_MARK = re.compile(r"(?<![^\W_])[*_~`]|[*_~`](?![^\W_])")
_MARK_LOOKALIKES = {"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"}


def escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as entities (``&`` first, or the others would be double-escaped)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """What a person typed, from the mrkdwn Slack delivers in message events."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def inline(text: str) -> str:
    """Untrusted text as one inert mrkdwn line: whitespace folded (no line-start quotes or
    lists), entities escaped, formatting marks at a word's edge shown as look-alikes, and
    ``@here``-style words broken by a word joiner so no client turns them into a notification."""
    return escape(_MENTION_WORDS.sub("@" + _WORD_JOINER, inert_marks(" ".join(text.split()))))


def inert_marks(text: str) -> str:
    """``*Bold* _x_`` as ``∗Bold∗ ˍxˍ``: marks that could open or close Slack formatting."""
    return _FORMATTING_MARK.sub(lambda mark: _MARK_LOOKALIKES[mark.group(0)], text)


def readable_mentions(text: str) -> str:
    """Untrusted text (an answer, a search snippet) with Slack's mention markup shown as the
    name it carries, ``@\u200bname``: a model or an abstract quoting ``<!channel>`` or
    ``<@U123|ana>`` reads as what it says, yet cannot ping, even in a notification's plain text."""
    text = _MENTION_MARKUP.sub(lambda m: f"@{_ZERO_WIDTH_SPACE}{m.group(2) or m.group(1)}", text)
    return _AT_WORD.sub(lambda m: f"@{_ZERO_WIDTH_SPACE}{m.group(1)}", text)


def with_citations(text: str) -> str:
    """Untrusted text with ``[2409.14674]`` references turned into arXiv links."""
    return CITATION.sub(lambda m: f"[{link(abs_url(m.group(1)), m.group(1))}]", inline(text))


def link(url: str, label: str) -> str:
    """``<url|label>``; the label is untrusted text, the URL one we built (made safe anyway)."""
    safe_url = url.translate(_URL_UNSAFE)
    return f"<{safe_url}|{inline(label).replace('|', _LABEL_BAR)}>"


def fit(markup: str, raw: str, *, limit: int, cite: bool = False) -> list[str]:
    """``markup`` (trusted, kept whole) followed by untrusted ``raw`` text, as mrkdwn pieces of
    at most ``limit`` characters.

    The raw text is split *before* it is escaped, so a cut never lands inside an entity or a
    link, and a piece that grows past the limit when escaped is split again; nothing is
    dropped.
    """
    convert = with_citations if cite else inline
    whole = markup + convert(raw)
    if len(whole) <= limit:
        return [whole]
    pieces = [markup.rstrip()] if markup.strip() else []
    return pieces + [convert(piece) for piece in _split_raw(" ".join(raw.split()), limit, convert)]


def _split_raw(raw: str, limit: int, convert: Callable[[str], str]) -> list[str]:
    pieces: list[str] = []
    for piece in split_text(raw, limit):
        if len(convert(piece)) <= limit:
            pieces.append(piece)
        else:
            pieces.extend(_split_raw(piece, max(1, limit // 2), convert))
    return [piece for piece in pieces if piece]
