"""Plain-text helpers for abstracts: sentences, words, key phrases and numbers.

Abstracts come from arXiv with hard line wraps and raw TeX; everything here works on that
text as it is, so what the offline back end quotes is exactly what the authors wrote.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from importlib import resources

# Words that carry no topic, including the boilerplate of abstracts ("we propose", "novel").
STOPWORDS = frozenset(
    line.strip()
    for line in resources.files("digestbot.summarizer.data").joinpath("stopwords.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
)

_ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "etc.", "vs.", "cf.", "Fig.", "Eq.", "approx.", "resp.")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[$\"'])")
# A word starts with a letter that does not continue a number ("7B" is not the word "B").
_WORD = re.compile(r"(?<![0-9.])(?:[A-Za-z][A-Za-z0-9\-]*[A-Za-z0-9]|[A-Za-z])")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?:\s?%|x|×)?")
_PHRASE_BREAK = re.compile(r"[.,;:!?()\[\]{}\"“”]|\s-\s|\$[^$]*\$")
MAX_QUOTE_WORDS = 70


def normalize_whitespace(text: str) -> str:
    """Undo arXiv's hard line wraps; the text itself is untouched."""
    return " ".join(text.split())


def split_sentences(text: str) -> list[str]:
    """Split an abstract into sentences without breaking at "e.g." or "et al."."""
    flat = normalize_whitespace(text)
    protected = flat
    for number, abbreviation in enumerate(_ABBREVIATIONS):
        protected = protected.replace(abbreviation, f"\x00{number}\x00")
    pieces = _SENTENCE_END.split(protected)
    sentences = []
    for piece in pieces:
        for number, abbreviation in enumerate(_ABBREVIATIONS):
            piece = piece.replace(f"\x00{number}\x00", abbreviation)
        if piece.strip():
            sentences.append(piece.strip())
    return sentences


def shorten_quote(sentence: str, max_words: int = MAX_QUOTE_WORDS) -> str:
    """Cut a run-on sentence at a word boundary and mark the cut with an ellipsis, visibly."""
    words = sentence.split()
    if len(words) <= max_words:
        return sentence
    return " ".join(words[:max_words]) + " …"


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def numbers_in(text: str) -> list[str]:
    """Numbers as written (``72%``, ``1.5x``, ``3,000``), for quoting and grounding checks."""
    return [m.group(0).replace(" ", "") for m in _NUMBER.finditer(text)]


def candidate_phrases(text: str, max_len: int = 3) -> list[str]:
    """Contiguous runs of content words (1–3 words) that never cross punctuation or TeX."""
    phrases: list[str] = []
    for chunk in _PHRASE_BREAK.split(normalize_whitespace(text)):
        run: list[str] = []
        for token in _WORD.findall(chunk):
            lowered = token.lower()
            if lowered in STOPWORDS or (len(lowered) < 3 and not token.isupper()):
                phrases.extend(_ngrams(run, max_len))
                run = []
            else:
                run.append(token)
        phrases.extend(_ngrams(run, max_len))
    return phrases


def _ngrams(run: Sequence[str], max_len: int) -> Iterable[str]:
    for size in range(1, max_len + 1):
        for start in range(len(run) - size + 1):
            yield " ".join(run[start : start + size])


class PhraseStats:
    """Document frequencies of phrases over a corpus, so "distinctive" can be measured.

    A phrase is distinctive for a group of papers when many of them use it but the day as a
    whole does not (TF-IDF over documents); that is what makes two categories' keyword lists
    differ even when every abstract says "language model".
    """

    def __init__(self, documents: Iterable[str]) -> None:
        self.document_count = 0
        self.frequency: Counter[str] = Counter()
        for document in documents:
            self.document_count += 1
            self.frequency.update({p.lower() for p in candidate_phrases(document)})

    def idf(self, phrase: str) -> float:
        return math.log((1 + self.document_count) / (1 + self.frequency[phrase.lower()])) + 1.0

    def top_phrases(self, documents: Sequence[str], *, limit: int, min_documents: int = 1) -> list[str]:
        """The most distinctive phrases of ``documents``, most common surface form, no near-repeats."""
        per_document: Counter[str] = Counter()
        surface: dict[str, Counter[str]] = {}
        for document in documents:
            seen: set[str] = set()
            for phrase in candidate_phrases(document):
                key = phrase.lower()
                surface.setdefault(key, Counter())[phrase] += 1
                if key not in seen:
                    seen.add(key)
                    per_document[key] += 1
        scored = []
        for key, count in per_document.items():
            if count < min_documents:
                continue
            length_bonus = 1.0 + 1.5 * key.count(" ")
            scored.append((count * self.idf(key) * length_bonus, key))
        scored.sort(key=lambda item: (-item[0], item[1]))
        chosen: list[str] = []
        for _, key in scored:
            if any(key in kept or kept in key for kept in chosen):
                continue
            chosen.append(key)
            if len(chosen) == limit:
                break
        return [surface[key].most_common(1)[0][0] for key in chosen]
