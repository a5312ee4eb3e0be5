"""``digestbot digest --explain``: the day's top papers with their scores and the reasons.

Plain text for a terminal, so a team can see why a paper leads the post (and tune its
interests) before any channel gets it.
"""

from __future__ import annotations

from collections.abc import Sequence

from digestbot.summarizer.models import Digest
from digestbot.summarizer.ranking import ranked_for

TITLE_CHARS = 80
EXPLAINED = 10


def explain_ranks(digest: Digest, *, interests: Sequence[str] = (), top: int = EXPLAINED) -> str:
    """The ``top`` papers, best first: score, id, title, category, and why."""
    ranks = ranked_for(digest, interests)
    papers = {p.arxiv_id: (p, s.category.name) for s in digest.sections for p in s.papers}
    header = f"Top {min(top, len(ranks))} of {len(ranks)} papers worth reading ({digest.date.isoformat()})"
    lines = [f"{header}{' for: ' + ', '.join(interests) if interests else ''}:"]
    for place, rank in enumerate(ranks[:top], start=1):
        paper, category = papers[rank.arxiv_id]
        title = paper.title if len(paper.title) <= TITLE_CHARS else paper.title[: TITLE_CHARS - 1] + "…"
        lines.append(f"{place:>2}. {rank.score:>5.2f}  {rank.arxiv_id}  {title}  [{category}]")
        lines.append(f"{'':>13}{' · '.join(rank.reasons) or 'no signal'}")
    return "\n".join(lines)
