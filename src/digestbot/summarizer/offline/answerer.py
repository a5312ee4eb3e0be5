"""The extractive answerer: answers a question with the passages' own best-matching sentences.

It needs no model, so thread questions work on a fresh clone. It never writes a claim of its
own: every line it returns is a sentence quoted from a passage (numbers exactly as written) and
cited as ``[arxiv id]``. When no sentence covers enough of the question it says so instead of
quoting something merely nearby, because a confident wrong quote is worse than "they don't say".
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from digestbot.summarizer.models import Answer, Backend, Paper, Passage
from digestbot.summarizer.offline.summarizer import contribution_sentence
from digestbot.summarizer.text import numbers_in, shorten_quote, split_sentences, words

# Function words and the verbs of asking: they say what kind of answer is wanted, not about what.
_NOISE_WORDS = """a about above after again all also am an and any anything are as at be been being both but by can
    could compare compared compares comparison did do does doing done each either explain for from give had has have
    how i if in into is it its me more most my no not of on one or other our out over paper papers please say
    says should so some such tell than that the their them then there these they this those to too us versus
    much many long take takes vs was we were what when where whether which while who whom whose why will with
    would you your work works describe mention mentions mentioned talk talks study studies article articles author
    authors digest run runs"""
QUESTION_NOISE = frozenset(_NOISE_WORDS.split())
_SUMMARY_CUE = re.compile(r"\b(summari[sz]e|summary|overview|tl;?dr|gist|what are (these|they) about)\b|요약", re.I)
_QUANTITY_CUE = re.compile(
    r"\b(how (many|much|fast|large|big|long|well)|percent|percentage|speed-?up|accuracy|score|number)\b|%", re.I
)
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "es", "ed", "ly", "s")
MAX_QUOTES = 3
QUOTES_PER_PAPER = 2
MAX_SUMMARY_PAPERS = 5
# Share of the question (by term rarity) that the best sentence must cover to count as an answer.
MIN_COVERAGE = 0.5
_K1, _B = 1.2, 0.75

_PHRASES = {
    "en": {
        "intro": "From the papers (quoted):",
        "summary": "What each paper says it does (quoted):",
        "unsupported": "The papers in this digest don't say.",
    },
    "ko": {
        "intro": "논문에서 인용한 내용:",
        "summary": "각 논문이 밝힌 기여(인용):",
        "unsupported": "이 다이제스트의 논문에는 그에 대한 내용이 없습니다.",
    },
}


def _phrase(language: str, key: str) -> str:
    return _PHRASES.get(language, _PHRASES["en"])[key]


def unsupported_text(language: str) -> str:
    """The "papers don't say" line, for callers that must say it without asking an answerer."""
    return _phrase(language, "unsupported")


def stem(word: str) -> str:
    """A light suffix stripper: "quantized", "quantization" and "quantizes" meet at "quantiz"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= (3 if suffix == "s" else 4):
            return word[: -len(suffix)]
    return word


def query_terms(text: str) -> list[str]:
    """The words of a question that can match a paper, in order, without repeats."""
    return list(dict.fromkeys(w for w in words(text) if w not in QUESTION_NOISE and (len(w) > 1 or w.isdigit())))


@dataclass(frozen=True)
class _Sentence:
    passage: Passage
    text: str
    stems: Counter[str]
    title_stems: frozenset[str]


