"""The offline back end's text, read as a researcher reads it, on real abstracts from the fixtures:
TeX rendered, sentences split where authors end them, quotes chosen by role, themes that are
noun phrases, and a TL;DR for every paper."""

from __future__ import annotations

import asyncio
import re
from functools import cache
from pathlib import Path

import pytest

from digestbot.adapters.discord.render import render_reply as render_discord
from digestbot.adapters.slack.render import render_digest as render_slack
from digestbot.bot.commands.replies import DigestReply
from digestbot.bot.layout.markdown import render_digest as render_markdown
from digestbot.summarizer.latex import clean_latex
from digestbot.summarizer.models import Digest, Paper, note_text
from digestbot.summarizer.offline.keyphrases import _lexicon
from digestbot.summarizer.offline.roles import Role, abstract_sentences, repair_start, strip_label
from digestbot.summarizer.offline.summarizer import ExtractiveSummarizer, abstract_text, key_sentence
from digestbot.summarizer.offline.tldr import TLDR_MAX_WORDS
from digestbot.summarizer.sources.jsonl import read_papers, sample_source
from digestbot.summarizer.stemming import stem
from tests.helpers import offline_digest

FIXTURE_DAY = Path(__file__).parent / "fixtures" / "2026-06-30.jsonl"
DANGLING = re.compile(r"^(Second|Third|Finally|Moreover|Furthermore|Additionally|In addition|However|Thus),", re.I)
TEX = re.compile(r"\\[A-Za-z]+|\$")
# Opening connectives ("Second, …" quoted alone points at nothing) and section labels ("Results:")
# that a quote drops on purpose.
_CONNECTIVE_WORDS = """
first firstly second secondly third thirdly fourth lastly finally moreover furthermore additionally addition besides
also further then next meanwhile however nevertheless nonetheless thus therefore hence consequently accordingly
particular specifically notably importantly crucially overall summary conclusion short contrast conversely
instead result this that other hand beyond building such summarize
introduction background objective objectives purpose methods methodology materials results findings
discussion conclusion conclusions significance
"""
CONNECTIVES = frozenset(_CONNECTIVE_WORDS.split())


@cache
def all_papers() -> dict[str, Paper]:
    papers = [*read_papers(FIXTURE_DAY), *sample_source().listing().papers]
    return {paper.arxiv_id: paper for paper in papers}


def paper(arxiv_id: str) -> Paper:
    return all_papers()[arxiv_id]


def sentences(arxiv_id: str) -> list[str]:
    return [s.text for s in abstract_sentences(paper(arxiv_id).abstract)]


@cache
def fixture_day_digest() -> Digest:
    papers = read_papers(FIXTURE_DAY)
    return offline_digest(papers)


def digests() -> list[Digest]:
    return [offline_digest(), fixture_day_digest()]


# --- TeX ---------------------------------------------------------------------------------


def test_a_textsc_title_is_rendered_as_its_text() -> None:
    assert paper("2606.26530").title.startswith("DiARC: Distinguishing Positive and Negative Samples")


@pytest.mark.parametrize(
    ("arxiv_id", "expected"),
    [
        ("2606.29350", "ST-Merge achieves an 8.3× speedup at 1024 × 1024 resolution"),  # \times
        ("2606.26452", "while using <1/250th of the model size"),  # \frac{1}{250}^{\mathrm{th}}
        ("2606.30108", "of 79.4 ± 10.1 and a Normalized Surface Dice"),  # \pm
        ("2606.28416", "an AUROC of 92.1%"),  # \%
        ("2606.28840", "3D Gaussian Splatting (3DGS) has emerged"),  # ~ (a tie)
        ("2606.30212", "p^m≡1 mod 4"),  # math mode: braces and \pmod
    ],
)
def test_tex_in_real_abstracts_becomes_unicode(arxiv_id: str, expected: str) -> None:
    text = abstract_text(paper(arxiv_id))
    assert expected in text
    assert not TEX.search(text)


