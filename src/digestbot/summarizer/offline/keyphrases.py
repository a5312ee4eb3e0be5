"""Key phrases a researcher would write: noun phrases, scored against the whole day.

There is no part-of-speech tagger here (it would cost more install size than the rest of the
offline back end); a noun phrase is recognized the way a reader skims: a run of content words
that does not start with a verb or an adverb and ends on a noun-like head ("KV cache eviction",
"speculative decoding"), never on an adjective ("severe", "delivers superior") or a verb
("cannot tolerate"). Word lists live in ``data/phrase_words.toml``; variants meet through the
shared Snowball stemmer, so "diffusion model" and "diffusion models" are one phrase.

Phrases are scored with class-based TF-IDF: how many of a category's papers use a phrase,
against how many papers of the whole day do, so "language model" does not lead every list.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from digestbot.summarizer.build_cache import per_build_cache
from digestbot.summarizer.models import Category
from digestbot.summarizer.stemming import stem
from digestbot.summarizer.text import STOPWORDS

MAX_WORDS = 4
# A phrase is folded into a longer one that carries it in this share of its papers
# ("multimodal large language" into "multimodal large language models").
CONTAINED_SHARE = 0.8
# A phrase used by this share of the day's papers says nothing about one category.
UBIQUITOUS_SHARE = 0.12
_PHRASE_BREAK = re.compile(r"[.,;:!?()\[\]{}\"“”'‘’/=<>+*|]|\s[-–—]+\s")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9]|[A-Za-z]")
_ADJECTIVE_SUFFIXES = ("ive", "ous", "ful", "less", "able", "ible", "al", "ic", "ed", "ly", "est", "ant", "ent")
# "characterize", "analyze", "classify": verbs, never the start or the head of a phrase.
_VERB_SUFFIXES = ("ize", "izes", "yze", "yzes", "ify", "ifies")
_LONE_VERB_SUFFIXES = ("ate", "ates")  # "formulate" alone is a verb; "learning rate" is fine
_NOUN_ENDINGS = ("ment", "ent", "ant")  # "agent", "gradient", "assistant" are nouns
_NOUN_SUFFIXES = ("tion", "sion", "ment", "ness", "ity", "ance", "ence", "ism", "ure", "ogy", "phy", "ics", "er", "or")
# "LLMs", "VLMs": an acronym's plural, which the English stemmer does not know.
_ACRONYM_PLURAL = re.compile(r"[A-Z0-9][A-Za-z0-9\-]*[A-Z0-9]s")


@dataclass(frozen=True)
class _Lexicon:
    verbs: frozenset[str]
    adjectives: frozenset[str]
    generic: frozenset[str]
    nouns: frozenset[str]
    breakers: frozenset[str]


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    raw = resources.files("digestbot.summarizer.data").joinpath("phrase_words.toml").read_text()
    lists = tomllib.loads(raw)
    verbs = frozenset(form for base in lists["verbs"] for form in _inflections(base)) | set(lists["participles"])
    # stop words count as boilerplate too, compared as stems like every phrase word
    generic = frozenset(stem(word) for word in [*lists["generic"], *STOPWORDS])
    return _Lexicon(
        verbs=verbs,
        adjectives=frozenset(lists["adjectives"]),
        generic=generic,
        nouns=frozenset(lists["nouns_despite_suffix"]),
        breakers=STOPWORDS - frozenset(lists["inside_phrases"]),
    )


def _inflections(base: str) -> set[str]:
    """A verb's forms as abstracts write them: "reduce" → reduces, reduced, reducing."""
    stem_ = base[:-1] if base.endswith("e") else base
    plural = base[:-1] + "ies" if base.endswith("y") and base[-2:-1] not in "aeiou" else base + "s"
    past = base[:-1] + "ied" if base.endswith("y") and base[-2:-1] not in "aeiou" else stem_ + "ed"
    return {base, plural, base + "es", past, stem_ + "ing"}


@dataclass(frozen=True)
class RankedPhrase:
    """One of a category's key phrases and the category's papers that use it, in input order."""

    surface: str
    key: tuple[str, ...]
    paper_ids: tuple[str, ...]

    @property
    def topical(self) -> frozenset[str]:
        """The stems that carry the topic; two phrases sharing one are near-repeats."""
        generic = _lexicon().generic
        return frozenset(part for part in self.key if part not in generic)

    @property
    def initials(self) -> str:
        """ "multimodal large language models" → "mllm", to meet its acronym "MLLMs"."""
        if len(self.key) == 1:
            return self.key[0]
        return "".join(part[0] for part in self.key)

    @property
    def specific(self) -> bool:
        """Specific enough to be a theme: several words ("speculative decoding") or a name ("LoRA")."""
        return len(self.key) > 1 or any(c.isupper() or c.isdigit() for c in self.surface)


