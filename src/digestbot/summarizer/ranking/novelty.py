"""Is a paper new, or a near-duplicate of one in the digests of the last 30 days?

Two cheap tests, chosen so that a month of history (~9,000 papers) is indexed in tens of
milliseconds: titles that share most of their content words (a renamed resubmission, the
n-th paper of a series), and abstracts that share whole sentences (text reused between
papers). The same arXiv id seen earlier (a paper announced again) counts too.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from digestbot.summarizer.models import Paper
from digestbot.summarizer.text import STOPWORDS

TITLE_JACCARD = 0.7
MIN_TITLE_WORDS = 4
SHARED_SENTENCES = 2
MIN_SENTENCE_CHARS = 60
# Reused text shows in an abstract's opening sentences; reading only these keeps a month's index cheap.
ABSTRACT_CHARS = 800
# Candidates come from a title's rarest words: a title sharing 70 % of the union shares at least
# one of them (for titles of up to 9 content words, always; for longer ones, almost always).
RARE_WORDS = 3
_TITLE_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class RecentPaper:
    """A paper of a recent digest, as much of it as novelty needs (the bot reads these from storage)."""

    arxiv_id: str
    title: str
    abstract: str


def _title_words(title: str) -> frozenset[str]:
    return frozenset(w for w in _TITLE_WORD.findall(title.lower()) if w not in STOPWORDS)


def _sentences(abstract: str) -> set[str]:
    """The opening's whole sentences, lower-cased and whitespace-folded (the last, cut one
    dropped); short ones ("We propose X.") are too common to mean reuse."""
    folded = " ".join(abstract[:ABSTRACT_CHARS].lower().split())
    pieces = folded.split(". ")
    whole = pieces if len(abstract) <= ABSTRACT_CHARS else pieces[:-1]
    return {s for s in whole if len(s) >= MIN_SENTENCE_CHARS}


class NoveltyIndex:
    """Recent papers indexed by title word and by abstract sentence."""

    def __init__(self, recent: Iterable[RecentPaper]) -> None:
        self._ids: set[str] = set()
        self._titles: dict[str, frozenset[str]] = {}
        self._by_word: defaultdict[str, list[str]] = defaultdict(list)
        self._by_sentence: defaultdict[str, list[str]] = defaultdict(list)
        for paper in recent:
            if paper.arxiv_id in self._ids:
                continue
            self._ids.add(paper.arxiv_id)
            words = _title_words(paper.title)
            self._titles[paper.arxiv_id] = words
            for word in words:
                self._by_word[word].append(paper.arxiv_id)
            for sentence in _sentences(paper.abstract):
                self._by_sentence[sentence].append(paper.arxiv_id)

    def __len__(self) -> int:
        return len(self._ids)

    def duplicate_of(self, paper: Paper) -> str | None:
        """The id of a recent paper this one nearly repeats, or ``None`` when it is new."""
        if paper.arxiv_id in self._ids:
            return paper.arxiv_id
        return self._similar_title(paper) or self._shared_sentences(paper)

    def _similar_title(self, paper: Paper) -> str | None:
        words = _title_words(paper.title)
        if len(words) < MIN_TITLE_WORDS:
            return None
        rare = sorted(words, key=lambda word: len(self._by_word.get(word, ())))[:RARE_WORDS]
        candidates = dict.fromkeys(other for word in rare for other in self._by_word.get(word, ()))
        for other in candidates:
            title = self._titles[other]
            common = len(words & title)
            if common / (len(words) + len(title) - common) >= TITLE_JACCARD:
                return other
        return None

    def _shared_sentences(self, paper: Paper) -> str | None:
        shared = Counter(other for s in _sentences(paper.abstract) for other in self._by_sentence.get(s, ()))
        best = shared.most_common(1)
        return best[0][0] if best and best[0][1] >= SHARED_SENTENCES else None
