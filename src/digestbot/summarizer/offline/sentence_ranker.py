"""BM25 over the sentences of a question's passages, and the test of whether any answers it.

Words match by their shared stem (:mod:`digestbot.summarizer.stemming`), in any order, so
"imbalanced classes" finds "class imbalance" and "recover" finds "recovery". Adjacent question
words found close together in a sentence earn a small bonus (a phrase, in either order); a
question's "speed up" also matches a paper's "speedup" or "speed-up".

How much a word says is its rarity in research abstracts (IDF), taken from a background
corpus: the shipped sample day's 261 real abstracts. The passages of one question are too few
to tell that "use" or "model" is common and "GPU" is not. A word the background lacks counts as
rare. Before any sentence is quoted, one passage (title, names and text together) must cover
:data:`MIN_COVERAGE` of the question's rarity, because a confident wrong quote is worse than
"the papers don't say".
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from digestbot.summarizer.models import Passage
from digestbot.summarizer.stemming import word_stems
from digestbot.summarizer.text import numbers_in, split_sentences

MIN_COVERAGE = 0.45
"""Share of the question's rarity that a passage must cover to be quoted at all."""
MIN_ASKED = 0.5
"""Share of what a question asks beyond the paper's name ("what GPU did RACER train on?" asks
about "GPU" and "train") that the passage must cover: naming a paper is not answering."""
MIN_NAME_IDF = 4.0
"""A system name names one paper only if few abstracts use it (RACER, DD-Elo; not LLM, GPU)."""
NAME_CREDIT = 0.5
"""Share of a paper-naming word's weight that every sentence of that paper gets, matched or not."""
TITLE_WORD_SHARE = 0.02
"""Share of BM25 that an ordinary title word the question asks about still earns in the sentences
that contain it: enough to break the tie between a paper's sentences, too little to outweigh the
words the question adds to the title."""
OPENING_PENALTY = 0.8
"""An abstract's first sentence is mostly background ("Prediction markets rest on…"), seldom an answer."""
COORD = 0.5
"""Scores are multiplied by COORD plus the share of the question a sentence matches, so a
sentence with more of the question's words beats one repeating a single word."""
PHRASE_WINDOW = 4
"""Two adjacent question words at most this many words apart in a sentence count as a phrase."""
MAX_QUOTES = 3
QUOTES_PER_PAPER = 2
_K1, _B = 1.2, 0.75
_LINK = re.compile(r"https?://|www\.", re.I)
_NAME = re.compile(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z0-9\-]*[A-Z][A-Za-z0-9\-]*(?![A-Za-z0-9])")  # RACER, ReTeX


@lru_cache(maxsize=1)
def _background() -> tuple[int, Counter[str]]:
    """(number of abstracts, in how many of them each stem occurs) for the sample day."""
    data = resources.files("digestbot.summarizer.data").joinpath("sample-2026-06-26.jsonl")
    frequency: Counter[str] = Counter()
    count = 0
    for line in data.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            frequency.update(_stem_set(f"{record['title']}. {record['abstract']}"))
            count += 1
    return count, frequency


def load_background() -> None:
    """Count the background stems now (~200 ms of CPU, once per process) rather than in the first
    question. ``digestbot run`` calls this in the CPU worker at start-up: counted during a burst
    of posts instead, those 200 ms of pure Python slowed every I/O step of the event loop (each
    takes the GIL back from the busy worker), and ``/healthz`` p99 rose from 25–30 ms to 64–124 ms
    (``benchmarks/healthz_under_load.py``)."""
    _background()


def idf(term: str) -> float:
    """BM25's IDF of a stem in the background abstracts (a stem they lack counts as in none)."""
    count, frequency = _background()
    seen = frequency[term]
    return math.log(1 + (count - seen + 0.5) / (seen + 0.5))


def system_names(text: str) -> frozenset[str]:
    """The stems of the names in ``text`` written with an inner capital: "RACER", "ReTeX", "DD-Elo"."""
    return frozenset(_stem_set(" ".join(_NAME.findall(text))))


def _stem_set(text: str) -> set[str]:
    return {variant for variants in word_stems(text) for variant in variants}