def _is_adjective(word: str) -> bool:
    lexicon = _lexicon()
    last = word.rsplit("-", 1)[-1]
    if last in lexicon.nouns or word in lexicon.nouns:
        return False
    if last in lexicon.adjectives:
        return True
    return last.endswith(_ADJECTIVE_SUFFIXES) and not last.endswith(_NOUN_ENDINGS) and len(last) > 4


@dataclass(frozen=True)
class _Word:
    """What one token may be in a phrase; computed once per distinct token."""

    stem: str
    inside: bool  # not a function word or a verb: it may be part of a phrase
    starts: bool  # not a verb ("characterize"): it may open a phrase
    ends: bool  # noun-like: it may close a phrase of several words
    alone: bool  # a name or a long technical noun: it may be a phrase by itself


@per_build_cache(maxsize=65536)
def _word(token: str) -> _Word:
    lowered = token.lower()
    lexicon = _lexicon()
    adverb = lowered.endswith("ly") and lowered not in lexicon.nouns  # "mainly", not "anomaly"
    inside = (
        lowered not in lexicon.breakers
        and lowered not in lexicon.verbs
        and not adverb
        and any(c.isalpha() for c in token)
    )
    ends = not _is_adjective(lowered) and not lowered.endswith(_VERB_SUFFIXES)
    singular = lowered[:-1] if _ACRONYM_PLURAL.fullmatch(token) else lowered
    return _Word(
        stem=stem(singular),
        inside=inside,
        starts=not lowered.endswith(_VERB_SUFFIXES),
        ends=ends,
        # One word is a theme only when it is a name ("LoRA", "3DGS") or a long technical noun
        # ("watermarking"); "image", "cost" or "3D" alone tell a reader nothing. A lone "-ing"
        # word ("improving") is usually a verb.
        alone=ends and not lowered.endswith(("ing", *_LONE_VERB_SUFFIXES)) and _names_something(token),
    )


def _names_something(token: str) -> bool:
    """A name ("LoRA", "Qwen3") or a long word with a noun's ending ("quantization",
    "hallucination"); a lower-case hyphenated word alone is almost always a modifier
    ("real-world", "long-context"), and "decomposes" or "difficult" are no topic."""
    letters = sum(c.isalpha() for c in token)
    if any(c.isupper() for c in token[1:]) or any(c.isdigit() for c in token):
        return letters >= 3
    singular = token.lower().removesuffix("s")
    return len(token) >= 8 and "-" not in token and singular.endswith(_NOUN_SUFFIXES)


@per_build_cache(maxsize=8192)
def document_phrases(text: str) -> dict[tuple[str, ...], str]:
    """Every noun-phrase candidate of one cleaned text: stem key → surface form as written.

    Cached: the same paper is read for the day's statistics and again for its category.
    """
    found: dict[tuple[str, ...], str] = {}
    for chunk in _PHRASE_BREAK.split(text):
        run: list[tuple[str, _Word]] = []
        for token in [*_TOKEN.findall(chunk), ""]:
            word = _word(token) if token else None
            if word and word.inside:
                run.append((token, word))
                continue
            for phrase in _phrases_of_run(run):
                found.setdefault(tuple(w.stem for _, w in phrase), " ".join(t for t, _ in phrase))
            run = []
    return found


def _phrases_of_run(run: Sequence[tuple[str, _Word]]) -> Iterable[Sequence[tuple[str, _Word]]]:
    for start, (_, first) in enumerate(run):
        if not first.starts:
            continue
        if first.alone:
            yield run[start : start + 1]
        for end in range(start + 1, min(start + MAX_WORDS, len(run))):
            if run[end][1].ends:
                yield run[start : end + 1]


def trivial_stems(category: Category) -> frozenset[str]:
    """Words that every paper of ``category`` may be assumed to share: its name, slug and
    aliases ("language" in LLM, "vision" in Computer Vision)."""
    names = [category.name, category.slug, *category.aliases]
    return frozenset(stem(part) for name in names for part in re.split(r"[\s\-/]+", name.lower()) if part)


