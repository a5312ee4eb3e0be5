"""Parsing arXiv identifiers and URLs, the only way a user names a paper."""

from __future__ import annotations

import re
from dataclasses import dataclass

# New-style ids (2007+): YYMM.NNNN (to 2014) or YYMM.NNNNN; old-style: archive(.SUB)/YYMMNNN.
_NEW_ID = r"\d{4}\.\d{4,5}"
_OLD_ID = r"[a-z\-]+(?:\.[A-Z]{2})?/\d{7}"
ARXIV_ID = rf"(?:{_NEW_ID}|{_OLD_ID})"
"""An arXiv id without version, as a regular-expression fragment (no anchors, no groups)."""
CITATION = re.compile(rf"\[(?:arXiv:)?({ARXIV_ID})(?:v\d+)?\]", re.IGNORECASE)
"""How answers and summaries cite a paper, ``[2409.14674]``; group 1 is the id without version."""
_ID_PATTERN = re.compile(rf"^(?:arxiv:)?(?P<id>{_NEW_ID}|{_OLD_ID})(?:v(?P<version>\d+))?$", re.IGNORECASE)
_URL_PATTERN = re.compile(
    rf"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/"
    rf"(?P<id>{_NEW_ID}|{_OLD_ID})(?:v(?P<version>\d+))?(?:\.pdf)?/?(?:[?#].*)?$",
    re.IGNORECASE,
)


class InvalidArxivId(ValueError):
    """The text is neither an arXiv id nor an arXiv abs/pdf/html URL."""


@dataclass(frozen=True)
class ArxivRef:
    arxiv_id: str
    version: int | None = None


def parse_arxiv_ref(text: str) -> ArxivRef:
    """Accept ``2409.14674``, ``2409.14674v2``, ``arXiv:2409.14674`` or an arxiv.org URL."""
    candidate = text.strip().strip("<>")
    match = _ID_PATTERN.match(candidate) or _URL_PATTERN.match(candidate)
    if match is None:
        shown = candidate if len(candidate) <= 60 else candidate[:57] + "..."
        raise InvalidArxivId(
            f"'{shown}' is not an arXiv id. Use an id like 2409.14674 or a URL like https://arxiv.org/abs/2409.14674."
        )
    version = match.group("version")
    return ArxivRef(arxiv_id=match.group("id"), version=int(version) if version else None)


def abs_url(arxiv_id: str) -> str:
    """The abstract page of a paper: the one place the bot spells an arXiv URL."""
    return f"https://arxiv.org/abs/{arxiv_id}"


def pdf_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/pdf/{arxiv_id}"


def looks_like_arxiv_ref(text: str) -> bool:
    try:
        parse_arxiv_ref(text)
    except InvalidArxivId:
        return False
    return True


def split_versioned_id(raw: str) -> tuple[str, int]:
    """``2409.14674v3`` -> (``2409.14674``, 3); a bare id is version 1."""
    ref = parse_arxiv_ref(raw)
    return ref.arxiv_id, ref.version or 1
