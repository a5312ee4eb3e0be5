"""The grounding check: every number in generated text must appear in its source papers.

Numbers are where summaries go wrong most visibly (an invented "3x faster" reads as a fact),
and unlike paraphrase they can be checked mechanically. Each generated text is split into
sentences; a sentence quoting a number that its sources (titles and abstracts) do not contain
is sent back once, with those sources, to be rewritten; a rewrite that still fails, or none,
means the sentence is dropped. The counts go into the section's notes.

Numbers compare by value as written, ignoring a unit suffix (``72%`` = ``72 %`` = ``72``) and
thousands separators (``3,000`` = ``3000``), so a faithful rephrasing passes.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from digestbot.summarizer.ids import CITATION
from digestbot.summarizer.llm.gateway import LlmError
from digestbot.summarizer.models import Paper
from digestbot.summarizer.text import numbers_in, split_sentences, words

Rewriter = Callable[[list[str], list[Paper]], Awaitable[list[str]]]
"""Rewrites sentences from sources: one text per sentence, in order ("" drops it)."""

_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
REWRITE_SOURCES_PER_SENTENCE = 5


@dataclass(frozen=True)
class Slot:
    """One generated text and the papers it may draw numbers from."""

    text: str
    sources: tuple[Paper, ...]


@dataclass(frozen=True)
class GroundingReport:
    rewritten: int = 0
    dropped: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.rewritten or self.dropped)


def number_key(number: str) -> str:
    core = number.rstrip("%x×").strip()
    return core.replace(",", "") if _THOUSANDS.match(core) else core


def allowed_numbers(texts: Iterable[str]) -> frozenset[str]:
    return frozenset(number_key(n) for text in texts for n in numbers_in(text))


def paper_texts(papers: Iterable[Paper]) -> list[str]:
    return [f"{p.title}. {p.abstract}" for p in papers]


def ungrounded(sentence: str, allowed: frozenset[str]) -> list[str]:
    """The numbers of ``sentence`` that are not in ``allowed`` (citations like [2409.14674] aside)."""
    return [n for n in numbers_in(CITATION.sub("", sentence)) if number_key(n) not in allowed]


def drop_ungrounded(text: str, allowed: frozenset[str]) -> tuple[str, int]:
    """``text`` without its failing sentences, and how many were dropped (no rewrite call)."""
    sentences = split_sentences(text)
    kept = [s for s in sentences if not ungrounded(s, allowed)]
    return (" ".join(kept) if len(kept) < len(sentences) else text), len(sentences) - len(kept)


async def ground(slots: Sequence[Slot], *, rewrite: Rewriter | None) -> tuple[list[str], GroundingReport]:
    """The slots' texts with failing sentences rewritten or removed ("" when nothing is left)."""
    allowed = _allowed_per_slot(slots)
    pieces = [split_sentences(slot.text) for slot in slots]
    failing = [
        (slot, position)
        for slot, sentences in enumerate(pieces)
        for position, sentence in enumerate(sentences)
        if ungrounded(sentence, allowed[slot])
    ]
    if not failing:
        return [slot.text for slot in slots], GroundingReport()
    originals = [pieces[slot][position] for slot, position in failing]
    replacements = [""] * len(failing)
    if rewrite is not None:
        sources = _rewrite_sources([(originals[i], slots[slot].sources) for i, (slot, _) in enumerate(failing)])
        try:
            answered = await rewrite(originals, sources)
            replacements = [*answered[: len(failing)], *[""] * (len(failing) - len(answered))]
        except LlmError:
            pass
    rewritten = dropped = 0
    for (slot, position), new in zip(failing, replacements, strict=True):
        if new.strip() and not ungrounded(new, allowed[slot]):
            pieces[slot][position] = new.strip()
            rewritten += 1
        else:
            pieces[slot][position] = ""
            dropped += 1
    touched = {slot for slot, _ in failing}
    texts = [
        " ".join(s for s in pieces[index] if s) if index in touched else slot.text for index, slot in enumerate(slots)
    ]
    return texts, GroundingReport(rewritten=rewritten, dropped=dropped)


def _allowed_per_slot(slots: Sequence[Slot]) -> list[frozenset[str]]:
    """Slots share source tuples (every theme has the whole category), so compute each set once."""
    memo: dict[tuple[str, ...], frozenset[str]] = {}
    result = []
    for slot in slots:
        key = tuple(p.arxiv_id for p in slot.sources)
        if key not in memo:
            memo[key] = allowed_numbers(paper_texts(slot.sources))
        result.append(memo[key])
    return result


def _rewrite_sources(failing: Sequence[tuple[str, tuple[Paper, ...]]]) -> list[Paper]:
    """The papers a rewrite needs: a sentence's own sources, or, when it has many (a theme of a
    large category), the few sharing most words with it, so the rewrite call stays small."""
    chosen: dict[str, Paper] = {}
    for sentence, sources in failing:
        if len(sources) > REWRITE_SOURCES_PER_SENTENCE:
            vocabulary = set(words(sentence))
            ranked = sorted(sources, key=lambda p: -len(vocabulary & set(words(f"{p.title} {p.abstract}"))))
            sources = tuple(ranked[:REWRITE_SOURCES_PER_SENTENCE])
        for paper in sources:
            chosen.setdefault(paper.arxiv_id, paper)
    return list(chosen.values())