class DayPhrases:
    """How many of the day's papers use each phrase: the "inverse document" side of the score."""

    def __init__(self, documents: Iterable[str]) -> None:
        self.document_count = 0
        self.frequency: Counter[tuple[str, ...]] = Counter()
        # Words the day writes in lower case somewhere; the others keep their capital ("Gaussian").
        self.lowercase: set[str] = set()
        for document in documents:
            self.document_count += 1
            self.frequency.update(document_phrases(document).keys())
            self.lowercase.update(lowercase_words(document))

    def rank(
        self, documents: Sequence[tuple[str, str]], *, trivial: frozenset[str], min_papers: int
    ) -> list[RankedPhrase]:
        """A category's phrases, best first; ``documents`` are (arXiv id, cleaned text) pairs."""
        users: defaultdict[tuple[str, ...], list[str]] = defaultdict(list)
        surfaces: defaultdict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        for arxiv_id, text in documents:
            for key, surface in document_phrases(text).items():
                users[key].append(arxiv_id)
                surfaces[key][surface] += 1
        kept = {
            key: ids
            for key, ids in users.items()
            # four words are a phrase only when several papers share them, else a fragment of one
            if len(ids) >= (min_papers if len(key) < MAX_WORDS else 2) and topical_key(key, trivial)
        }
        scored = [(self._score(key, len(ids), len(documents)), key) for key, ids in _maximal(kept).items()]
        scored.sort(key=lambda item: (-item[0], item[1]))
        return [
            RankedPhrase(surface=display(surfaces[key], self.lowercase), key=key, paper_ids=tuple(users[key]))
            for score, key in scored
            if score > 0
        ]

    def _score(self, key: tuple[str, ...], in_category: int, category_size: int) -> float:
        """Class-based TF-IDF: share of the category using the phrase, times how rare it is in
        the day; a phrase in a large share of the whole day scores nothing."""
        day_share = self.frequency[key] / max(1, self.document_count)
        if day_share >= UBIQUITOUS_SHARE and in_category / category_size < 2 * day_share:
            return 0.0
        idf = math.log(1 + self.document_count / max(1, self.frequency[key]))
        return in_category * idf * (1.0 + 0.6 * (min(len(key), 3) - 1))


def topical_key(key: tuple[str, ...], trivial: frozenset[str]) -> bool:
    """At least one word names a topic: not boilerplate ("proposed framework") and not the
    category's own name ("large language models" in LLM, "vision-language" in Multimodal)."""
    lexicon = _lexicon()
    return any(part not in lexicon.generic and not set(part.split("-")) <= trivial for part in key)


def _maximal(users: dict[tuple[str, ...], list[str]]) -> dict[tuple[str, ...], list[str]]:
    """Drop a phrase that is nearly always part of a longer one: "multimodal large language"
    is only ever "multimodal large language models", so only the whole phrase is kept."""
    longer_by_part: dict[tuple[str, ...], int] = {}
    for key, ids in users.items():
        for size in range(1, len(key)):
            for start in range(len(key) - size + 1):
                part = key[start : start + size]
                longer_by_part[part] = max(longer_by_part.get(part, 0), len(ids))
    return {key: ids for key, ids in users.items() if longer_by_part.get(key, 0) < CONTAINED_SHARE * len(ids)}


@per_build_cache(maxsize=8192)
def lowercase_words(text: str) -> frozenset[str]:
    return frozenset(token for token in _TOKEN.findall(text) if token.islower())


def display(surfaces: Counter[str], lowercase: set[str] | frozenset[str]) -> str:
    """The authors' most common spelling, each word in lower case where the text also writes it
    so ("Diffusion models" at a sentence start), else as written ("Gaussian", "LoRA")."""
    surface = surfaces.most_common(1)[0][0]
    return " ".join(word.lower() if word.lower() in lowercase else word for word in surface.split())


def paper_keywords(title: str, abstract: str, *, limit: int) -> list[str]:
    """A single paper's key phrases (``/digest paper``): its title's noun phrases first (the
    authors' own name for the topic), then the abstract's longer ones, without near-repeats."""
    candidates = [
        (rank, key, surface)
        for rank, text in enumerate((title, abstract))
        for key, surface in document_phrases(text).items()
    ]
    candidates.sort(key=lambda item: (item[0], -len(item[1])))  # stable: first use wins among equals
    # Title Case is a title's convention, not the word's: "Robot-Object Interaction" reads as
    # "robot-object interaction" unless the abstract, too, capitalizes the word ("Gaussian").
    written = set(_TOKEN.findall(abstract))
    lowercase = lowercase_words(abstract) | {w.lower() for w in _TOKEN.findall(title) if w not in written}
    # "prompt-free open vocabulary anomaly" stops short of its noun ("… recognition"): skip it.
    continued = {key[:size] for _, key, _ in candidates for size in range(1, len(key))}
    chosen: list[RankedPhrase] = []
    for _, key, surface in candidates:
        if any(key[start:] in continued for start in range(len(key))):
            continue
        phrase = RankedPhrase(surface=display(Counter([surface]), lowercase), key=key, paper_ids=())
        if topical_key(key, frozenset()) and not any(phrase.topical & kept.topical for kept in chosen):
            chosen.append(phrase)
    return [phrase.surface for phrase in chosen[:limit]]