class ExtractiveAnswerer:
    backend = Backend.OFFLINE

    async def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        history: Sequence[tuple[str, str]],
        language: str,
    ) -> Answer:
        if passages and _SUMMARY_CUE.search(question):
            return self._summary(passages, language)
        weights = _term_weights(question, history)
        sentences = [
            _Sentence(
                passage=p,
                text=s,
                stems=Counter(stem(w) for w in words(s)),
                title_stems=frozenset(stem(w) for w in words(p.title)),
            )
            for p in passages
            for s in split_sentences(p.text)
        ]
        chosen = _best_sentences(sentences, weights, wants_numbers=bool(_QUANTITY_CUE.search(question)))
        if not chosen:
            return Answer(text=_phrase(language, "unsupported"), cited_ids=[], supported=False, backend=self.backend)
        lines = [_phrase(language, "intro")]
        lines += [f"• “{shorten_quote(s.text)}” [{s.passage.arxiv_id}]" for s in chosen]
        return Answer(
            text="\n".join(lines),
            cited_ids=_unique(s.passage.arxiv_id for s in chosen),
            supported=True,
            backend=self.backend,
        )

    def _summary(self, passages: Sequence[Passage], language: str) -> Answer:
        """One contribution sentence per paper, for "summarize these papers"-style questions."""
        by_paper: dict[str, Passage] = {}
        for passage in passages:  # a paper's abstract, else its best passage
            kept = by_paper.get(passage.arxiv_id)
            if kept is None or (passage.section == "abstract" and kept.section != "abstract"):
                by_paper[passage.arxiv_id] = passage
        shown = list(by_paper.values())[:MAX_SUMMARY_PAPERS]
        lines = [_phrase(language, "summary")]
        for passage in shown:
            paper = Paper(arxiv_id=passage.arxiv_id, title=passage.title, abstract=passage.text)
            lines.append(f"• {passage.title}: “{contribution_sentence(paper)}” [{passage.arxiv_id}]")
        return Answer(
            text="\n".join(lines), cited_ids=[p.arxiv_id for p in shown], supported=True, backend=self.backend
        )


def _term_weights(question: str, history: Sequence[tuple[str, str]]) -> dict[str, float]:
    """The question's stems; a short follow-up ("and its dataset?") also borrows the previous
    question's terms at half weight, since it continues that question."""
    weights = {stem(t): 1.0 for t in query_terms(question)}
    if history and len(weights) <= 2:
        for term in query_terms(history[-1][0]):
            weights.setdefault(stem(term), 0.5)
    return weights


def _best_sentences(
    sentences: Sequence[_Sentence], weights: dict[str, float], *, wants_numbers: bool
) -> list[_Sentence]:
    """BM25 over sentences, with two guards: some passage (title and text together) must cover
    at least :data:`MIN_COVERAGE` of the question, and only sentences of such passages are quoted."""
    if not sentences or not weights:
        return []
    count = len(sentences)
    # A term no sentence has counts as if one had it: absent words of a question matter, but not
    # more than its rarest present word (else one odd word would veto every answer).
    frequency = Counter(term for s in sentences for term in set(s.stems) if term in weights)
    idf = {
        t: weights[t] * math.log(1 + (count - max(1, frequency[t]) + 0.5) / (max(1, frequency[t]) + 0.5))
        for t in weights
    }
    # Coverage counts the question's own terms: borrowed ones steer ranking, they are not asked.
    own = [t for t, weight in weights.items() if weight == 1.0] or list(weights)
    total = sum(idf[t] for t in own) or 1.0
    found_in: dict[int, set[str]] = {}
    for sentence in sentences:
        found_in.setdefault(id(sentence.passage), set(sentence.title_stems)).update(sentence.stems)
    passage_coverage = {key: sum(idf[t] for t in own if t in found) / total for key, found in found_in.items()}
    # Relevance also counts borrowed terms: of two passages that answer, the one about the
    # thread's subject ranks first.
    everything = sum(idf.values()) or 1.0
    relevance = {key: sum(idf[t] for t in weights if t in found) / everything for key, found in found_in.items()}
    average_length = sum(sum(s.stems.values()) for s in sentences) / count
    scored: list[tuple[float, _Sentence]] = []
    for sentence in sentences:
        matched = [t for t in weights if sentence.stems[t]]
        if not any(t in own for t in matched) or passage_coverage[id(sentence.passage)] < MIN_COVERAGE:
            continue
        length = sum(sentence.stems.values())
        score = sum(
            idf[t] * sentence.stems[t] * (_K1 + 1) / (sentence.stems[t] + _K1 * (1 - _B + _B * length / average_length))
            for t in matched
        )
        score += 0.5 * sum(idf[t] for t in weights if t in sentence.title_stems and t not in matched)
        if wants_numbers and numbers_in(sentence.text):
            score *= 1.5
        scored.append((score * (0.5 + relevance[id(sentence.passage)]), sentence))
    scored.sort(key=lambda item: -item[0])
    chosen: list[_Sentence] = []
    for score, sentence in scored:
        if score < 0.3 * scored[0][0] or len(chosen) == MAX_QUOTES:
            break
        same_paper = sum(c.passage.arxiv_id == sentence.passage.arxiv_id for c in chosen)
        if same_paper < QUOTES_PER_PAPER and all(c.text != sentence.text for c in chosen):
            chosen.append(sentence)
    return chosen


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))