def test_no_sentence_of_either_fixture_day_shows_raw_tex_or_loses_a_word() -> None:
    for item in all_papers().values():
        cleaned = abstract_text(item)
        assert not re.search(r"\\(times|frac|mathrm|textbf|textsc|pm|sim|le|ge)\b", cleaned), item.arxiv_id
        # TeX's own words go: math, macro names, a colour name, a URL the link text replaces
        outside_tex = re.sub(r"\$[^$]*\$|\\textcolor\{\w+\}|\\[A-Za-z]+|https?://\S+", " ", item.abstract)
        plain_words = {w.lower() for w in re.findall(r"(?<![\\\w])[A-Za-z]{4,}(?![\w])", outside_tex)}
        dropped_on_purpose = CONNECTIVES
        missing = {w for w in plain_words - dropped_on_purpose if w not in cleaned.lower()}
        assert not missing, (item.arxiv_id, sorted(missing)[:5])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("cuts cost by 50% and R&D time & effort", "cuts cost by 50% and R&D time & effort"),
        ("a_b stays, x<5 stays", "a_b stays, x<5 stays"),
        ("an unbalanced $ sign keeps its words", "an unbalanced $ sign keeps its words"),
        (r"an unbalanced $\times sign keeps its words", "an unbalanced × sign keeps its words"),
        (r"\href{https://x.org/y} and \method{} work", "https://x.org/y and method work"),
        (r"a \~74pp collapse", "a ∼74pp collapse"),
        (r"broken {brace \textbf{x", "broken brace x"),
    ],
)
def test_prose_specials_and_malformed_tex_never_crash_or_lose_words(raw: str, expected: str) -> None:
    assert clean_latex(raw) == expected


def test_rendered_digests_escape_once_and_show_no_tex() -> None:
    """The Markdown file, Slack blocks and Discord embeds of a digest with TeX-heavy papers."""
    tex_papers = [paper(i) for i in ("2606.26452", "2606.26530", "2606.29350", "2606.30108")]
    digest = offline_digest(tex_papers)
    markdown = render_markdown(digest)
    assert "\\\\" not in markdown and "\\times" not in markdown and "\\frac" not in markdown
    slack = str([message.payload for message in render_slack(digest, None)])
    assert "\\\\" not in slack and "times$" not in slack and "&amp;lt;" not in slack
    discord = str([message.payload for message in render_discord(DigestReply(digest=digest, chart_png=None))])
    assert "\\\\\\\\" not in discord and "\\times" not in discord


# --- Sentences ---------------------------------------------------------------------------


def test_us_and_iid_do_not_end_a_sentence() -> None:
    assert any("twenty years of U.S. FDA Adverse Event Reporting System" in s for s in sentences("2606.26205"))
    iid = sentences("2606.30118")
    assert any("where i.i.d. base rewards are multiplicatively discounted" in s for s in iid)
    assert not any(s.endswith(("U.S.", "i.i.d.")) for s in iid + sentences("2606.26205"))


def test_a_dangling_connective_is_removed_and_the_sentence_capitalized() -> None:
    quoted = sentences("2606.28374")
    assert "Unguarded context evolution is high-variance and unsafe." in quoted
    assert repair_start("Second, to enable transfer, we add a head.") == "To enable transfer, we add a head."
    for item in all_papers().values():
        assert not any(DANGLING.match(s) for s in sentences(item.arxiv_id)), item.arxiv_id


def test_section_labels_are_stripped_and_decide_the_role() -> None:
    quoted = abstract_sentences(paper("2606.26970").abstract)
    assert not any(re.match(r"(Introduction|Objective|Methodology|Results):", s.text) for s in quoted)
    assert next(s for s in quoted if s.text.startswith("The dataset comprises all 144")).role is Role.METHOD
    assert next(s for s in quoted if s.text.startswith("YOLO11l")).role is Role.RESULT
    assert strip_label("Note: the setting matters.") == ("Note: the setting matters.", None)


# --- Roles -------------------------------------------------------------------------------


def test_key_facts_are_results_and_impact_lines_are_implications() -> None:
    assert key_sentence(paper("2606.26970")).startswith("YOLO11l (large) achieved the best overall performance")
    assert key_sentence(paper("2606.28798")).startswith("The combined probe performed best on MIMIC-IV")
    for digest in digests():
        for section in digest.sections:
            roles = {s.text: s for p in section.papers for s in abstract_sentences(p.abstract)}
            for fact in section.summary.key_facts:
                quoted = roles.get(fact.fact.removesuffix(" …"))
                assert quoted is None or quoted.role is not Role.BACKGROUND, fact.fact
            for line in section.summary.impact:
                text = re.sub(r" \[\d{4}\.\d{4,5}\]$", "", line)
                assert roles[text].role is Role.IMPLICATION, line
                assert "http" not in text and "available at" not in text, line


