"""One stemmer for every place that matches words: retrieval, answering and key phrases.

Snowball's English stemmer (PyStemmer, a C extension) makes "failure", "failures" and "fail"
meet, and "recovery" meet "recover"; a hand-written suffix stripper did neither. Keeping one
function here means a question, a sentence and a key phrase are always stemmed the same way.
"""

from __future__ import annotations

from functools import lru_cache

import Stemmer

_ENGLISH = Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball stem of one lower-case word ("quantized", "quantization" -> "quantiz")."""
    return _ENGLISH.stemWord(word)


def stems(words: list[str]) -> list[str]:
    """Stem many words at once (one C call), in order."""
    return _ENGLISH.stemWords(words)
