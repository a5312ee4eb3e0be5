"""Quotable sentences picked by role: every paper's TL;DR, key fact and contribution.

All three are the abstract's own words (TeX rendered, dangling starts removed), chosen by what
the sentence does (see ``roles``): a TL;DR says what the paper does, a key fact what it found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from digestbot.summarizer.models import Paper
from digestbot.summarizer.offline.clauses import main_clause
from digestbot.summarizer.offline.roles import Role, Sentence, abstract_sentences

TLDR_WORDS = 20
"""A TL;DR's main clause at most: a daily post shows dozens of them, read in five minutes."""
TLDR_MAX_WORDS = 30
"""A sentence with no clause to cut at keeps up to this many words rather than lose its verb."""
# "We (…) propose X" sentences, the best one-line answer to "what is this paper?"; "this paper …"
# comes second, since it often states a position ("In this work, we argue …") rather than the thing.
_CONTRIBUTION_OPENERS = (
    re.compile(r"\bwe\b(?: \S+){0,10}? (?:propose|present|introduce|develop|design|build)\b", re.IGNORECASE),
    re.compile(r"\b(?:this (?:paper|work)|we (?:study|investigate))\b", re.IGNORECASE),
)


def _is_contribution(sentence: Sentence, opener: re.Pattern[str]) -> bool:
    return sentence.role is Role.METHOD and bool(opener.search(sentence.text))


def _first(sentences: Iterable[Sentence]) -> Sentence | None:
    return next(iter(sentences), None)


def contribution(paper: Paper) -> str:
    """What the paper says it does: its "we propose" sentence, else its first method sentence,
    else its first sentence that is not background (the title when the abstract is empty)."""
    sentences = [s for s in abstract_sentences(paper.abstract) if not s.pointer]
    chosen = (
        _first(s for s in sentences if _is_contribution(s, _CONTRIBUTION_OPENERS[0]))
        or _first(s for s in sentences if _is_contribution(s, _CONTRIBUTION_OPENERS[1]))
        or _first(s for s in sentences if s.role is Role.METHOD)
        or _first(s for s in sentences if s.role is not Role.BACKGROUND)
        or _first(sentences)
    )
    return chosen.text if chosen else paper.title


def tldr(paper: Paper) -> str:
    """The contribution's main clause: its lead-in dropped and, when it runs on, cut visibly
    ("…") where a clause or phrase begins, so it reads as one short sentence."""
    return main_clause(contribution(paper), target_words=TLDR_WORDS, max_words=TLDR_MAX_WORDS)


def tldrs(papers: Iterable[Paper]) -> dict[str, str]:
    """A TL;DR for every paper, by arXiv id (``Digest.tldrs``)."""
    return {paper.arxiv_id: tldr(paper) for paper in papers}


def result_score(sentence: Sentence) -> float:
    """How much a sentence reports a finding: result role first, then its numbers and result
    cues; among equals the first (abstracts lead with the headline result, then details)."""
    role_weight = {Role.RESULT: 10.0, Role.METHOD: 2.0, Role.IMPLICATION: 1.0, Role.BACKGROUND: -5.0}
    return role_weight[sentence.role] + 2.0 * min(sentence.numbers, 4) + sentence.cues - 0.1 * sentence.position


def key_fact(paper: Paper) -> Sentence | None:
    """The paper's headline result; a paper that reports none gets its contribution instead
    (a method is still a fact about the paper; background never is)."""
    sentences = [s for s in abstract_sentences(paper.abstract) if s.role is not Role.BACKGROUND and not s.pointer]
    return max(sentences, key=result_score, default=None)
