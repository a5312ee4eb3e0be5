"""The two real days the brief post is measured on, and what a reader sees of a Slack message
(shared by the brief-post tests and ``benchmarks/brief_post.py``)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from digestbot.summarizer.models import Digest
from digestbot.summarizer.sources.jsonl import JsonlSource
from tests.helpers import _build, offline_digest

BIG_DAY = Path(__file__).parent / "fixtures" / "2026-06-30.jsonl"
_SLACK_LINK = re.compile(r"<[^|>]+\|([^>]*)>")
ARXIV_ID = re.compile(r"arxiv\.org/abs/([0-9]{4}\.[0-9]{4,5})")
# A pick as each platform marks it up: the linked title, the parent's "(category)" label, then
# " — " and the TL;DR (a listed title has no TL;DR after its link).
SLACK_PICK = re.compile(r"arxiv\.org/abs/([0-9]{4}\.[0-9]{4,5})\|[^>]*>(?: _\([^)]*\)_)? — ")
DISCORD_PICK = re.compile(r"arxiv\.org/abs/([0-9]{4}\.[0-9]{4,5})\)(?: \*\([^)]*\)\*)? — ")


@cache
def _big_day(language: str) -> Digest:
    return _build(JsonlSource(BIG_DAY).listing(), language)


def big_day(language: str = "en") -> Digest:
    """The 532-paper announcement of 2026-06-30 through the offline pipeline (a fresh copy)."""
    return _big_day(language).model_copy(deep=True)


def sample_day(language: str = "en") -> Digest:
    return offline_digest(language=language)


def picks_per_category(digest: Digest, picked: set[str]) -> dict[str, int]:
    """How many papers of each category (of 3 papers or more) a reader sees with a TL;DR."""
    return {
        section.category.slug: len({p.arxiv_id for p in section.papers} & picked)
        for section in digest.sections
        if len(section.papers) >= 3
    }


def slack_visible(blocks: list[dict[str, Any]]) -> str:
    """The text a reader sees in Slack blocks: every text object, links shown as their labels."""
    texts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text"):
                texts.append(str(node["text"]))
            else:
                for key, value in node.items():
                    if key != "slack_file":
                        walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return _SLACK_LINK.sub(r"\1", "\n".join(texts)).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
