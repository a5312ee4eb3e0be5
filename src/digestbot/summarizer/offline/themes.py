"""A category's main themes and keywords from its ranked key phrases.

A theme is a phrase plus two or three of the papers that carry it; no paper is the example of
two themes when another paper can serve, and a theme never repeats another's topic word
("Gaussian Splatting" and "3D Gaussian Splatting" are one theme). Keywords are the next
phrases down the list, never the themes again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from digestbot.summarizer.models import Paper
from digestbot.summarizer.offline import phrasing
from digestbot.summarizer.offline.keyphrases import RankedPhrase, document_phrases

THEMES_PER_CATEGORY = 4
EXAMPLES_PER_THEME = 3
MIN_EXAMPLES = 2


@dataclass(frozen=True)
class Themes:
    lines: list[str]
    keywords: list[str]
    # The theme most papers share and how many: the one thread the outlook names.
    lead: tuple[str, int] | None


def pick_themes(ranked: Sequence[RankedPhrase], papers: Sequence[Paper], *, keywords: int, language: str) -> Themes:
    """Themes with distinct example papers, then keywords that repeat none of them."""
    titles = {paper.arxiv_id: paper.title for paper in papers}
    chosen: list[tuple[RankedPhrase, list[str]]] = []
    used: set[str] = set()
    for phrase in ranked:
        if len(chosen) == THEMES_PER_CATEGORY:
            break
        if not phrase.specific or _repeats(phrase, [kept for kept, _ in chosen]):
            continue
        examples = _examples(phrase, titles, used)
        if len(examples) >= min(MIN_EXAMPLES, len(phrase.paper_ids)) and len(phrase.paper_ids) >= MIN_EXAMPLES:
            used.update(examples)
            chosen.append((phrase, examples))
    lines = [
        phrasing.theme_line(phrase.surface, len(phrase.paper_ids), [titles[i] for i in examples], language)
        for phrase, examples in chosen
    ]
    taken = [phrase for phrase, _ in chosen]
    words: list[RankedPhrase] = []
    for phrase in ranked:
        if len(words) == keywords:
            break
        if not _repeats(phrase, [*taken, *words]):
            words.append(phrase)
    lead = max(taken, key=lambda p: len(p.paper_ids), default=None)
    return Themes(
        lines=lines,
        keywords=[phrase.surface for phrase in words],
        lead=(lead.surface, len(lead.paper_ids)) if lead else None,
    )


def _repeats(phrase: RankedPhrase, kept: Sequence[RankedPhrase]) -> bool:
    """Shares a topic word with a kept phrase, or is its acronym ("MLLMs" and "multimodal large
    language models")."""
    return any(phrase.topical & other.topical or phrase.initials == other.initials for other in kept)


def _examples(phrase: RankedPhrase, titles: dict[str, str], used: set[str]) -> list[str]:
    """Up to three papers not yet shown as an example; a paper that names the phrase in its
    title comes first, since the theme is its main topic rather than a passing mention."""
    fresh = [arxiv_id for arxiv_id in phrase.paper_ids if arxiv_id not in used]
    fresh.sort(key=lambda arxiv_id: phrase.key not in document_phrases(titles[arxiv_id]))
    return fresh[:EXAMPLES_PER_THEME]
