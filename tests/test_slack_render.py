"""Slack rendering: Block Kit within Slack's limits, nothing lost, nothing able to ping."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from digestbot.adapters.slack import PLATFORM as SLACK
from digestbot.adapters.slack.blocks import text_length
from digestbot.adapters.slack.limits import LIMITS
from digestbot.adapters.slack.render import SEARCH_HITS_SHOWN, render_digest, render_reply
from digestbot.app.factory import make_digest_service
from digestbot.bot.commands.grammar import HELP_TEXT
from digestbot.bot.commands.replies import (
    AnswerReply,
    CategoriesReply,
    PaperReply,
    SearchHit,
    SearchReply,
    TextReply,
)
from digestbot.bot.config import Settings
from digestbot.bot.ports import OutgoingMessage
from digestbot.summarizer.models import (
    Backend,
    CategorySection,
    CategorySummary,
    Digest,
    KeyFact,
    Paper,
    PaperSummary,
)
from digestbot.summarizer.taxonomy import load_taxonomy

SNAPSHOT = Path(__file__).parent / "snapshots" / "slack_digest.json"
EVIL_TITLE = "<!channel> free GPUs & <https://evil|click>"
_SOURCE_LINK = re.compile(r"<https://arxiv\.org/abs/([\d.]+)\|")
_ANY_CONTROL = re.compile(r"<([^>]*)>")

TAXONOMY = load_taxonomy()


def paper(number: int, *, title: str | None = None, abstract: str = "We study things. It works 2x faster.") -> Paper:
    return Paper(
        arxiv_id=f"2606.{number:05d}",
        title=title or f"A study of things, part {number}",
        abstract=abstract,
        authors=("Ada Lovelace", "Alan Turing"),
        primary_category="cs.CL",
        categories=("cs.CL", "cs.AI"),
    )


def summary_for(papers: list[Paper], *, facts: list[KeyFact] | None = None, **extra: Any) -> CategorySummary:
    fields: dict[str, Any] = {
        "main_themes": ["Things — 2 papers, e.g. 'A study of things'"],
        "keywords": ["things", "speed"],
        "key_facts": [KeyFact(arxiv_id=p.arxiv_id, title=p.title, fact="It works.") for p in papers]
        if facts is None
        else facts,
        "impact": [f"Faster things for everyone [{papers[0].arxiv_id}]"],
        "outlook": "More things tomorrow.",
        "backend": Backend.OFFLINE,
        "notes": ["Extractive summary: sentences are quoted from the abstracts."],
    }
    return CategorySummary(**(fields | extra))


def digest_of(sections: dict[str, list[Paper]], **summaries: CategorySummary) -> Digest:
    return Digest(
        date=dt.date(2026, 6, 26),
        language="en",
        sections=[
            CategorySection(
                category=TAXONOMY.get(slug), papers=papers, summary=summaries.get(slug) or summary_for(papers)
            )
            for slug, papers in sections.items()
        ],
        backend=Backend.OFFLINE,
        source="test",
    )


def texts_of(block: dict[str, Any]) -> list[str]:
    found = [block["text"]["text"]] if "text" in block else []
    return found + [element["text"] for element in block.get("elements", [])]


def mrkdwn_texts(messages: list[OutgoingMessage]) -> list[str]:
    """Texts Slack parses (headers are plain_text, shown literally), and the fallbacks."""
    return [
        text for m in messages for block in m.payload["blocks"] if block["type"] != "header" for text in texts_of(block)
    ] + [m.text for m in messages]


def all_texts(messages: list[OutgoingMessage]) -> list[str]:
    return [text for m in messages for block in m.payload["blocks"] for text in texts_of(block)] + [
        m.text for m in messages
    ]


def assert_within_limits(messages: list[OutgoingMessage]) -> None:
    for message in messages:
        blocks = message.payload["blocks"]
        assert 0 < len(blocks) <= LIMITS.blocks_per_message
        assert sum(text_length(block) for block in blocks) <= LIMITS.message_block_text
        assert 0 < len(message.text) <= LIMITS.top_level_text
        for block in blocks:
            if block["type"] == "header":
                assert len(block["text"]["text"]) <= LIMITS.header_text
            for text in texts_of(block):
                assert len(text) <= LIMITS.section_text


def source_ids(messages: list[OutgoingMessage]) -> list[str]:
    """Every paper linked from a Sources section, across all messages."""
    return [
        arxiv_id
        for message in messages
        for block in message.payload["blocks"]
        for text in texts_of(block)
        if text.startswith("*Sources*")
        for arxiv_id in _SOURCE_LINK.findall(text)
    ]


def test_a_huge_category_is_split_within_limits_and_loses_nothing() -> None:
    words = " ".join(f"w{i}" for i in range(10_000))
    papers = [paper(n) for n in range(1, 301)]
    papers[7] = paper(8, abstract=words)
    facts = [KeyFact(arxiv_id=p.arxiv_id, title=p.title, fact=p.abstract) for p in papers]
    digest = digest_of({"llm": papers, "cv": [paper(999)]}, llm=summary_for(papers, facts=facts))

    messages = render_digest(digest, b"PNG")

    assert_within_limits(messages)
    assert sorted(source_ids(messages)) == sorted(p.arxiv_id for p in [*papers, paper(999)])
    quoted = [int(n) for text in all_texts(messages) for n in re.findall(r"\bw(\d+)\b", text)]
    assert quoted == list(range(10_000)), "the 10,000-word key fact must appear whole, in order"
    assert messages[0].attachment == ("digest-2026-06-26.png", b"PNG")
    assert all(m.attachment is None for m in messages[1:])
    assert len(messages) > 5


async def test_every_paper_of_the_sample_day_is_in_sources_once() -> None:
    digest = await make_digest_service(Settings(digest_source="sample")).digest()

    messages = render_digest(digest, b"PNG")

    assert_within_limits(messages)
    assert sorted(source_ids(messages)) == sorted(p.arxiv_id for p in digest.papers)


def test_untrusted_text_renders_inert() -> None:
    evil = paper(1, title=EVIL_TITLE, abstract="Hello @here and @channel <@U123> & <!everyone>.")
    facts = [KeyFact(arxiv_id=evil.arxiv_id, title=evil.title, fact=evil.abstract)]
    digest = digest_of({"llm": [evil]}, llm=summary_for([evil], facts=facts, outlook="<!here> ## not a heading"))
    summary = PaperSummary(
        arxiv_id=evil.arxiv_id, title=evil.title, tldr=evil.abstract, key_points=[], keywords=[], backend=Backend.LLM
    )
    messages = [*render_digest(digest, b""), *render_reply(PaperReply(paper=evil, summary=summary))]

    for text in mrkdwn_texts(messages):
        for control in _ANY_CONTROL.findall(text):
            assert control.startswith("https://arxiv.org/"), f"unexpected control sequence <{control}> in {text!r}"
        assert not re.search(r"(?<!\u2060)@(here|channel|everyone)\b", text.replace("@\u2060", "")), text
    rendered = json.dumps([m.payload for m in messages], ensure_ascii=False)
    assert "&lt;!channel&gt; free GPUs &amp; &lt;https://evil\u2223click&gt;" in rendered
    assert "@\u2060here" in rendered


MARKUP_TITLE = "*Bold* claims: _really_ ~gone~ `code` <!here> in snake_case"
# A formatting mark Slack would honour: at a word's edge, on either side.
_LIVE_MARK = re.compile(r"(?<![^\W_])[*_~`](?=\S)|(?<=\S)[*_~`](?![^\W_])")


def _title_texts(messages: list[OutgoingMessage]) -> list[str]:
    """Every text object and top-level fallback that carries the title, from its first mark on."""
    texts = [*mrkdwn_texts(messages), *(m.text for m in messages)]
    return [text[text.index("Bold") - 1 :] for text in texts if "Bold" in text]


@pytest.mark.parametrize("detail", ["brief", "full"])
def test_a_paper_titles_formatting_marks_render_as_written_in_blocks_and_fallbacks(detail: str) -> None:
    marked = paper(1, title=MARKUP_TITLE)
    digest = digest_of({"llm": [marked, paper(2)]})
    summary = PaperSummary(
        arxiv_id=marked.arxiv_id, title=marked.title, tldr="t", key_points=[], keywords=[], backend=Backend.LLM
    )
    messages = [*SLACK.render_digest(digest, b"", detail=detail), *render_reply(PaperReply(marked, summary))]

    shown = _title_texts(messages)
    assert len(shown) >= 3  # the post's lines, the paper reply's heading and its notification text
    for text in shown:
        title = text[: text.index("snake_case") + len("snake_case")]
        assert not _LIVE_MARK.search(title), title
        assert "&lt;!here&gt;" in title and "snake_case" in title


def test_snapshot_of_a_small_digest() -> None:
    """The exact blocks of a fixed digest; rendering changes show up as a diff of this file.
    Regenerate with UPDATE_SNAPSHOTS=1 after checking the change is intended."""
    papers = [paper(1, title="Speculative decoding & friends"), paper(2), paper(3, title="Seeing <things>")]
    digest = digest_of({"inference": papers[:2], "cv": papers[2:]})
    rendered = [
        {"text": m.text, "payload": m.payload, "attachment": m.attachment and [m.attachment[0], len(m.attachment[1])]}
        for m in render_digest(digest, b"\x89PNG fake chart")
    ]
    current = json.dumps(rendered, indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(current, encoding="utf-8")
    assert SNAPSHOT.exists(), "no snapshot yet: run with UPDATE_SNAPSHOTS=1"
    assert current == SNAPSHOT.read_text(encoding="utf-8")


def test_a_single_category_digest_has_no_chart() -> None:
    messages = render_digest(digest_of({"llm": [paper(1)]}), b"PNG")

    assert messages[0].attachment is None
    assert len(messages) == 2


@pytest.mark.parametrize(
    "reply",
    [
        TextReply(HELP_TEXT, ephemeral=True),
        TextReply("Unknown category 'lmm' — did you mean `llm`?"),
        CategoriesReply(categories=TAXONOMY.categories, counts={"llm": 4}),
        SearchReply(
            query="cache",
            hits=[SearchHit(paper=paper(n), digest_date="2026-06-26", snippet="KV cache <b>") for n in range(1, 31)],
        ),
        SearchReply(query="nothing", hits=[]),
        AnswerReply(
            text="It uses 8 GPUs [2606.00001].\nSee also [2606.00002v2].",
            citations=[Paper(arxiv_id="2606.00001", title="T", abstract="")],
        ),
        PaperReply(
            paper=paper(1, title="x" * 400),
            summary=PaperSummary(
                arxiv_id="2606.00001", title="t", tldr="t", key_points=["a"], keywords=["k"], backend=Backend.OFFLINE
            ),
        ),
    ],
    ids=["help", "error", "categories", "search", "no-hits", "answer", "long-title-paper"],
)
def test_every_reply_kind_renders_within_limits(reply: Any) -> None:
    messages = render_reply(reply)

    assert_within_limits(messages)
    rendered = json.dumps([m.payload for m in messages], ensure_ascii=False)
    assert "<category>" not in rendered and "<b>" not in rendered


def test_help_keeps_our_own_markup_but_escapes_angle_brackets() -> None:
    (message,) = render_reply(TextReply("Try `/digest paper <id>` & *bold*"))

    assert message.payload["blocks"][0]["text"]["text"] == "Try `/digest paper &lt;id&gt;` &amp; *bold*"


def test_search_shows_a_bounded_list_and_says_so() -> None:
    hits = [SearchHit(paper=paper(n), digest_date="2026-06-26", snippet="s") for n in range(1, 31)]

    (message,) = render_reply(SearchReply(query="s", hits=hits))

    rendered = json.dumps(message.payload)
    assert len(_SOURCE_LINK.findall(rendered)) == SEARCH_HITS_SHOWN
    assert "Showing 20" in rendered and "30 papers match" in message.text


def test_answer_citations_become_links() -> None:
    (message,) = render_reply(AnswerReply(text="It uses 8 GPUs [2606.00001].", citations=[]))

    assert "[<https://arxiv.org/abs/2606.00001|2606.00001>]" in message.payload["blocks"][0]["text"]["text"]
