"""The "worth reading today" rank of every paper of a digest, with its reasons.

The score adds up offline signals (numbers, a release, an accepted venue), subtracts for a
near-duplicate of a recent digest's paper, and blends in a model's 1–10 notability when the
categorizer asked for one. A channel's interests re-rank at post time (:func:`ranked_for`),
since one digest serves every channel. Weights are round numbers on purpose: a reader should be
able to recompute a score from its reasons.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from digestbot.summarizer.models import CategoryAssignment, Digest, Paper, PaperRank
from digestbot.summarizer.ranking.interests import InterestMatcher, parse_interests
from digestbot.summarizer.ranking.novelty import NoveltyIndex, RecentPaper
from digestbot.summarizer.ranking.signals import releases, result_numbers, venue

__all__ = ["NoveltyIndex", "RecentPaper", "parse_interests", "rank_papers", "ranked_for"]

NUMBERS = 1.0
MANY_NUMBERS = 0.5
MANY_NUMBERS_AT = 3
RELEASE = {"code released": 1.0, "data released": 0.5, "model released": 0.5, "project page": 0.25}
VENUE = 1.5
WORKSHOP = 0.75
DUPLICATE = -2.0
NOTABILITY_PER_POINT = 0.5
NOTABILITY_MIDDLE = 5
INTEREST = 4.0
MORE_INTERESTS = 0.5
INTEREST_REASON = "matches interest: "
"""How a rank's reasons name a matched interest (the post marks those papers)."""


def _offline(paper: Paper, novelty: NoveltyIndex | None) -> tuple[float, list[str]]:
    score, reasons = 0.0, []
    numbers = result_numbers(paper)
    if numbers:
        score += NUMBERS + (MANY_NUMBERS if numbers >= MANY_NUMBERS_AT else 0.0)
        reasons.append("reports numbers")
    for release in releases(paper):
        score += RELEASE[release]
        reasons.append(release)
    if accepted := venue(paper):
        score += WORKSHOP if accepted.endswith("workshop") else VENUE
        reasons.append(f"accepted at {accepted}")
    if novelty is not None and (original := novelty.duplicate_of(paper)):
        score += DUPLICATE
        reasons.append(f"near-duplicate of a recent paper ({original})")
    return score, reasons


def rank_papers(
    papers: Sequence[Paper],
    *,
    assignments: Iterable[CategoryAssignment] = (),
    recent: NoveltyIndex | Iterable[RecentPaper] = (),
) -> list[PaperRank]:
    """Every paper's rank, best first (ties keep the listing's order).

    ``recent`` is the papers of the last 30 days' digests (or an index built from them);
    ``assignments`` carry the model's notability when the LLM categorizer gave one.
    """
    novelty = recent if isinstance(recent, NoveltyIndex) else NoveltyIndex(recent)
    notability = {a.arxiv_id: a.notability for a in assignments if a.notability is not None}
    ranks = []
    for paper in papers:
        score, reasons = _offline(paper, novelty if len(novelty) else None)
        if (rating := notability.get(paper.arxiv_id)) is not None:
            score += (rating - NOTABILITY_MIDDLE) * NOTABILITY_PER_POINT
            reasons.append(f"model notability {rating}/10")
        ranks.append(PaperRank(arxiv_id=paper.arxiv_id, score=round(score, 2), reasons=reasons))
    return sorted(ranks, key=lambda rank: -rank.score)


def matched_interests(rank: PaperRank) -> list[str]:
    """The channel interests a rank of :func:`ranked_for` matched, in the order given."""
    return [reason.removeprefix(INTEREST_REASON) for reason in rank.reasons if reason.startswith(INTEREST_REASON)]


def ranked_for(digest: Digest, interests: Sequence[str] = ()) -> list[PaperRank]:
    """The digest's ranks for one channel: papers matching its interests raised and marked.

    A digest stored before ranks existed is ranked here from its papers alone. Only papers
    still in the digest count (a channel's category filter may have removed some).
    """
    papers = {paper.arxiv_id: paper for paper in digest.papers}
    stored = [rank for rank in digest.ranks if rank.arxiv_id in papers]
    if len(stored) < len(papers):
        stored = rank_papers(list(papers.values()), assignments=digest.assignments)
    matcher = InterestMatcher(interests)
    if not matcher:
        return stored
    reranked = []
    for rank in stored:
        matched = matcher.matches(papers[rank.arxiv_id])
        if matched:
            boost = INTEREST + MORE_INTERESTS * (len(matched) - 1)
            rank = PaperRank(
                arxiv_id=rank.arxiv_id,
                score=round(rank.score + boost, 2),
                reasons=[*(INTEREST_REASON + phrase for phrase in matched), *rank.reasons],
            )
        reranked.append((len(matched), rank))
    # On a tie, the paper the channel asked for comes first.
    return [rank for _, rank in sorted(reranked, key=lambda item: (-item[1].score, -item[0]))]
