"""Discord rendering: every message within every limit, nothing lost, untrusted text inert."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections import Counter
from pathlib import Path

import discord
import pytest

from digestbot.adapters.discord.embeds import MARKER_RESERVE
from digestbot.adapters.discord.limits import LIMITS, embed_length, violations
from digestbot.adapters.discord.markdown import escape, link
from digestbot.adapters.discord.render import render_digest, render_reply
from digestbot.bot.commands.replies import (
    AnswerReply,
    CategoriesReply,
    DigestReply,
    PaperReply,
    SearchHit,
    SearchReply,
    TextReply,
)
from digestbot.bot.ports import OutgoingMessage
from digestbot.summarizer.models import (
    Backend,
    Category,
    CategorySection,
    CategorySummary,
    Digest,
    KeyFact,
    Paper,
    PaperSummary,
)

SNAPSHOT = Path(__file__).parent / "snapshots" / "discord_digest.json"
HOSTILE = "@everyone look ||spoiler|| [click me](https://evil.example/x) **bold** <@123456789012345678> @here"
_LINK_TO = re.compile(r"\[(\d{4}\.\d{5})\]\(https://arxiv\.org/abs/\1\)")


def _category(slug: str, name: str) -> Category:
    return Category(slug=slug, name=name, description=f"Papers about {name}.")


def _paper(number: int, *, title: str | None = None, words: int = 12) -> Paper:
    return Paper(
        arxiv_id=f"2606.{number:05d}",
        title=title or f"Paper {number}: " + " ".join(["scalable"] * words),
        abstract="We propose a method. It reaches 72% accuracy.",
        authors=("A. Author", "B. Author"),
        primary_category="cs.LG",
    )


def _section(category: Category, papers: list[Paper], *, fact_words: int = 8) -> CategorySection:
    summary = CategorySummary(
        main_themes=[f"theme {i} of {category.name}" for i in range(3)],
        keywords=["kv cache", "quantization", "agents"],
        key_facts=[
            KeyFact(arxiv_id=p.arxiv_id, title=p.title, fact=" ".join(["It reaches 72% accuracy."] * fact_words))
            for p in papers
        ],
        impact=["Cheaper serving for everyone who runs models."],
        outlook="More of the same, faster.",
        backend=Backend.OFFLINE,
    )
    return CategorySection(category=category, papers=papers, summary=summary)


def _digest(sections: list[CategorySection]) -> Digest:
    return Digest(date=dt.date(2026, 6, 26), language="en", sections=sections, backend=Backend.OFFLINE, source="test")


def _huge_digest() -> Digest:
    """Hundreds of papers with long titles and long facts: forces splitting at every level."""
    sections = []
    number = 0
    for index, size in enumerate([300, 40, 1]):
        papers = []
        for _ in range(size):
            number += 1
            papers.append(_paper(number, words=30))
        sections.append(_section(_category(f"cat{index}", f"Category {index}"), papers, fact_words=12))
    return _digest(sections)


def _small_digest() -> Digest:
    papers = [_paper(1, title="Fast KV caches"), _paper(2, title=HOSTILE), _paper(3, title="Spec decoding, again")]
    return _digest(
        [
            _section(_category("inference", "Inference acceleration"), papers[:2], fact_words=1),
            _section(_category("llm", "LLM"), papers[2:], fact_words=1),
        ]
    )


def _embeds(messages: list[OutgoingMessage]) -> list[dict]:
    return [embed for message in messages for embed in message.payload["embeds"]]


def _sources_text(messages: list[OutgoingMessage]) -> str:
    return "\n".join(e.get("description", "") for e in _embeds(messages) if e.get("title", "").startswith("Sources"))


def test_a_huge_digest_is_split_within_every_limit_and_keeps_room_for_the_marker() -> None:
    messages = render_digest(_huge_digest(), b"png")

    assert len(messages) > 10
    for message in messages:
        assert violations(message.payload) == []
        assert sum(embed_length(e) for e in message.payload["embeds"]) <= LIMITS.embeds_total - MARKER_RESERVE
        for embed in message.payload["embeds"]:
            assert embed_length(embed) == len(discord.Embed.from_dict(embed))  # we count as discord.py does


def test_every_paper_is_in_the_sources_exactly_once() -> None:
    digest = _huge_digest()
    sources = _sources_text(render_digest(digest, b"png"))

    counted = Counter(_LINK_TO.findall(sources))
    assert set(counted) == {paper.arxiv_id for paper in digest.papers}
    assert set(counted.values()) == {1}


def test_the_parent_carries_the_chart_and_the_counts_and_each_category_starts_a_part() -> None:
    digest = _small_digest()
    parent, *parts = render_digest(digest, b"png-bytes")

    assert parent.attachment == ("digest-2026-06-26.png", b"png-bytes")
    overview = parent.payload["embeds"][0]
    assert overview["image"] == {"url": "attachment://digest-2026-06-26.png"}
    assert "**Inference acceleration** — 2" in overview["description"]
    assert "**LLM** — 1" in overview["description"]
    assert [part.payload["embeds"][0]["title"] for part in parts] == [
        "Inference acceleration (2)",
        "LLM (1)",
    ]
    assert all(part.attachment is None and len(part.payload["thread_name"]) <= LIMITS.thread_name for part in parts)
    assert "thread_name" not in parent.payload


def test_rendering_is_deterministic() -> None:
    assert render_digest(_huge_digest(), b"png") == render_digest(_huge_digest(), b"png")


def test_hostile_titles_are_inert_everywhere() -> None:
    rendered = json.dumps([m.payload for m in render_digest(_small_digest(), b"png")], ensure_ascii=False)

    assert "@everyone" not in rendered and "@here" not in rendered
    assert "@\u200beveryone" in rendered
    assert "](https://evil.example" not in rendered  # the masked link is broken...
    assert "https://evil.example/x" in rendered  # ...and its real target shown
    assert "||spoiler||" not in rendered and "\\\\|\\\\|spoiler" in rendered
    assert "**bold**" not in rendered
    assert "<@1234" not in rendered


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Heading", "\\# Heading"),
        ("> quote", "\\> quote"),
        ("-# subtext", "\\-# subtext"),
        ("a_b*c*~d~`e`", "a\\_b\\*c\\*\\~d\\~\\`e\\`"),
        ("see https://arxiv.org/abs/2409_1", "see https://arxiv.org/abs/2409_1"),
        ("<t:1700000000:R> <#123>", "\\<t:1700000000:R> \\<#123>"),
        ("two\nlines", "two lines"),
    ],
)
def test_escape_makes_markup_literal(text: str, expected: str) -> None:
    assert escape(text) == expected


def test_a_text_reply_quoting_a_title_keeps_only_our_own_markup() -> None:
    text = (
        "2 papers match — which one? 2606.00001 **bold** _x_ @everyone <@123> [a](https://evil.example); "
        "ask with `/digest paper 2606.00001`\n\n/digest help    lists the commands"
    )

    (message,) = render_reply(TextReply(text))

    content = message.payload["content"]
    assert "\\*\\*bold\\*\\* \\_x\\_ @\u200beveryone \\<@123>" in content
    assert "](https://evil.example" not in content
    assert "`/digest paper 2606.00001`" in content  # a command to type stays code
    assert content.endswith("\n\n/digest help    lists the commands")  # lines and spacing as written


def test_link_labels_cannot_close_the_link() -> None:
    assert link("a] [b", "https://arxiv.org/abs/1") == "[a) (b](https://arxiv.org/abs/1)"


def test_every_reply_kind_renders_within_limits() -> None:
    digest = _small_digest()
    paper = digest.papers[1]
    replies = [
        TextReply("x " * 2_600),
        DigestReply(digest=digest, chart_png=b"png"),
        PaperReply(
            paper=_paper(9, title="T" * 300),
            summary=PaperSummary(
                arxiv_id="2606.00009",
                title="T",
                tldr="Short.",
                key_points=["one", "two"],
                keywords=["k"],
                backend=Backend.LLM,
            ),
        ),
        CategoriesReply(categories=tuple(s.category for s in digest.sections), counts={"llm": 1}),
        SearchReply(query="cache", hits=[SearchHit(paper=paper, digest_date="2026-06-26", snippet="@here cache")]),
        SearchReply(query="nothing", hits=[]),
        AnswerReply(
            text="They used 8 GPUs.\n\n@everyone **really**",
            citations=[Paper(arxiv_id="2606.00002", title=HOSTILE, abstract="")],
        ),
    ]
    for reply in replies:
        messages = render_reply(reply)
        assert messages, reply
        for message in messages:
            assert violations(message.payload) == [], reply
            text = json.dumps(message.payload, ensure_ascii=False)
            assert "@everyone" not in text and "@here" not in text


def test_long_text_is_split_not_truncated() -> None:
    text = " ".join(f"word{i}" for i in range(900))
    messages = render_reply(TextReply(text))

    assert len(messages) == 4
    assert all(len(m.payload["content"]) <= LIMITS.content for m in messages)
    assert " ".join(m.payload["content"] for m in messages).split() == text.split()


def test_a_title_too_long_for_the_embed_title_is_given_in_full_in_the_description() -> None:
    long_title = "Deep " * 80
    [message] = render_reply(
        PaperReply(
            paper=_paper(7, title=long_title),
            summary=PaperSummary(
                arxiv_id="2606.00007", title=long_title, tldr="t", key_points=[], keywords=[], backend=Backend.LLM
            ),
        )
    )
    embed = message.payload["embeds"][0]
    assert len(embed["title"]) <= LIMITS.embed_title and embed["title"].endswith("…")
    assert embed["description"].startswith(f"**{long_title.strip()}**")


def test_snapshot_of_a_small_digest() -> None:
    """A readable diff of the exact embeds whenever rendering changes (UPDATE_SNAPSHOTS=1 rewrites it)."""
    rendered = [
        {"content": m.payload["content"], "embeds": m.payload["embeds"], "thread_name": m.payload.get("thread_name")}
        for m in render_digest(_small_digest(), b"png")
    ]
    text = json.dumps(rendered, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not SNAPSHOT.exists():
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert text == SNAPSHOT.read_text(encoding="utf-8")
