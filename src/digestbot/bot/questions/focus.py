"""Which papers a question is about: the ids, category or names it mentions, within its scope.

"What does 2409.14674 find?", "summarize the healthcare papers", "how does RACER compare to BC?"
and "does Dynamo need retraining?" each name papers; a question naming none is about its whole
scope (the thread's digest, or the papers of a ``/digest paper`` reply).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from digestbot.summarizer.ids import ARXIV_ID
from digestbot.summarizer.models import Digest, Paper
from digestbot.summarizer.offline.answerer import QUESTION_NOISE
from digestbot.summarizer.stemming import stem
from digestbot.summarizer.text import words

# ASCII boundaries, not \b: in "RACER는" or "2409.14674의" Hangul counts as a word character.
ID_IN_TEXT = re.compile(rf"(?<![A-Za-z0-9.])(?:arXiv:)?({ARXIV_ID})(?:v\d+)?(?![A-Za-z0-9])", re.IGNORECASE)
_NAMED_PAPER = re.compile(r"\b((?:[\w\-]+\s+){1,3})paper\b", re.IGNORECASE)
_NAME_TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9\-]*[A-Z][A-Za-z0-9\-]*(?![A-Za-z0-9])")  # RACER, LLaMA
# A capitalized word after the question's first word names something too ("does Dynamo need…").
_CAPITALIZED = re.compile(r"(?<=[\s(\"“])[A-Z][a-z][A-Za-z0-9\-]*")
# "Which of these runs on a single GPU?" asks across the papers even if one title says "GPU".
_ACROSS_PAPERS = re.compile(r"\b(which|these|those|any|each|every|all)\b", re.IGNORECASE)
# A title word names a paper only if few titles in the thread share it.
_MAX_TITLES_PER_NAME = 2
_MAX_NAMED_PAPERS = 3


@dataclass(frozen=True)
class Scope:
    """The papers a question may be answered from, and how to name them to the asker."""

    papers: dict[str, Paper]
    label: str
    digest: Digest | None = None


@dataclass(frozen=True)
class Focus:
    arxiv_ids: list[str]
    outside: list[str]


def focus_of(question: str, scope: Scope) -> Focus:
    """The papers a question names: ids first, then a category ("the healthcare papers"), then
    title words ("the mirror paper", "RACER"); none named means the whole scope."""
    mentioned = list(dict.fromkeys(m.group(1) for m in ID_IN_TEXT.finditer(question)))
    if mentioned:
        inside = [i for i in mentioned if i in scope.papers]
        return Focus(arxiv_ids=inside, outside=[i for i in mentioned if i not in scope.papers])
    return Focus(arxiv_ids=_named_category(question, scope) or _named_by_title(question, scope), outside=[])


def _named_category(question: str, scope: Scope) -> list[str]:
    if scope.digest is None:
        return []
    lowered = question.lower()
    for section in scope.digest.sections:
        category = section.category
        names = {category.slug, category.name.lower(), *(a.lower() for a in category.aliases)}
        pattern = r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\s+(?:papers?|section|category)\b"
        if re.search(pattern, lowered):
            return [p.arxiv_id for p in section.papers if p.arxiv_id in scope.papers]
    return []


def _named_by_title(question: str, scope: Scope) -> list[str]:
    titles = {arxiv_id: {stem(w) for w in words(paper.title)} for arxiv_id, paper in scope.papers.items()}
    candidates = []
    if not _ACROSS_PAPERS.search(question):
        candidates = [m.group(0) for m in (*_NAME_TOKEN.finditer(question), *_CAPITALIZED.finditer(question))]
    for match in _NAMED_PAPER.finditer(question):
        candidates += [w for w in match.group(1).split() if w.lower() not in QUESTION_NOISE]
    named: list[list[str]] = []  # "how does RACER compare to BC?" names two papers
    for candidate in dict.fromkeys(candidates):
        key = stem(candidate.lower())
        matching = [arxiv_id for arxiv_id, title in titles.items() if key in title]
        if len(matching) <= _MAX_TITLES_PER_NAME:
            named.append(matching)
    named.sort(key=len)  # a name in one title says more than a name in two ("Dynamo" over "VLM")
    return list(dict.fromkeys(arxiv_id for matching in named for arxiv_id in matching))[:_MAX_NAMED_PAPERS]
