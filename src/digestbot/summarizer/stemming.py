"""One stemmer for every place that matches words: retrieval, answering and key phrases.

Snowball's English stemmer (PyStemmer, a C extension) makes "failure" and "failures" meet, and
"quantized" meet "quantization". It makes one pass, though, and two of its steps leave a word's
derivational family split in two:

* Step 1b strips "-ed"/"-ing" but does not put back the "e" the base word ended in, so the
  Step 4 suffixes "-ance", "-ence" no longer match: "imbalanced" -> "imbalanc" but
  "imbalance" -> "imbal"; "referenced" -> "referenc" but "reference" -> "refer".
* Step 1c turns a final "y" into "i" and no later step looks past it: "recovery" -> "recoveri"
  but "recover" -> "recov"; "discovery", "machinery" and "strategy" likewise.

:func:`stem` undoes exactly those two leftovers, generally rather than per word: it stems the
Snowball stem again with the "e" restored, and with the "i" of "-y" removed, and keeps a result
only when it is a shorter prefix of the stem (so it can only merge a word with its own family)
of at least :data:`MIN_STEM` letters (so "day" and "da" never meet). Compounds with a hyphen or
a digit ("action-oriented", "gpt-4o-mini") keep Snowball's stem: its regions assume one word.
One more rule is about acronyms, which abstracts are full of: Snowball keeps the plural "s" of
a word with no vowel before its last letter ("llms", "gpus"), so that "s" is dropped.
"""

from __future__ import annotations

import re
import unicodedata

import Stemmer

from digestbot.summarizer.build_cache import per_build_cache

_ENGLISH = Stemmer.Stemmer("english")
# Latin-script words, hyphenated compounds kept whole; a letter after a digit ("7B") is no word.
# Defined here, not taken from ``text``, so text helpers may stem without an import cycle.
# Snowball keeps the "s" of a plural whose other letters hold no vowel (it cannot tell "gpus" from
# "bus"); such words are acronyms' plurals: "llms", "gpus", "cnns".
_ACRONYM_PLURAL = re.compile(r"^[^aeiouy]+[a-z]s$")
_WORD = re.compile(r"(?<![0-9.])(?:[A-Za-z][A-Za-z0-9\-]*[A-Za-z0-9]|[A-Za-z])")
MIN_STEM = 4
"""The shortest stem a normalization may produce: shorter ones merge unrelated words."""


@per_build_cache(maxsize=65536)
def stem(word: str) -> str:
    """The normalized Snowball stem of one lower-case word.

    "recover", "recovery", "recovered" -> "recov"; "imbalance", "imbalanced" -> "imbal";
    "failure", "failures" -> "failur"; "quantized", "quantization" -> "quantiz"; "LLMs" -> "llm".
    """
    snowball = _ENGLISH.stemWord(word)
    if not word.isalpha():
        return snowball
    if _ACRONYM_PLURAL.match(snowball) and len(snowball) >= MIN_STEM:
        return snowball[:-1]
    candidates = [_ENGLISH.stemWord(snowball + "e")]
    if snowball.endswith("i"):
        candidates.append(_ENGLISH.stemWord(snowball[:-1]))
    shorter = [c for c in candidates if MIN_STEM <= len(c) < len(snowball) and snowball.startswith(c)]
    return min(shorter, key=len, default=snowball)


def stems(words: list[str]) -> list[str]:
    """Stem many words, in order."""
    return [stem(word) for word in words]


def fold(text: str) -> str:
    """Text with accents removed ("résumé" -> "resume"), so accented words stay whole words."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def latin_words(text: str) -> list[str]:
    """The Latin-script words of ``text``, accents folded, lower-cased, in order."""
    return [word.lower() for word in _WORD.findall(fold(text))]


def word_stems(text: str) -> list[tuple[str, ...]]:
    """The stems each word of ``text`` can be matched by, one tuple per word, in order.

    A plain word has its stem. A hyphenated compound ("individual-expert", "speed-up") also has
    its parts' stems and its closed form's ("speedup"), because writers join, hyphenate and
    split the same compound freely, and the question rarely does it as the paper did.
    """
    found: list[tuple[str, ...]] = []
    for word in latin_words(text):
        if "-" not in word:
            found.append((stem(word),))
            continue
        parts = [part for part in word.split("-") if part]
        variants = [stem(word), stem("".join(parts)), *(stem(part) for part in parts if len(part) > 1)]
        found.append(tuple(dict.fromkeys(variants)))
    return found
