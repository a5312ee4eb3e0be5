"""The offline categorizer: keyword evidence from the taxonomy file plus arXiv-category priors.

It needs no model, key or network, so a fresh clone can build a digest, and it explains every
decision in one line a reader can check ("keywords: quantization, kv cache; arXiv cs.CL").
All domain vocabulary lives in the taxonomy file (each category's ``keywords`` and
``arxiv_priors``), never here, so a team's own taxonomy works without code changes.

Keyword syntax (also documented at the top of the shipped taxonomy file):

* matching ignores case and treats hyphens, dashes and slashes as spaces, so
  ``vision-language`` also finds "vision language" and ``text-to-image`` "text to image";
* a keyword matches whole words only, its last word optionally followed by a plural
  ``s``/``es``: ``llm`` finds "LLMs" but ``rag`` never finds "average";
* a keyword whose last word ends in ``*`` is a prefix: ``accelerat*`` finds "acceleration".
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from digestbot.summarizer.cpu import run_cpu_bound
from digestbot.summarizer.models import CategoryAssignment, Paper
from digestbot.summarizer.taxonomy import Taxonomy

_SEPARATORS = re.compile(r"[\-‐‑‒–—_/]+")
_TOKENS = re.compile(r"\w+|[^\w\s]")
_MAX_REASON_KEYWORDS = 4
_COMBINING: dict[str, tuple[str, ...]] = {"multimodal": ("cv", "llm")}


def tokenize(text: str) -> list[str]:
    """Lower-case words, with punctuation kept as tokens of its own.

    Hyphens, dashes and slashes separate words ("multi-modal" is "multi modal"); other
    punctuation stays as a token so a phrase never matches across a full stop or a comma.
    """
    return _TOKENS.findall(_SEPARATORS.sub(" ", text.lower()))


@dataclass(frozen=True)
class Weights:
    """The knobs of the scoring, kept together so a benchmark can vary them in one place.

    * ``title``/``abstract``: a title states the main contribution, an abstract also mentions
      context and related work, so one title hit is worth several abstract hits.
    * ``primary_prior``/``crosslist_prior``: authors choose the primary arXiv category for the
      main contribution; cross-lists are often aspirational, hence weaker.
    * ``minimum``: below this much evidence the paper goes to the fallback category, because a
      single stray word is not a reason to put a paper in a topical section.
    * ``override``: an overriding category (an application domain such as healthcare) wins
      over the method's category once its own evidence reaches this much.
    * ``phrase``: extra weight per additional word of a keyword, because "vision language
      model" says far more about a paper than "model" does.
    * ``combined``: how much of the weaker part's keyword evidence a combining category (by
      default ``multimodal``, combining ``cv`` and ``llm``) receives: a paper with solid evidence
      for both images and language is about their combination, even when it never says
      "multimodal".
    """

    title: float = 3.0
    abstract: float = 1.0
    primary_prior: float = 1.0
    crosslist_prior: float = 0.5
    minimum: float = 2.0
    override: float = 5.0
    phrase: float = 0.5
    combined: float = 1.0


@dataclass(frozen=True)
class _Keyword:
    """One distinct keyword: its words, whether the last is a prefix, and who lists it."""

    label: str
    words: tuple[str, ...]
    prefix: bool
    slugs: tuple[str, ...]

    def weight(self, phrase: float) -> float:
        """Longer phrases are more specific; a keyword listed by several categories is split
        between them rather than counted in full for each."""
        return (1.0 + phrase * (len(self.words) - 1)) / len(self.slugs)

    def matches_last(self, token: str) -> bool:
        last = self.words[-1]
        if self.prefix:
            return token.startswith(last)
        return token in (last, last + "s", last + "es")


class _KeywordMatcher:
    """Finds taxonomy keywords in a token list, longest phrase first, without overlaps.

    The keywords that can start at a given word are looked up once per distinct word and
    memoized: abstracts reuse a small vocabulary, so matching costs about one dictionary
    look-up per token (one big regular-expression alternation was ten times slower).
    """

    def __init__(self, keywords: Sequence[_Keyword]) -> None:
        self._by_first: dict[str, list[_Keyword]] = {}
        for keyword in sorted(keywords, key=lambda k: -len(k.words)):
            self._by_first.setdefault(keyword.words[0], []).append(keyword)
        self._prefixes = {k.words[0]: k for k in keywords if k.prefix and len(k.words) == 1}
        self._prefix_lengths = sorted({len(prefix) for prefix in self._prefixes}, reverse=True)
        self._starting: dict[str, tuple[_Keyword, ...]] = {}

    def find(self, tokens: Sequence[str]) -> Iterator[_Keyword]:
        resume = 0
        for position, token in enumerate(tokens):
            candidates = self._starting.get(token)
            if candidates is None:
                candidates = self._starting[token] = tuple(self._starting_with(token))
            if candidates and position >= resume:
                keyword = _first_match(candidates, tokens, position)
                if keyword is not None:
                    resume = position + len(keyword.words)
                    yield keyword

    def _starting_with(self, token: str) -> Iterator[_Keyword]:
        """Keywords that may start at ``token``, longest first: by first word, by the singular of
        a one-word keyword, or by a one-word prefix."""
        yield from self._by_first.get(token, ())
        for singular in (token[:-1], token[:-2]) if token.endswith("s") else ():
            yield from (k for k in self._by_first.get(singular, ()) if len(k.words) == 1)
        yield from (self._prefixes[token[:n]] for n in self._prefix_lengths if token[:n] in self._prefixes)


def _first_match(candidates: Iterable[_Keyword], tokens: Sequence[str], position: int) -> _Keyword | None:
    """The first (longest) candidate whose every word matches the tokens from ``position``."""
    for candidate in candidates:
        end = position + len(candidate.words)
        if (
            end <= len(tokens)
            and all(candidate.words[i] == tokens[position + i] for i in range(1, len(candidate.words) - 1))
            and candidate.matches_last(tokens[end - 1])
        ):
            return candidate
    return None


@dataclass
class _Evidence:
    """What speaks for one category: keyword contributions and arXiv-category priors."""

    keywords: Counter[str] = field(default_factory=Counter)
    arxiv: list[str] = field(default_factory=list)
    prior: float = 0.0

    @property
    def score(self) -> float:
        return sum(self.keywords.values()) + self.prior

    def reason(self) -> str:
        """Like "keywords: a, b; arXiv cs.CL", the strongest keywords first."""
        parts = []
        if self.keywords:
            strongest = [word for word, _ in self.keywords.most_common(_MAX_REASON_KEYWORDS)]
            parts.append("keywords: " + ", ".join(strongest))
        if self.arxiv:
            parts.append("arXiv " + ", ".join(self.arxiv))
        return "; ".join(parts)


@dataclass(frozen=True)
class RuleVerdict:
    """What the keyword rules conclude about one paper, and the evidence behind it per category."""

    assignment: CategoryAssignment
    keywords: dict[str, float]
    priors: dict[str, float]


class OfflineCategorizer:
    """Puts every paper in exactly one category of a :class:`Taxonomy`.

    Each category collects evidence from its keywords (title hits weigh more than abstract
    hits; repeats in the abstract count with diminishing returns, so one word used ten times
    cannot outvote five distinct ones) and from the priors of the paper's arXiv categories.
    The highest score wins, with two exceptions. Weak evidence sends the paper to the
    taxonomy's fallback. And ``overriding`` categories, in priority order, win as soon as their
    own evidence is strong, because they cut across the others: by default ``healthcare`` (the
    domain wins over the method, so medical imaging is healthcare, not vision) and then
    ``inference`` (making *any* model cheaper to run, so a KV-cache paper is not "LLM").
    ``combining`` categories collect the evidence their parts share: by default ``multimodal``
    gains as much as the weaker of the ``cv`` and ``llm`` keyword evidence, so an image paper
    that also speaks of language models leans to multimodal. Slugs missing from the taxonomy
    are ignored, so a team's own taxonomy needs no code change.
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        *,
        overriding: Sequence[str] = ("healthcare", "inference"),
        combining: Mapping[str, Sequence[str]] | None = None,
        weights: Weights | None = None,
    ) -> None:
        self.taxonomy = taxonomy
        self.weights = weights or Weights()
        self._overriding = tuple(slug for slug in overriding if slug in taxonomy.slugs)
        combining = _COMBINING if combining is None else combining
        self._combining = {
            slug: tuple(parts)
            for slug, parts in combining.items()
            if slug in taxonomy.slugs and len(parts) > 1 and all(part in taxonomy.slugs for part in parts)
        }
        self._matcher = _KeywordMatcher(_collect_keywords(taxonomy))

    async def categorize(self, papers: Sequence[Paper], *, language: str = "en") -> list[CategoryAssignment]:
        """One assignment per paper, in input order (``language`` is unused: it writes no text);
        run in a worker thread because a day's papers take ~0.1 s of CPU, which would stall a
        chat adapter's 3-second acks (see cpu.py)."""
        return await run_cpu_bound(lambda: [self.assign(paper) for paper in papers])

    def assign(self, paper: Paper) -> CategoryAssignment:
        """The paper's category, its score and a one-line reason."""
        return self.assess(paper).assignment

    def assess(self, paper: Paper) -> RuleVerdict:
        """The assignment together with every category's keyword and prior evidence, which the
        trained model (``offline/model.py``) reads as features rather than as a verdict."""
        evidence = self._evidence(paper)
        return RuleVerdict(
            assignment=self._decide(paper, evidence),
            keywords={slug: sum(found.keywords.values()) for slug, found in evidence.items()},
            priors={slug: found.prior for slug, found in evidence.items()},
        )

    def _decide(self, paper: Paper, evidence: dict[str, _Evidence]) -> CategoryAssignment:
        best = max(self.taxonomy.slugs, key=lambda slug: evidence[slug].score)
        override = self._override(evidence)
        if override is not None:
            reason = evidence[override].reason()
            if override != best:
                reason += f"; {override} outweighs {best}"
            return self._assignment(paper, override, evidence[override].score, reason)
        if evidence[best].score < self.weights.minimum:
            fallback = self.taxonomy.fallback_slug
            detail = f"best {best} {evidence[best].score:.1f}" if evidence[best].score else "no evidence"
            return self._assignment(paper, fallback, evidence[fallback].score, f"weak evidence ({detail}); fallback")
        return self._assignment(paper, best, evidence[best].score, evidence[best].reason())

    def _evidence(self, paper: Paper) -> dict[str, _Evidence]:
        evidence = {slug: _Evidence() for slug in self.taxonomy.slugs}
        self._add_keywords(evidence, paper.title, self.weights.title, repeats=False)
        self._add_keywords(evidence, paper.abstract, self.weights.abstract, repeats=True)
        self._add_combinations(evidence)
        self._add_priors(evidence, paper.arxiv_categories)
        return evidence

    def _add_keywords(self, evidence: dict[str, _Evidence], text: str, weight: float, *, repeats: bool) -> None:
        """Credit every category listing a matched keyword; ``repeats`` counts n hits as log2(1 + n)."""
        for keyword, count in Counter(self._matcher.find(tokenize(text))).items():
            times = math.log2(1 + count) if repeats else 1.0
            for slug in keyword.slugs:
                evidence[slug].keywords[keyword.label] += weight * keyword.weight(self.weights.phrase) * times

    def _add_combinations(self, evidence: dict[str, _Evidence]) -> None:
        """Credit a combining category with the keyword evidence of its weakest part."""
        for slug, parts in self._combining.items():
            strength = min(sum(evidence[part].keywords.values()) for part in parts)
            if strength > 0:
                evidence[slug].keywords[" + ".join(parts) + " evidence"] += self.weights.combined * strength

    def _add_priors(self, evidence: dict[str, _Evidence], arxiv_categories: Iterable[str]) -> None:
        for position, arxiv_category in enumerate(arxiv_categories):
            scale = self.weights.primary_prior if position == 0 else self.weights.crosslist_prior
            for category in self.taxonomy.categories:
                prior = category.arxiv_priors.get(arxiv_category, 0.0)
                if prior:
                    evidence[category.slug].prior += scale * prior
                    evidence[category.slug].arxiv.append(arxiv_category)

    def _override(self, evidence: dict[str, _Evidence]) -> str | None:
        """The first overriding category, in priority order, whose evidence is strong enough."""
        return next((slug for slug in self._overriding if evidence[slug].score >= self.weights.override), None)

    @staticmethod
    def _assignment(paper: Paper, slug: str, score: float, reason: str) -> CategoryAssignment:
        return CategoryAssignment(arxiv_id=paper.arxiv_id, slug=slug, score=round(score, 2), reason=reason)


def _collect_keywords(taxonomy: Taxonomy) -> list[_Keyword]:
    """Every distinct keyword once, with all the categories that list it."""
    owners: dict[tuple[tuple[str, ...], bool], list[str]] = {}
    for category in taxonomy.categories:
        for keyword in category.keywords:
            prefix = keyword.strip().endswith("*")
            words = tuple(tokenize(keyword.strip().rstrip("*")))
            if words and category.slug not in owners.setdefault((words, prefix), []):
                owners[(words, prefix)].append(category.slug)
    return [
        _Keyword(label=" ".join(words), words=words, prefix=prefix, slugs=tuple(slugs))
        for (words, prefix), slugs in owners.items()
    ]