@dataclass(frozen=True)
class Query:
    """A question, ready to match.

    ``weights``: its stems, 1.0 each, 0.5 for the noun naming the answer's type ("which
    *dataset*…") and for the terms ``borrowed`` from the thread's previous question. ``subject``:
    the words it names its paper by ("the *chess rating* paper"); ``names``: the system names it
    mentions ("RACER", "DD-Elo"). ``pairs``: adjacent words (first, second, closed compound:
    "speed", "up", "speedup") for phrase matching; ``compounds`` adds the parts of hyphenated words,
    for closed-compound matching.
    """

    weights: dict[str, float]
    borrowed: frozenset[str] = frozenset()
    subject: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    pairs: list[tuple[str, str, str]] = field(default_factory=list)
    compounds: list[tuple[str, str, str]] = field(default_factory=list)
    synonyms: dict[str, frozenset[str]] = field(default_factory=dict)
    answer_type: str | None = None
    wants_numbers: bool = False
    wants_links: bool = False

    @property
    def own(self) -> list[str]:
        """The terms the question itself asks (coverage counts these; borrowed ones only steer)."""
        return [t for t in self.weights if t not in self.borrowed] or list(self.weights)


@dataclass(frozen=True)
class _Sentence:
    passage: Passage
    text: str
    positions: list[tuple[str, ...]]
    stems: Counter[str]
    opening: bool


@dataclass
class _PassageFacts:
    """What one passage offers: its names (title words and system names such as "RACER"), its
    system names alone, and every stem of the question it has."""

    names: set[str]
    proper: set[str]
    found: set[str]
    answers: bool = False


def best_sentences(query: Query, passages: Sequence[Passage]) -> list[tuple[Passage, str]]:
    """The sentences that answer the question, best first, at most :data:`MAX_QUOTES` and
    :data:`QUOTES_PER_PAPER` per paper; none when no passage covers enough of it."""
    sentences = [_sentence(p, s, i) for p in passages for i, s in enumerate(split_sentences(p.text))]
    if not sentences or not query.weights:
        return []
    weight = {t: w * idf(t) for t, w in query.weights.items()}
    facts = _passage_facts(passages, sentences, query)
    everything = sum(weight.values()) or 1.0
    average_length = sum(len(s.positions) for s in sentences) / len(sentences)
    scored: list[tuple[float, _Sentence]] = []
    for sentence in sentences:
        passage = facts[id(sentence.passage)]
        if not passage.answers or (_LINK.search(sentence.text) and not query.wants_links):
            continue
        matched = _matched(sentence.stems, query)
        if not any(t in matched for t in query.own):
            continue
        named = {t for t in weight if t in passage.names and t in passage.found}
        score = _bm25(sentence, matched - named, weight, average_length)
        score += NAME_CREDIT * sum(weight[t] for t in sorted(named))
        # A title's ordinary words ("failure recovery") still count a little where they occur:
        # when the question asks only in the title's words, every sentence would otherwise tie.
        score += TITLE_WORD_SHARE * _bm25(sentence, (matched & named) - passage.proper, weight, average_length)
        score += _phrase_bonus(sentence, query, {t: w for t, w in weight.items() if t not in named})
        score *= _cue_factor(sentence, query, matched)
        relevance = sum(weight[t] for t in weight if t in passage.found) / everything
        coordination = sum(weight[t] for t in sorted(matched | named)) / everything
        scored.append((score * (0.5 + relevance) * (COORD + coordination), sentence))
    return _diverse([s for _, s in sorted(scored, key=lambda item: -item[0])], scored)


def _sentence(passage: Passage, text: str, number: int) -> _Sentence:
    positions = word_stems(text)
    stems = Counter(v for vs in positions for v in vs)
    return _Sentence(passage=passage, text=text, positions=positions, stems=stems, opening=number == 0)


def _cue_factor(sentence: _Sentence, query: Query, matched: set[str]) -> float:
    """What kind of sentence answers: one with a number for "how many", one naming the asked
    type for "which dataset" ("experiments on the I-CONECT dataset"), and not the background an
    abstract opens with."""
    factor = 1.0
    if query.wants_numbers and numbers_in(sentence.text):
        factor *= 1.5
    if query.answer_type in matched:
        factor *= 1.5
    if sentence.opening and sentence.passage.section == "abstract":
        factor *= OPENING_PENALTY
    return factor