# --- Themes and keywords -----------------------------------------------------------------


def _theme_examples(line: str) -> list[str]:
    return re.findall(r"'([^']+)'", line.split(" — ", 1)[1])


def test_themes_are_noun_phrases_with_two_or_three_distinct_papers() -> None:
    lexicon = _lexicon()
    for digest in digests():
        for section in digest.sections:
            if len(section.papers) <= 3:
                continue  # a small category's papers are its themes
            used: list[str] = []
            for line in section.summary.main_themes:
                phrase = line.split(" — ")[0].lower().split()
                assert phrase[-1] not in lexicon.verbs and phrase[-1] not in lexicon.adjectives, line
                assert phrase[0] not in lexicon.verbs and not phrase[0].endswith("ly"), line
                examples = _theme_examples(line)
                assert 2 <= len(examples) <= 3, line
                used += examples
            assert len(used) == len(set(used)), section.category.slug


def test_keywords_do_not_repeat_themes_and_the_outlook_repeats_neither_list() -> None:
    for digest in digests():
        for section in digest.sections:
            summary = section.summary
            if len(section.papers) <= 3:
                continue
            themes = [line.split(" — ")[0] for line in summary.main_themes]
            theme_stems = {stem(w.lower()) for theme in themes for w in theme.split()}
            assert not set(summary.keywords) & set(themes)
            assert sum(1 for k in summary.keywords if {stem(w.lower()) for w in k.split()} <= theme_stems) == 0
            assert sum(1 for k in summary.keywords if k in summary.outlook) == 0
            assert sum(1 for theme in themes if theme in summary.outlook) <= 1


def test_no_theme_or_keyword_is_the_category_name_itself() -> None:
    digest = fixture_day_digest()
    llm = digest.section("llm")
    assert llm is not None
    words = {w.lower() for line in llm.summary.main_themes for w in line.split(" — ")[0].split()}
    assert not {"language", "llm", "llms"} & {w for w in words if len(words) == 1}
    assert "language" not in [k.lower() for k in llm.summary.keywords]
    assert "large language models" not in [k.lower() for k in llm.summary.keywords]


# --- TL;DRs ------------------------------------------------------------------------------


def test_every_paper_of_the_day_gets_a_clean_one_sentence_tldr() -> None:
    for digest in digests():
        assert set(digest.tldrs) == {p.arxiv_id for p in digest.papers}
        for arxiv_id, tldr in digest.tldrs.items():
            assert tldr and (len(tldr.split()) <= TLDR_MAX_WORDS + 1 or not tldr.endswith(" …")), arxiv_id
            assert not TEX.search(tldr) and not DANGLING.match(tldr), arxiv_id
            assert "http" not in tldr, arxiv_id


def test_paper_summary_uses_the_same_tldr_and_keeps_it_clean() -> None:
    item = paper("2606.26530")
    summary = asyncio.run(ExtractiveSummarizer().summarize_paper(item, language="en"))
    digest = offline_digest([item])
    assert summary.tldr == digest.tldrs[item.arxiv_id]
    assert "DiARC" in summary.tldr and not TEX.search(summary.tldr)
    assert summary.keywords and all(not TEX.search(k) for k in summary.keywords)


def test_a_model_written_tldr_wins_and_every_other_paper_gets_a_quoted_one() -> None:
    from digestbot.summarizer.models import CategoryAssignment
    from digestbot.summarizer.pipeline import every_tldr

    digest = offline_digest([paper("2606.26530"), paper("2606.26452")])
    assignments = [
        CategoryAssignment(arxiv_id="2606.26530", slug="llm", tldr="DiARC adds negative samples to ARC training."),
        CategoryAssignment(arxiv_id="2606.26452", slug="inference"),
    ]
    assert every_tldr(digest.sections, assignments) == {
        "2606.26530": "DiARC adds negative samples to ARC training.",
        "2606.26452": digest.tldrs["2606.26452"],
    }


# --- Korean ------------------------------------------------------------------------------


def test_korean_framing_says_the_quotes_are_english_abstracts() -> None:
    digest = offline_digest(language="ko")
    for section in digest.sections:
        assert any("영어 원문" in note_text(note, "ko") for note in section.summary.notes)
        assert section.summary.outlook.startswith("오늘 ")
        assert "papers" not in section.summary.outlook and "e.g." not in " ".join(section.summary.main_themes)
