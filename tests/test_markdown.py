"""The seed's document form, and that generated or untrusted text cannot change its structure."""

from __future__ import annotations

import re

from digestbot.bot.layout.markdown import escape, render_digest
from digestbot.summarizer.models import CategorySummary, KeyFact
from tests.helpers import make_paper, offline_digest


def headings(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("#")]


def test_matches_the_seed_layout() -> None:
    digest = offline_digest()
    markdown = render_digest(digest)
    assert markdown.startswith("# Daily Artificial Intelligence Insights : Papers\n")
    assert "![Category Distribution Graph](digest-2026-06-26.png)" in markdown
    assert headings(markdown)[1:] == [f"## {s.category.name}" for s in digest.sections]
    assert markdown.count("**Summary:**") == markdown.count("**Sources:**") == len(digest.sections)


def test_every_paper_appears_exactly_once_in_sources() -> None:
    digest = offline_digest()
    markdown = render_digest(digest)
    for paper in digest.papers:
        assert markdown.count(f"({paper.abs_url})") == 1


def test_korean_headings_like_the_seed() -> None:
    markdown = render_digest(offline_digest(language="ko"))
    assert "**요약:**" in markdown and "**출처:**" in markdown


def test_generated_headings_and_markup_in_summaries_stay_text() -> None:
    digest = offline_digest([make_paper(title="<script>alert(1)</script> [click](https://evil) @everyone")])
    section = digest.sections[0]
    hostile = CategorySummary(
        main_themes=["## Multimodal\nnew section"],
        keywords=["# heading"],
        key_facts=[KeyFact(arxiv_id="2606.00001", title=section.papers[0].title, fact="> quote\n## More")],
        impact=["- [x](javascript:alert(1))"],
        outlook="<!channel> ### done",
        backend=section.summary.backend,
    )
    digest.sections[0] = section.model_copy(update={"summary": hostile})
    markdown = render_digest(digest)
    assert headings(markdown) == ["# Daily Artificial Intelligence Insights : Papers", f"## {section.category.name}"]
    body = markdown.split("## ", 1)[1]  # after our own chart link
    assert not re.search(r"(?<!\\)[<>]", body), "an unescaped angle bracket could open HTML"
    assert not re.search(r"(?<!\\)\]\(", body), "an unescaped ]( would make a link"


def test_escape_folds_newlines_and_neutralizes_line_starts() -> None:
    assert escape("1. first\n2. second") == "1\\. first 2. second"
    assert escape("a_b*c") == "a\\_b\\*c"
