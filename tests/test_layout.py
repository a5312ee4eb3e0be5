"""The neutral layout: one decision for every platform about a paper card's parts, labels and
author cut-off, and the order of a category's summary (Slack, Discord and Markdown map it)."""

from __future__ import annotations

import json

from digestbot.adapters.discord.render import render_digest as discord_digest
from digestbot.adapters.discord.render import render_reply as discord_reply
from digestbot.adapters.slack.render import render_digest as slack_digest
from digestbot.adapters.slack.render import render_reply as slack_reply
from digestbot.bot.commands.replies import PaperReply
from digestbot.bot.layout.locale import labels_for
from digestbot.bot.layout.markdown import render_digest, render_paper
from digestbot.bot.layout.parts import AUTHORS_SHOWN, Bullets, Facts, Note, Prose, Words, paper_card, summary_parts
from digestbot.summarizer.models import Backend, CategorySummary, KeyFact, PaperSummary
from digestbot.summarizer.models import Note as TypedNote
from tests.helpers import make_paper, offline_digest

AUTHORS = [f"Author {number}" for number in range(1, 9)]
SUMMARY = PaperSummary(
    arxiv_id="2606.00001",
    title="A paper",
    tldr="It works.",
    key_points=["One point."],
    keywords=["retrieval"],
    backend=Backend.OFFLINE,
)


def test_every_platform_cuts_the_authors_at_the_same_place() -> None:
    paper = make_paper(authors=AUTHORS)
    reply = PaperReply(paper, SUMMARY)
    shown = ", ".join(AUTHORS[:AUTHORS_SHOWN]) + " et al."

    assert paper_card(paper, SUMMARY, "en").authors == shown
    assert shown in render_paper(paper, SUMMARY)
    assert shown in json.dumps(discord_reply(reply)[0].payload)
    assert shown in json.dumps(slack_reply(reply)[0].payload)
    assert "Author 7" not in json.dumps([m.payload for m in slack_reply(reply) + discord_reply(reply)])


def test_a_paper_card_speaks_the_reply_language_on_every_platform() -> None:
    reply = PaperReply(make_paper(), SUMMARY, language="ko")
    tldr = labels_for("ko").tldr

    assert f"**{tldr}:**" in render_paper(reply.paper, SUMMARY, "ko")
    assert tldr in json.dumps(slack_reply(reply)[0].payload, ensure_ascii=False)
    assert tldr in json.dumps(discord_reply(reply)[0].payload, ensure_ascii=False)
    assert "TL;DR" not in json.dumps(slack_reply(reply)[0].payload, ensure_ascii=False)


def test_summary_parts_come_in_reading_order_and_link_papers_by_their_own_url() -> None:
    paper = make_paper("2606.00002", title="Known")
    summary = CategorySummary(
        main_themes=["A theme."],
        keywords=["k"],
        key_facts=[
            KeyFact(arxiv_id="2606.00002", title="Known", fact="Fact."),
            KeyFact(arxiv_id="not-an-id", title="Invented", fact="Fact."),
        ],
        impact=[],
        outlook="Later.",
        notes=["A note."],
        backend=Backend.OFFLINE,
    )

    parts = summary_parts(summary, labels_for("en"), [paper])

    assert [type(part) for part in parts] == [Bullets, Words, Facts, Prose, Note]  # no impact, so no impact part
    facts = parts[2]
    assert isinstance(facts, Facts)
    assert [ref.url for ref, _ in facts.facts] == [paper.abs_url, None]


def test_typed_notes_are_worded_in_the_readers_language_and_old_plain_notes_still_render() -> None:
    late = TypedNote(key="delivery.late", values={"due": "09:00", "zone": "Asia/Seoul", "sent": "11:30"})
    summary = CategorySummary(
        main_themes=["t"], keywords=["k"], key_facts=[], impact=[], outlook="o", backend=Backend.OFFLINE
    )
    stored = summary.model_copy(update={"notes": ["A note stored as text.", late]}).model_dump_json()
    loaded = CategorySummary.model_validate_json(stored)

    assert loaded.notes == ["A note stored as text.", late]
    assert labels_for("en").notes(loaded.notes) == [
        "A note stored as text.",
        "Posted late: this digest was due at 09:00 Asia/Seoul and went out at 11:30.",
    ]
    assert labels_for("ko").notes([late])[0].startswith("늦게 게시됨")


def test_every_post_counts_papers_as_its_language_writes_them() -> None:
    """Korean joins a number and its counter ("261편"), English spaces them ("261 papers")."""
    korean, english = offline_digest(language="ko"), offline_digest()
    total = len(korean.papers)

    for digest, expected in ((korean, f"{total}편"), (english, f"{total} papers")):
        rendered = [
            render_digest(digest),
            json.dumps([m.payload for m in slack_digest(digest, b"png")], ensure_ascii=False),
            json.dumps([m.text for m in slack_digest(digest, b"png")], ensure_ascii=False),
            json.dumps([m.payload for m in discord_digest(digest, b"png")], ensure_ascii=False),
        ]
        assert all(expected in text for text in rendered), expected
    assert labels_for("ko").count(total) == f"{total}편" and f"{total} 편" not in render_digest(korean)
