"""Loading the category taxonomy from a TOML file (the default ships in ``data/``)."""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from digestbot.summarizer.models import Category


class TaxonomyError(ValueError):
    """The taxonomy file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Taxonomy:
    """An ordered set of categories with one fallback, so every paper has a home."""

    categories: tuple[Category, ...]
    fallback_slug: str

    @property
    def slugs(self) -> list[str]:
        return [c.slug for c in self.categories]

    @property
    def fallback(self) -> Category:
        return self.get(self.fallback_slug)

    def get(self, slug: str) -> Category:
        for category in self.categories:
            if category.slug == slug:
                return category
        raise KeyError(slug)

    def resolve(self, word: str) -> Category | None:
        """Match a user's word to a category by slug, name or alias, ignoring case."""
        wanted = word.strip().lower()
        for category in self.categories:
            names = {category.slug, category.name.lower(), *(a.lower() for a in category.aliases)}
            if wanted in names:
                return category
        return None

    def suggest(self, word: str) -> list[str]:
        """Closest slugs for a mistyped category ("lmm" -> ["llm"]); slugs first, then names."""
        wanted = word.strip().lower()
        by_slug = difflib.get_close_matches(wanted, self.slugs, n=3, cutoff=0.5)
        if by_slug:
            return by_slug
        names: dict[str, str] = {}
        for category in self.categories:
            names[category.name.lower()] = category.slug
            for alias in category.aliases:
                names[alias.lower()] = category.slug
        matches = difflib.get_close_matches(wanted, list(names), n=3, cutoff=0.5)
        return list(dict.fromkeys(names[m] for m in matches))

    def order(self, slug: str) -> int:
        return self.slugs.index(slug)


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read a taxonomy file; ``None`` means the shipped default (the seed's 8 categories)."""
    try:
        if path is None:
            raw = resources.files("digestbot.summarizer.data").joinpath("taxonomy.toml").read_text()
            origin = "the default taxonomy"
        else:
            raw = Path(path).read_text(encoding="utf-8")
            origin = str(path)
        document = tomllib.loads(raw)
    except FileNotFoundError as error:
        raise TaxonomyError(f"Taxonomy file not found: {path}. Check DIGEST_TAXONOMY_FILE.") from error
    except tomllib.TOMLDecodeError as error:
        raise TaxonomyError(f"{origin} is not valid TOML: {error}") from error
    entries = document.get("category")
    if not isinstance(entries, list) or not entries:
        raise TaxonomyError(f"{origin} must define at least one [[category]] table.")
    categories: list[Category] = []
    fallbacks: list[str] = []
    for number, entry in enumerate(entries, start=1):
        is_fallback = bool(entry.pop("fallback", False))
        try:
            category = Category.model_validate(entry)
        except ValidationError as error:
            raise TaxonomyError(f"{origin}: category #{number} is invalid: {error}") from error
        categories.append(category)
        if is_fallback:
            fallbacks.append(category.slug)
    slugs = [c.slug for c in categories]
    if len(set(slugs)) != len(slugs):
        raise TaxonomyError(f"{origin}: category slugs must be unique, got {slugs}.")
    if len(fallbacks) > 1:
        raise TaxonomyError(f"{origin}: only one category may set fallback = true, got {fallbacks}.")
    return Taxonomy(categories=tuple(categories), fallback_slug=fallbacks[0] if fallbacks else slugs[-1])
