"""What the trained categorizer sees of a paper: its words, its arXiv categories, and what the
taxonomy's keyword rules say about it.

One module builds these features both for training (``benchmarks/train_categorizer.py``) and
at run time (``offline/model.py``), so a model can never be trained on features that differ
from the ones it is later given.

* **Terms** are Snowball stems of the title and abstract words (stopwords dropped), single
  words and adjacent pairs ("kv cache"), plus the title's words again under a ``title:``
  prefix, because a title states the main contribution. The model weighs them by TF-IDF.
* **Side features** are the arXiv categories (the primary one and every listed one) and, per
  taxonomy category, the keyword rules' evidence and their verdict. The rules become evidence
  the model weighs against everything else, instead of triggers that decide on their own: the
  word "accelerating" in a chess paper no longer makes it an inference paper by itself.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from digestbot.summarizer.models import Paper
from digestbot.summarizer.offline.categorizer import OfflineCategorizer
from digestbot.summarizer.stemming import stems
from digestbot.summarizer.text import STOPWORDS

TITLE = "title:"
_WORD = re.compile(r"[a-z][a-z0-9]*")
_SEPARATORS = re.compile(r"[\-‐‑‒–—_/]+")


@dataclass(frozen=True)
class Terms:
    """A paper's term counts, and the words each stem came from (to explain a decision)."""

    counts: Counter[str]
    surface: dict[str, str]


def words(text: str) -> list[str]:
    """Lower-case words without stopwords or single letters; hyphens split words."""
    found = _WORD.findall(_SEPARATORS.sub(" ", text.lower()))
    return [word for word in found if len(word) > 1 and word not in STOPWORDS]


def paper_terms(paper: Paper) -> Terms:
    """Unigram and bigram stems of title and abstract, and the title's unigrams once more."""
    counts: Counter[str] = Counter()
    surface: dict[str, str] = {}
    for text in (paper.title, paper.abstract):
        original = words(text)
        stemmed = stems(original)
        for position, stem in enumerate(stemmed):
            counts[stem] += 1
            surface.setdefault(stem, original[position])
            if position:
                pair = f"{stemmed[position - 1]} {stem}"
                counts[pair] += 1
                surface.setdefault(pair, f"{original[position - 1]} {original[position]}")
    counts.update(TITLE + stem for stem in set(stems(words(paper.title))))
    return Terms(counts=counts, surface=surface)


def side_features(paper: Paper, rules: OfflineCategorizer) -> dict[str, float]:
    """arXiv categories and the keyword rules' evidence, already on a comparable scale.

    Keyword evidence grows with the abstract's length and repeats, so it enters as
    ``log(1 + score)``; the rules' verdict enters as one indicator per category.
    """
    features: dict[str, float] = {}
    for position, arxiv_category in enumerate(paper.arxiv_categories):
        features[f"arxiv:{arxiv_category}"] = 1.0
        if position == 0:
            features[f"primary:{arxiv_category}"] = 1.0
    verdict = rules.assess(paper)
    for slug, score in verdict.keywords.items():
        if score > 0:
            features[f"rule-evidence:{slug}"] = math.log1p(score)
    for slug, prior in verdict.priors.items():
        if prior > 0:
            features[f"rule-prior:{slug}"] = prior
    features[f"rule-choice:{verdict.assignment.slug}"] = 1.0
    return features
