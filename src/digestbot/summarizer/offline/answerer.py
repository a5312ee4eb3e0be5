"""The extractive answerer: answers a question with the passages' own best-matching sentences.

It needs no model, so thread questions work on a fresh clone. It never writes a claim of its
own: every line it returns is a sentence quoted from a passage (numbers exactly as written) and
cited as ``[arxiv id]``. When no sentence covers enough of the question it says so instead of
quoting something merely nearby, because a confident wrong quote is worse than "they don't say".
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence

from digestbot.summarizer.backends import Question
from digestbot.summarizer.cpu import run_cpu_bound
from digestbot.summarizer.latex import clean_latex
from digestbot.summarizer.models import Answer, Backend, Paper, Passage
from digestbot.summarizer.offline.sentence_ranker import Query, best_sentences, system_names
from digestbot.summarizer.offline.summarizer import contribution_sentence
from digestbot.summarizer.phrases import table
from digestbot.summarizer.stemming import fold, latin_words, stem
from digestbot.summarizer.text import shorten_quote

# Function words and the verbs of asking: they say what kind of answer is wanted, not about what.
_NOISE_WORDS = """a about above after again all also am an and any anything are as at be been being both but by can
    could compare compared compares comparison did do does doing done each either explain for from give had has have
    how i if in into is it its me more most my no not of on one or other our out over paper papers please say
    says should so some such tell than that the their them then there these they this those to too us versus
    much many long take takes vs was we were what when where whether which while who whom whose why will with
    would you your work works describe mention mentions mentioned talk talks study studies article articles author
    authors digest run runs get gets got lot lots still use used uses using according"""
QUESTION_NOISE = frozenset(_NOISE_WORDS.split())
# By stem too, so "telling" and "describes" are as empty as "tell" and "describe".
_NOISE_STEMS = frozenset(stem(word) for word in QUESTION_NOISE)
_SUMMARY_CUE = re.compile(r"\b(summari[sz]e|summary|overview|tl;?dr|gist|what are (these|they) about)\b|요약", re.I)
_QUANTITY_CUE = re.compile(
    r"\b(how (many|much|fast|large|big|long|well|accurate|precise|far)|percent|percentage|speed-?up|accuracy|score|"
    r"number|precision|recall|f1)\b|%",
    re.I,
)
_LINK_CUE = re.compile(r"\b(code|github|link|url|repo|repository|download|website)\b", re.I)
# "How big", "how far": the adjective asks for a quantity (see _QUANTITY_CUE), papers rarely use it.
_HOW_ADJECTIVE = re.compile(r"\bhow\s+(?:big|large|small|far|good|often)\b", re.I)
# "Which environments…", "what dataset…": the noun names the answer's type; the answer itself
# ("experiments on ALFWorld") often lacks it, so it steers the ranking without being required.
# "Which sign language models are…": the noun before the first auxiliary, at most three words on.
_AUXILIARY = r"(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)"
_ANSWER_TYPE = re.compile(
    rf"\b(?:which|what)\s+(?!{_AUXILIARY}\b)((?:[A-Za-z][\w\-]*\s+){{0,2}}?)([A-Za-z][\w\-]*)\s+{_AUXILIARY}\b", re.I
)
# "the chess rating paper", "the aneurysm study": the words a question names its paper by.
_SUBJECT = re.compile(r"\b((?:[\w\-]+\s+){1,3})(?:paper|study|work|article)\b", re.I)
MAX_SUMMARY_PAPERS = 5
# Words papers and questions use for the same thing: a user asks what RACER was "tested on",
# the abstract reports "experiments on RLBench". Each group matches as one word.
_SYNONYM_GROUPS = (
    ("test", "tested", "evaluate", "evaluation", "experiment", "benchmark", "assess"),
    ("faster", "speedup", "accelerate", "acceleration"),
    ("accurate", "accuracy"),
)
_SYNONYMS = {
    stem(word): frozenset(stem(other) for other in group if stem(other) != stem(word))
    for group in _SYNONYM_GROUPS
    for word in group
}

_PHRASES = table("answers")  # the catalog: summarizer/phrases.py


def _phrase(language: str, key: str) -> str:
    return (_PHRASES.get(language) or _PHRASES.get(language.split("-")[0]) or _PHRASES["en"])[key]


def unsupported_text(language: str) -> str:
    """The "papers don't say" line, for callers that must say it without asking an answerer."""
    return _phrase(language, "unsupported")


def needs_english_text(language: str) -> str:
    """Why a question without English words got no answer offline, and what to do instead."""
    return _phrase(language, "needs_english")


def query_terms(text: str) -> list[str]:
    """The words of a question that can match a paper, in order, without repeats."""
    plain = _HOW_ADJECTIVE.sub("how", text)
    return list(
        dict.fromkeys(
            w
            for w in latin_words(plain)
            if w not in QUESTION_NOISE and stem(w) not in _NOISE_STEMS and (len(w) > 1 or w.isdigit())
        )
    )


class ExtractiveAnswerer:
    backend = Backend.OFFLINE

    async def answer(self, question: Question) -> Answer:
        """Runs in the CPU worker like every offline stage: scoring sentences is CPU work (the
        first question of a process also loads the stemmer and the splitter, ~80 ms), and the
        chat adapters share the event loop."""
        return await run_cpu_bound(self._answer, question)

    def _answer(self, question: Question) -> Answer:
        passages, language = question.passages, question.language
        if passages and _SUMMARY_CUE.search(question.text):
            return self._summary(passages, language)
        chosen = best_sentences(_query(question.text, question.history), passages)
        if not chosen:
            return Answer(text=_phrase(language, "unsupported"), cited_ids=[], supported=False, backend=self.backend)
        lines = [_phrase(language, "intro")]
        lines += [f"• “{shorten_quote(clean_latex(text))}” [{passage.arxiv_id}]" for passage, text in chosen]
        return Answer(
            text="\n".join(lines),
            cited_ids=_unique(passage.arxiv_id for passage, _ in chosen),
            supported=True,
            backend=self.backend,
        )

    async def search_terms(self, question: str) -> str | None:
        """Offline there is nothing to translate a question with."""
        return None

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


def _query(question: str, history: Sequence[tuple[str, str]]) -> Query:
    """The question's stems; a short follow-up ("and its dataset?") also borrows the previous
    question's terms at half weight, since it continues that question."""
    weights: dict[str, float] = {}
    compounds: list[tuple[str, str, str]] = []
    terms = query_terms(question)
    for term in terms:
        parts = [p for p in term.split("-") if len(p) > 1 or p.isdigit()] or [term]
        weights.update(dict.fromkeys((stem(part) for part in parts), 1.0))
        compounds += [(stem(a), stem(b), stem(a + b)) for a, b in itertools.pairwise(parts)]
    pairs = [(stem(a), stem(b), stem(a + b)) for a, b in itertools.pairwise(terms) if "-" not in a + b]
    answer_type, optional = _answer_type(question, weights)
    borrowed = {answer_type} if optional and answer_type else set()
    if history and len(weights) <= 2:
        borrowed = {stem(term) for term in query_terms(history[-1][0])} - set(weights)
    weights.update(dict.fromkeys(borrowed, 0.5))
    return Query(
        weights=weights,
        borrowed=frozenset(borrowed),
        names=system_names(question) & weights.keys(),
        subject=frozenset(stem(w) for m in _SUBJECT.finditer(question) for w in query_terms(m.group(1))),
        pairs=pairs,
        compounds=compounds + pairs,
        synonyms={t: _SYNONYMS[t] for t in weights if t in _SYNONYMS},
        answer_type=answer_type,
        wants_numbers=bool(_QUANTITY_CUE.search(question)),
        wants_links=bool(_LINK_CUE.search(question)),
    )


def _answer_type(question: str, weights: dict[str, float]) -> tuple[str | None, bool]:
    """The stem of the noun naming the kind of answer wanted ("which *models* were…"), and
    whether the question may be answered without it: a lone generic noun ("which environments
    is OPID evaluated on?" -> "experiments on ALFWorld") may be missing; a specific phrase
    ("what learning rate…") or a name ("what GPU…") may not."""
    found = _ANSWER_TYPE.search(fold(question))
    if found is None or len(weights) <= 2 or stem(found.group(2).lower()) not in weights:
        return None, False
    return stem(found.group(2).lower()), not found.group(1).strip() and found.group(2).islower()


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))