def _passage_facts(
    passages: Sequence[Passage], sentences: Sequence[_Sentence], query: Query
) -> dict[int, _PassageFacts]:
    facts: dict[int, _PassageFacts] = {}
    for passage in passages:
        proper = set(system_names(f"{passage.title}. {passage.text}"))
        names = _stem_set(passage.title) | proper
        facts[id(passage)] = _PassageFacts(names=names, proper=proper, found=set(names))
    for sentence in sentences:
        facts[id(sentence.passage)].found.update(_matched(sentence.stems, query))
    weight = {t: query.weights[t] * idf(t) for t in query.own}
    for passage_facts in facts.values():
        passage_facts.answers = _answers(passage_facts, query, weight)
    return facts


def _answers(facts: _PassageFacts, query: Query, weight: dict[str, float]) -> bool:
    """Whether a passage may answer: it has two of the question's words (one of a one-word
    question) and :data:`MIN_COVERAGE` of its rarity; it has the system names the question asks
    about, if any ("what GPU did ContextForge use?" is not answered from another paper); and when
    the question names its paper, by a distinctive system name ("RACER", not "LLM") or as "the
    chess rating paper", :data:`MIN_ASKED` of what it asks beyond that name."""
    own = query.own
    found = [t for t in own if t in facts.found]
    if len(found) < min(2, len(own)) or _share(found, own, weight) < MIN_COVERAGE:
        return False
    asked_names = [t for t in query.names if idf(t) >= MIN_NAME_IDF]
    if asked_names and not any(t in facts.found for t in asked_names):
        return False
    naming = [
        t for t in own if (t in facts.proper and idf(t) >= MIN_NAME_IDF) or (t in query.subject and t in facts.found)
    ]
    asked = [t for t in own if t not in naming]
    if not naming or not asked:
        return True
    return _share([t for t in asked if t in facts.found], asked, weight) >= MIN_ASKED


def _share(part: list[str], whole: list[str], weight: dict[str, float]) -> float:
    return sum(weight[t] for t in part) / (sum(weight[t] for t in whole) or 1.0)


def _matched(stems: Counter[str] | set[str], query: Query) -> set[str]:
    """The question's stems found among ``stems``; a pair whose closed compound is there
    ("speed up" and "speedup") counts both of its words as found."""
    matched = {t for t in query.weights if t in stems or any(s in stems for s in query.synonyms.get(t, ()))}
    for first, second, closed in query.compounds:
        if closed in stems:
            matched.update((first, second))
    return matched


def _bm25(sentence: _Sentence, matched: set[str], weight: dict[str, float], average_length: float) -> float:
    length = len(sentence.positions)
    score = 0.0
    for term in sorted(matched):  # a fixed order: equal sentences must score exactly equal
        frequency = max(1, sentence.stems[term])
        score += weight[term] * frequency * (_K1 + 1) / (frequency + _K1 * (1 - _B + _B * length / average_length))
    return score


def _phrase_bonus(sentence: _Sentence, query: Query, weight: dict[str, float]) -> float:
    """Half the weight of both words for each question pair found near each other, any order."""
    where: dict[str, list[int]] = {}
    for index, variants in enumerate(sentence.positions):
        for variant in variants:
            where.setdefault(variant, []).append(index)
    bonus = 0.0
    for first, second, _ in query.pairs:
        near = any(abs(i - j) <= PHRASE_WINDOW for i in where.get(first, []) for j in where.get(second, []))
        if near:
            bonus += 0.5 * (weight.get(first, 0.0) + weight.get(second, 0.0))
    return bonus


def _diverse(ranked: list[_Sentence], scored: list[tuple[float, _Sentence]]) -> list[tuple[Passage, str]]:
    """The top sentences within 30% of the best score, at most two per paper, no repeats."""
    if not scored:
        return []
    floor = 0.3 * max(score for score, _ in scored)
    by_sentence = {id(sentence): score for score, sentence in scored}
    chosen: list[_Sentence] = []
    for sentence in ranked:
        if by_sentence[id(sentence)] < floor or len(chosen) == MAX_QUOTES:
            break
        same_paper = sum(c.passage.arxiv_id == sentence.passage.arxiv_id for c in chosen)
        if same_paper < QUOTES_PER_PAPER and all(c.text != sentence.text for c in chosen):
            chosen.append(sentence)
    return [(c.passage, c.text) for c in chosen]
