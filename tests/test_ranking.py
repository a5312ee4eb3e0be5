"""The "worth reading today" rank: offline signals on real abstracts, novelty, interests."""

from __future__ import annotations

from pathlib import Path

import pytest

from digestbot.summarizer.models import CategoryAssignment, Paper
from digestbot.summarizer.ranking import RecentPaper, parse_interests, rank_papers, ranked_for
from digestbot.summarizer.ranking.signals import releases, result_numbers, venue
from digestbot.summarizer.sources.jsonl import read_papers
from tests.helpers import make_paper, offline_digest

FIXTURE = Path(__file__).parent / "fixtures" / "2026-06-30.jsonl"


@pytest.fixture(scope="module")
def day() -> dict[str, Paper]:
    return {paper.arxiv_id: paper for paper in read_papers(FIXTURE)}


def test_numbers_releases_and_venues_are_read_from_real_abstracts_and_comments(day: dict[str, Paper]) -> None:
    seva = day["2606.29713"]  # "Accepted at AI4GOOD@ICML 2026 …. Code: https://github.com/…"
    assert venue(seva) == "ICML 2026"
    assert "code released" in releases(seva)
    assert venue(day["2606.28386"]) == "ICLR 2026"
    assert venue(day["2606.29031"]) is None  # "Submitted to SLT 2026" is not an acceptance
    assert venue(day["2606.30608"]) is None and releases(day["2606.30608"]) == []
    assert result_numbers(make_paper(abstract="It is 3.2x faster and 12% more accurate (BLEU 31.4).")) == 3
    assert result_numbers(make_paper(abstract="We study 2024 data from 12 hospitals in section 3.")) == 0


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("Accepted by ICML'26", "ICML 2026"),
        ("Accepted by ECCV2026", "ECCV 2026"),
        ("Accepted for presentation at the ACM Conference on Economics and Computation (EC) 2026", "EC 2026"),
        ("Accepted to ICML 2026 Workshop on Compositional Learning. Project Page: https://x.github.io/", None),
        ("Published at Neurips 2025 Workshop on Interpreting Cognition", "Neurips 2025 workshop"),
        ("Accepted to publication in Entropy on June 24, 2026", "Entropy"),
        ("25 pages, Submitted to Sensors Journal (Under Review)", None),
        ("ECCV 2026. Project page: https://a.github.io/p/", "ECCV 2026"),
        ("12 pages, 6 figures", None),
    ],
)
def test_venue_names_are_short(comment: str, expected: str | None) -> None:
    found = venue(make_paper(comment=comment))
    if expected is None and "Workshop" in comment:
        assert found == "ICML 2026 workshop"
    else:
        assert found == expected


def test_ranks_cover_every_paper_best_first_with_reasons(day: dict[str, Paper]) -> None:
    papers = list(day.values())
    ranks = rank_papers(papers)

    assert sorted(r.arxiv_id for r in ranks) == sorted(day)
    assert [r.score for r in ranks] == sorted((r.score for r in ranks), reverse=True)
    best = ranks[0]
    assert {"reports numbers", "code released"} <= set(best.reasons)
    assert any(reason.startswith("accepted at ") for reason in best.reasons)
    assert ranks[-1].reasons == [] and ranks[-1].score == 0.0


def test_a_near_duplicate_of_a_recent_paper_ranks_lower(day: dict[str, Paper]) -> None:
    paper = day["2606.28386"]
    recent = [
        RecentPaper("2605.11111", f"{paper.title} (extended)", "Unrelated abstract."),
        RecentPaper("2605.22222", "Another topic entirely", "Nothing in common here."),
    ]
    reused_text = RecentPaper("2605.33333", "A different title", paper.abstract)

    fresh = rank_papers([paper])[0]
    renamed = rank_papers([paper], recent=recent)[0]
    reused = rank_papers([paper], recent=[reused_text])[0]

    assert renamed.score < fresh.score and reused.score < fresh.score
    assert "near-duplicate of a recent paper (2605.11111)" in renamed.reasons
    assert "near-duplicate of a recent paper (2605.33333)" in reused.reasons
    assert not any("near-duplicate" in r for r in rank_papers([paper], recent=recent[1:])[0].reasons)


def test_model_notability_blends_into_the_score_with_a_reason() -> None:
    papers = [make_paper("2606.00001"), make_paper("2606.00002")]
    notability = [
        CategoryAssignment(arxiv_id="2606.00001", slug="llm", notability=2),
        CategoryAssignment(arxiv_id="2606.00002", slug="llm", notability=9),
    ]

    ranks = rank_papers(papers, assignments=notability)

    assert [r.arxiv_id for r in ranks] == ["2606.00002", "2606.00001"]
    assert "model notability 9/10" in ranks[0].reasons


def test_interests_change_the_top_picks_and_are_marked(day: dict[str, Paper]) -> None:
    digest = offline_digest(list(day.values()))
    plain = [r.arxiv_id for r in ranked_for(digest)[:5]]

    picks = ranked_for(digest, ["speech recognition", "speculative decoding"])[:5]

    assert [r.arxiv_id for r in picks] != plain
    assert "2606.29031" in [r.arxiv_id for r in picks] and "2606.29031" not in plain
    asr = next(r for r in picks if r.arxiv_id == "2606.29031")
    assert asr.reasons[0] == "matches interest: speech recognition"
    marked = [any(reason.startswith("matches interest: ") for reason in r.reasons) for r in picks]
    assert marked[0] and marked == sorted(marked, reverse=True)  # every match ranks above every non-match here


def test_interests_match_word_forms_but_not_fragments() -> None:
    digest = offline_digest(
        [
            make_paper("2606.00001", title="Speculatively decoded drafts", abstract="A drafter. It is 2x faster."),
            make_paper("2606.00002", title="Decoding", abstract="Beam search for decoding. It is 2x faster."),
        ]
    )
    ranks = {r.arxiv_id: r for r in ranked_for(digest, ["speculative decoding"])}
    assert "matches interest: speculative decoding" in ranks["2606.00001"].reasons
    assert not any("interest" in r for r in ranks["2606.00002"].reasons)


def test_the_pipeline_fills_ranks_for_every_paper_of_a_digest() -> None:
    digest = offline_digest()
    assert sorted(r.arxiv_id for r in digest.ranks) == sorted(p.arxiv_id for p in digest.papers)
    restricted = digest.only([digest.sections[0].category.slug])
    assert {r.arxiv_id for r in restricted.ranks} == {p.arxiv_id for p in restricted.papers}
    assert [r.arxiv_id for r in ranked_for(restricted)] == [r.arxiv_id for r in restricted.ranks]


def test_interest_phrases_are_parsed_with_clear_errors() -> None:
    assert parse_interests(" speech recognition,speculative  decoding ;; speech recognition") == (
        "speech recognition",
        "speculative decoding",
    )
    assert parse_interests("") == ()
    with pytest.raises(ValueError, match="too many"):
        parse_interests(",".join(f"topic {i}" for i in range(20)))
    with pytest.raises(ValueError, match="too long"):
        parse_interests("x" * 100)
