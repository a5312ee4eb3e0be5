"""The brief daily post, laid out once for every platform: what a team reads in five minutes.

The parent carries the chart, the counts, at most one trend line and today's top picks; the
thread has one message per category (the smallest categories share one when the platform's
message budget demands it), each with a short summary, its best papers with their TL;DRs and
the rest as linked titles — or, when listing them would break the budget, "+N more" with the
full digest attached as the same Markdown file ``digestbot digest`` writes. Every paper of the
day stays reachable: in the parent, in a list, or in that file.

Renderers only map these parts to markup; the budgets (:class:`PostBudget`) come from each
platform, and every choice below — how many picks, which lists fit, which categories share a
message — is made here so Slack, Discord and the console agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from digestbot.bot.layout.locale import labels_for
from digestbot.bot.layout.markdown import render_digest
from digestbot.bot.layout.parts import PaperRef, paper_ref, produced_by
from digestbot.summarizer.models import Backend, CategorySection, Digest, Paper
from digestbot.summarizer.phrases import phrase
from digestbot.summarizer.ranking import matched_interests, ranked_for
from digestbot.summarizer.text import split_sentences
from digestbot.summarizer.trends import CategoryTrend, trend_line

TOP_PICKS = 5
PICKS_MIN = 3
"""Papers with a TL;DR a category with that many gets before any category gets more."""
PICKS_MAX = 5
"""Papers with a TL;DR per category at most; fewer when the reading budget is spent."""
READING_WORDS = 1150
"""Words of the post a reader reads, every heading and note included (only the compact title
lists are left out, as they are skimmed): five minutes at 230 words a minute."""
FITTING_ROUNDS = 4
"""Headings and "+N more" lines are only known once the lists are fitted: the picks' word
allowance becomes what they used less what the laid-out post went over, which drops at least
the last pick a round and settles within a round or two."""
THEMES_NAMED = 3
LIST_LINE = 6
"""Characters a list line adds to its title (bullet, separators, line break)."""


@dataclass(frozen=True)
class PostBudget:
    """One platform's limits for the brief post.

    ``messages`` counts the parent; ``characters`` is what a reader sees in the whole post;
    ``message_characters`` is what one message may hold with its markup, where a link costs
    ``link_markup`` characters beyond its title; ``file_is_message``: attaching a file adds a
    message of its own to the thread (Slack's file share) instead of riding on one.
    """

    messages: int
    characters: int
    message_characters: int
    link_markup: int
    file_is_message: bool = False


@dataclass(frozen=True)
class Pick:
    paper: PaperRef
    tldr: str
    category: str
    interests: tuple[str, ...] = ()


@dataclass(frozen=True)
class CategoryBrief:
    """One category in the thread: ``rest`` are listed as titles; ``more`` are only in the file."""

    name: str
    count: int
    summary: str
    picks: tuple[Pick, ...]
    rest: tuple[PaperRef, ...]
    more: int = 0


@dataclass(frozen=True)
class BriefParent:
    title: str
    date: str
    total: str
    produced_by: str
    chart_title: str
    chart_alt: str
    counts: tuple[tuple[str, int], ...]
    trend: str | None
    top_heading: str
    top: tuple[Pick, ...]
    notes: tuple[str, ...]
    hint: str


@dataclass(frozen=True)
class BriefPost:
    """``thread`` is one tuple of categories per thread message; ``full_file`` (name, Markdown)
    rides on the last thread message when some papers are only in it."""

    parent: BriefParent
    thread: tuple[tuple[CategoryBrief, ...], ...]
    also_label: str
    more_template: str
    interest_template: str
    full_file: tuple[str, bytes] | None

    def interest_line(self, pick: Pick) -> str:
        return self.interest_template.format(interests=", ".join(pick.interests))

    def more_line(self, category: CategoryBrief) -> str:
        name = self.full_file[0] if self.full_file else ""
        return self.more_template.format(count=category.more, file=name)

    def reading_words(self) -> int:
        """Words a reader reads: everything but the compact title lists (skimmed, not read)."""
        parent = self.parent
        text = [parent.title, parent.date, parent.total, parent.produced_by, parent.chart_title, parent.trend or ""]
        text += [parent.top_heading, *parent.notes, parent.hint]
        text += [f"{name} {count}" for name, count in parent.counts]
        picks = [*parent.top, *(p for c in self.categories() for p in c.picks)]
        text += [f"{pick.paper.title} {pick.tldr}" for pick in picks]
        text += [self.interest_line(pick) for pick in picks if pick.interests]
        text += [pick.category for pick in parent.top]
        for category in self.categories():
            text += [f"{category.name} {category.count} {category.summary}"]
            text += [self.also_label] if category.rest else []
            text += [self.more_line(category)] if category.more else []
        return sum(len(piece.split()) for piece in text)

    def categories(self) -> list[CategoryBrief]:
        return [category for group in self.thread for category in group]

    def reachable(self) -> set[str]:
        """arXiv ids a reader reaches from the post without the attached file."""
        ids = {pick.paper.arxiv_id for pick in self.parent.top}
        for category in self.categories():
            ids |= {pick.paper.arxiv_id for pick in category.picks} | {ref.arxiv_id for ref in category.rest}
        return ids

    def picks_per_category(self) -> dict[str, int]:
        """Papers of each category shown with their TL;DR: its thread picks and its top picks."""
        counts = {category.name: len(category.picks) for category in self.categories()}
        for pick in self.parent.top:
            counts[pick.category] = counts.get(pick.category, 0) + 1
        return counts


def brief_post(digest: Digest, *, trends: Sequence[CategoryTrend] = (), budget: PostBudget) -> BriefPost:
    """The brief post of ``digest`` (a channel's view, its interests already in ``ranks``)."""
    ranks = ranked_for(digest)
    order = {rank.arxiv_id: place for place, rank in enumerate(ranks)}
    marks = {rank.arxiv_id: tuple(matched_interests(rank)) for rank in ranks}
    category_of = {p.arxiv_id: s.category.name for s in digest.sections for p in s.papers}
    papers = {paper.arxiv_id: paper for paper in digest.papers}

    def pick(paper_id: str) -> Pick:
        paper = papers[paper_id]
        tldr = digest.tldrs.get(paper_id) or paper.title
        return Pick(paper_ref(paper), tldr, category_of[paper_id], marks.get(paper_id, ()))

    top = tuple(pick(rank.arxiv_id) for rank in ranks[:TOP_PICKS])
    parent = _parent(digest, trends, top)
    shown = {p.paper.arxiv_id for p in top}
    ranked_sections = [
        (s, sorted((p for p in s.papers if p.arxiv_id not in shown), key=_by(order))) for s in digest.sections
    ]
    file = (f"digest-{digest.date.isoformat()}.md", render_digest(digest).encode())
    summaries = {s.category.slug: category_summary(s, digest.language) for s, _ in ranked_sections}
    headings = (f"{s.category.name} {len(s.papers)} {summaries[s.category.slug]}" for s, _ in ranked_sections)
    words_left = READING_WORDS - _words(parent) - sum(len(heading.split()) for heading in headings)
    for _ in range(FITTING_ROUNDS):
        categories = _with_picks(ranked_sections, summaries, pick, words_left)
        post = _laid_out(parent, categories, budget=budget, language=digest.language, file=file)
        over = post.reading_words() - READING_WORDS
        if over <= 0:
            break
        words_left = sum(_cost(p) for c in categories for p in c.picks) - over
    return post


def _laid_out(
    parent: BriefParent, categories: list[CategoryBrief], *, budget: PostBudget, language: str, file: tuple[str, bytes]
) -> BriefPost:
    categories = _fit_lists(categories, budget.characters - _visible(parent, budget))
    thread = _pack(categories, budget, slots=budget.messages - 1)
    if any(c.more for group in thread for c in group) and budget.file_is_message:
        thread = _pack(categories, budget, slots=budget.messages - 2)
    needs_file = any(c.more for group in thread for c in group)
    return BriefPost(
        parent=parent,
        thread=thread,
        also_label=phrase("brief.also", language),
        more_template=phrase("brief.more", language, count="{count}", file="{file}"),
        interest_template=phrase("brief.interest", language, interests="{interests}"),
        full_file=file if needs_file else None,
    )


def _by(order: dict[str, int]) -> Callable[[Paper], int]:
    return lambda paper: order.get(paper.arxiv_id, len(order))


def _parent(digest: Digest, trends: Sequence[CategoryTrend], top: tuple[Pick, ...]) -> BriefParent:
    labels, language = labels_for(digest.language), digest.language
    return BriefParent(
        title=labels.title,
        date=digest.date.isoformat(),
        total=labels.count(len(digest.papers)),
        produced_by=produced_by(digest.backend, labels),
        chart_title=phrase("brief.chart", language),
        chart_alt=labels.chart_alt,
        counts=tuple((s.category.name, len(s.papers)) for s in digest.sections),
        trend=trend_line(trends[0], language) if trends else None,
        top_heading=phrase("brief.top", language, count=len(top)),
        top=top,
        notes=tuple(labels.notes(digest.notes)),
        hint=phrase("brief.hint", language),
    )


def _words(parent: BriefParent) -> int:
    return BriefPost(parent, (), "", "", "", None).reading_words()


def category_summary(section: CategorySection, language: str) -> str:
    """Two or three grounded sentences: the category's main threads and its outlook's opening.

    The extractive back end's themes read "theme — N papers, e.g. …": their names become one
    sentence, and only the outlook's first sentence is kept (the rest points at key facts and
    sources this post does not show). A model's summary gives its first theme and the first two
    sentences of its outlook.
    """
    summary = section.summary
    outlook = split_sentences(summary.outlook)
    if summary.backend is Backend.LLM:
        return " ".join([*summary.main_themes[:1], *outlook[:2]]).strip()
    names = [theme.split(" — ", 1)[0] for theme in summary.main_themes if " — " in theme][:THEMES_NAMED]
    lead = [phrase("brief.threads", language, themes=", ".join(names))] if names else []
    return " ".join([*outlook[:1], *lead]).strip()


def _with_picks(
    sections: list[tuple[CategorySection, list[Paper]]],
    summaries: dict[str, str],
    pick: Callable[[str], Pick],
    words_left: int,
) -> list[CategoryBrief]:
    """Round-robin picks, largest category first, while the reading budget lasts: every category
    gets one, then a second, then a third (:data:`PICKS_MIN`) before any gets a fourth, up to
    :data:`PICKS_MAX`. A category whose next pick does not fit stops there, so its picks stay
    its best papers in rank order."""
    chosen: dict[str, list[Pick]] = {s.category.slug: [] for s, _ in sections}
    stopped: set[str] = set()
    by_size = sorted(sections, key=lambda item: -len(item[1]))
    for round_ in range(PICKS_MAX):
        for section, ranked in by_size:
            slug = section.category.slug
            if round_ >= len(ranked) or slug in stopped:
                continue
            candidate = pick(ranked[round_].arxiv_id)
            cost = _cost(candidate)
            if round_ and cost > words_left:
                stopped.add(slug)
                continue
            chosen[slug].append(candidate)
            words_left -= cost
    result = []
    for section, ranked in sections:
        picks = tuple(chosen[section.category.slug])
        rest = tuple(paper_ref(p) for p in ranked[len(picks) :])
        result.append(
            CategoryBrief(section.category.name, len(section.papers), summaries[section.category.slug], picks, rest)
        )
    return result


def _cost(pick: Pick) -> int:
    """Words a pick adds to the reading time."""
    return len(pick.paper.title.split()) + len(pick.tldr.split())


def _visible(item: BriefParent | CategoryBrief, budget: PostBudget, *, raw: bool = False) -> int:
    """Characters a reader sees (``raw``: with link markup, what a message limit counts)."""
    link = budget.link_markup if raw else 0
    if isinstance(item, BriefParent):
        fixed = [item.title, item.date, item.total, item.produced_by, item.trend or "", item.top_heading, item.hint]
        fixed += [item.chart_title, *item.notes, *(f" ({pick.category})" for pick in item.top)]
        counts = sum(len(name) + 6 for name, _ in item.counts)
        return sum(map(len, fixed)) + counts + _picks_size(item.top, link)
    lists = sum(len(ref.title) + LIST_LINE + link for ref in item.rest) + (80 if item.more else 0)
    return len(item.name) + 8 + len(item.summary) + _picks_size(item.picks, link) + lists


def _picks_size(picks: Sequence[Pick], link: int) -> int:
    return sum(len(p.paper.title) + len(p.tldr) + LIST_LINE + link + sum(map(len, p.interests)) for p in picks)


def _fit_lists(categories: list[CategoryBrief], characters: int) -> list[CategoryBrief]:
    """Title lists within the post's character budget: the longest lists give way first."""
    plain = PostBudget(messages=0, characters=0, message_characters=0, link_markup=0)
    total = sum(_visible(c, plain) for c in categories)
    for category in sorted(categories, key=lambda c: -len(c.rest)):
        if total <= characters:
            break
        if category.rest:
            total -= _visible(category, plain) - _visible(_folded(category), plain)
            categories = [_folded(c) if c is category else c for c in categories]
    return categories


def _folded(category: CategoryBrief) -> CategoryBrief:
    return replace(category, rest=(), more=category.more + len(category.rest))


def _pack(categories: list[CategoryBrief], budget: PostBudget, *, slots: int) -> tuple[tuple[CategoryBrief, ...], ...]:
    """At most ``slots`` thread messages: the two groups with the fewest papers share a message
    until the count fits (each category keeps its heading), in the digest's order. A message
    over the platform's limit gives its longest title list to the attached file."""
    groups = [[_fitting(c, budget)] for c in categories]

    def size(group: list[CategoryBrief]) -> int:
        return sum(_visible(c, budget, raw=True) for c in group)

    while len(groups) > max(slots, 1):
        first, second = sorted(range(len(groups)), key=lambda i: sum(c.count for c in groups[i]))[:2]
        low, high = sorted((first, second))
        merged = groups[low] + groups[high]
        while size(merged) > budget.message_characters and any(c.rest for c in merged):
            widest = max(merged, key=lambda c: len(c.rest))
            merged = [_folded(c) if c is widest else c for c in merged]
        groups[low] = merged
        del groups[high]
    return tuple(tuple(group) for group in groups)


def _fitting(category: CategoryBrief, budget: PostBudget) -> CategoryBrief:
    if _visible(category, budget, raw=True) > budget.message_characters:
        return _folded(category)
    return category
