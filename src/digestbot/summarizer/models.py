"""Pydantic models shared by every stage of the pipeline and every adapter.

They are the contract between the summarizer (which produces them), the bot (which stores
and routes them) and the adapters (which render them), so they carry data only.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field, field_validator

from digestbot.summarizer.ids import ARXIV_ID, abs_url, pdf_url
from digestbot.summarizer.latex import clean_latex
from digestbot.summarizer.phrases import phrase


class Backend(StrEnum):
    """Which back end wrote a summary; shown to readers so a degraded digest is never a secret."""

    OFFLINE = "offline"
    LLM = "llm"


class Paper(BaseModel):
    """One arXiv paper's metadata, as announced.

    ``arxiv_id`` never carries the version suffix, so that a new version of a paper is the
    same paper for de-duplication, caching and delivery bookkeeping.
    """

    model_config = ConfigDict(frozen=True)

    arxiv_id: str = Field(pattern=rf"^{ARXIV_ID}$")
    version: int = Field(default=1, ge=1)
    title: str
    abstract: str
    authors: tuple[str, ...] = ()
    primary_category: str | None = None
    categories: tuple[str, ...] = ()
    published: dt.datetime | None = None
    updated: dt.datetime | None = None
    comment: str | None = None

    @field_validator("title")
    @classmethod
    def _render_tex(cls, title: str) -> str:
        """Titles arrive as author TeX (``\\textsc{DiARC}``); rendered once here, every digest,
        source list, search hit and platform shows the same clean title."""
        return clean_latex(title)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def abs_url(self) -> str:
        return abs_url(self.arxiv_id)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pdf_url(self) -> str:
        return pdf_url(self.arxiv_id)

    @property
    def arxiv_categories(self) -> tuple[str, ...]:
        """Primary category first, then the cross-lists, without repeats."""
        ordered = ([self.primary_category] if self.primary_category else []) + list(self.categories)
        return tuple(dict.fromkeys(ordered))


class Category(BaseModel):
    """One entry of the taxonomy; loaded from a data file, never hard-coded."""

    model_config = ConfigDict(frozen=True)

    slug: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    name: str
    description: str
    keywords: tuple[str, ...] = ()
    arxiv_priors: dict[str, float] = Field(default_factory=dict)
    aliases: tuple[str, ...] = ()


class CategoryAssignment(BaseModel):
    """Why a paper sits in its category; kept so categorization can be explained and audited."""

    arxiv_id: str
    slug: str
    score: float = 0.0
    reason: str = ""
    # What a model answered in the same call, when one categorized the paper: how notable it is
    # (1-10, blended into the paper's rank) and a one-sentence TL;DR in the digest's language.
    notability: int | None = Field(default=None, ge=1, le=10)
    tldr: str = ""
    fallback: bool = False
    """The offline categorizer decided in the model's place (the model failed or the budget ran out)."""


class KeyFact(BaseModel):
    """One paper's most important finding, quoted from (offline) or grounded in (LLM) its abstract."""

    arxiv_id: str
    title: str
    fact: str


class Note(BaseModel):
    """A remark about how something was made (a fallback, a grounding correction, a late post):
    a phrase-catalog key (``"llm.budget"``, ``"delivery.late"``: ``summarizer/phrases.py``) and
    its values, put into words only when rendered, in the reader's language. A note stored as a
    plain string (before notes were typed, or a source's own remark) is shown as written."""

    model_config = ConfigDict(frozen=True)

    key: str
    values: dict[str, str | int] = Field(default_factory=dict)

    def text(self, language: str) -> str:
        return phrase(self.key, language, **self.values)


def note_text(note: Note | str, language: str) -> str:
    """A note in words, in ``language`` (a plain-string note as it was stored)."""
    return note if isinstance(note, str) else note.text(language)


def dump_note(note: Note | str) -> str:
    """A note as one text value (a ledger column): typed notes as JSON, plain ones as they are."""
    return note if isinstance(note, str) else note.model_dump_json()


def load_note(stored: str) -> Note | str:
    """The inverse of :func:`dump_note`; text that is not a typed note's JSON is a plain note."""
    try:
        return Note.model_validate_json(stored)
    except ValidationError:
        return stored


class CategorySummary(BaseModel):
    """The seed's five-part summary of one category, each part its own field."""

    main_themes: list[str]
    keywords: list[str]
    key_facts: list[KeyFact]
    impact: list[str]
    outlook: str
    backend: Backend
    notes: list[Note | str] = Field(default_factory=list)


class PaperSummary(BaseModel):
    """A single paper's summary, for ``/digest paper`` and ``digestbot paper``."""

    arxiv_id: str
    title: str
    tldr: str
    key_points: list[str]
    keywords: list[str]
    backend: Backend


class Passage(BaseModel):
    """A piece of a paper (abstract or full-text chunk) handed to an answerer as evidence."""

    arxiv_id: str
    title: str
    text: str
    section: str = "abstract"


class Answer(BaseModel):
    """An answer to a question about papers; ``cited_ids`` are the papers it relies on.

    ``supported`` is False when the passages do not answer the question ("the papers don't
    say"), which adapters show instead of a guess.
    """

    text: str
    cited_ids: list[str]
    supported: bool
    backend: Backend


class PaperRank(BaseModel):
    """How worth reading a paper is today, and why, so a ranking can always be explained.

    ``score`` comes from the day's papers alone (and a model's notability when one is used);
    a channel's interests re-rank at post time, since one digest serves every channel.
    """

    arxiv_id: str
    score: float
    reasons: list[str] = Field(default_factory=list)


class CategorySection(BaseModel):
    """A category of one digest: its papers (in display order) and their summary."""

    category: Category
    papers: list[Paper]
    summary: CategorySummary


class Digest(BaseModel):
    """A day's digest; built once per (date, language) and shared by every channel."""

    date: dt.date
    language: str
    sections: list[CategorySection]
    backend: Backend
    source: str
    notes: list[Note | str] = Field(default_factory=list)
    assignments: list[CategoryAssignment] = Field(default_factory=list)
    # One sentence per paper (arXiv id -> TL;DR), written by whichever back end built the digest.
    tldrs: dict[str, str] = Field(default_factory=dict)
    # Every paper's "worth reading today" rank, best first.
    ranks: list[PaperRank] = Field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """Papers per category name, in section order (what the chart shows)."""
        return {section.category.name: len(section.papers) for section in self.sections}

    @property
    def papers(self) -> list[Paper]:
        return [paper for section in self.sections for paper in section.papers]

    def section(self, slug: str) -> CategorySection | None:
        return next((s for s in self.sections if s.category.slug == slug), None)

    def only(self, slugs: list[str]) -> Digest:
        """The same digest restricted to some categories (a channel's filter), ranks included."""
        wanted = set(slugs)
        sections = [s for s in self.sections if s.category.slug in wanted]
        kept = {paper.arxiv_id for section in sections for paper in section.papers}
        ranks = [rank for rank in self.ranks if rank.arxiv_id in kept]
        return self.model_copy(update={"sections": sections, "ranks": ranks})
