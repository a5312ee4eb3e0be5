"""Plain-text helpers for abstracts: sentences, words and numbers.

Abstracts come from arXiv with hard line wraps and raw TeX; these helpers change neither the
words nor the TeX (``latex`` renders it, ``offline.roles`` makes sentences quotable).
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

from digestbot.summarizer.build_cache import per_build_cache

if TYPE_CHECKING:
    import pysbd


# Words that carry no topic, including the boilerplate of abstracts ("we propose", "novel").
STOPWORDS = frozenset(
    line.strip()
    for line in resources.files("digestbot.summarizer.data").joinpath("stopwords.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
)

# pysbd's segmenter is used under a lock, because ``segment`` stores its input on the instance.
_SEGMENTER_LOCK = threading.Lock()
# "flexibility.The OANO module": a sentence glued to the last one's full stop (a typo pysbd keeps).
_GLUED_SENTENCE = re.compile(r"(?<=[a-z]{4})\.(?=[A-Z][a-z]+\s)")
# A boundary no abbreviation can fake, then a capital: a plain lower-case word of four or more
# letters ("…accuracy. We…"), of three that is no abbreviation ("…the gap. A…"), an acronym
# ("…for LLMs. A…"), a number, a percentage or a closing parenthesis, and its full stop. Only
# the rest ("U.S. Gaussian", "et al. In", "e.g. BERT", "vs. 3") is pysbd's to decide, which
# keeps a 500-paper day's segmentation well under a second.
_PLAIN_BOUNDARY = re.compile(
    r"(?:(?<=[a-z]{4}[.!?])(?<![Aa]pprox\.)(?<![Ii]ncl\.)(?<![Rr]esp\.)"
    r"|(?<=\b[a-z]{3}[.!?])(?<!etc\.)(?<!viz\.)(?<!fig\.)(?<!eqs\.)(?<!sec\.)(?<!ref\.)"
    r"|(?<=[A-Z]{2}[.!?])|(?<=[A-Z]{2}s[.!?])|(?<=[\d%)][.!?]))\s+(?=[A-Z])"
)
_INNER_STOP = re.compile(r"[.!?]\s")
# A word starts with a letter that does not continue a number ("7B" is not the word "B").
_WORD = re.compile(r"(?<![0-9.])(?:[A-Za-z][A-Za-z0-9\-]*[A-Za-z0-9]|[A-Za-z])")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?:\s?%|x|×)?")
MAX_QUOTE_WORDS = 70


def normalize_whitespace(text: str) -> str:
    """Undo arXiv's hard line wraps; the text itself is untouched."""
    return " ".join(text.split())


def split_sentences(text: str) -> list[str]:
    """Split an abstract into sentences without breaking at "e.g.", "et al.", "i.i.d." or "U.S."."""
    return list(_segment(_GLUED_SENTENCE.sub(". ", normalize_whitespace(text))))


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    """pysbd's rules know "i.i.d.", "U.S.", "e.g.", "et al." and "Fig."; imported on first use,
    since most commands never split a sentence."""
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


@per_build_cache(maxsize=4096)
def _segment(flat: str) -> tuple[str, ...]:
    """Cached: pysbd costs a few milliseconds per abstract, and a digest asks for the same
    abstract's sentences from several places (facts, impact, TL;DR, answers)."""
    sentences: list[str] = []
    for part in _PLAIN_BOUNDARY.split(flat):
        if _INNER_STOP.search(part):
            with _SEGMENTER_LOCK:
                sentences.extend(_segmenter().segment(part))
        else:
            sentences.append(part)
    return tuple(sentence.strip() for sentence in sentences if sentence.strip())


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
