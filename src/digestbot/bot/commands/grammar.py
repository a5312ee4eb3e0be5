"""The ``/digest`` command grammar, one parser for every platform.

Slack hands us the text after ``/digest``, Discord hands us options that adapters join into
the same text, the console reads a line: all of them end up here, so a command means the same
thing everywhere and its errors read the same everywhere.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from digestbot.bot.config import parse_time_of_day, parse_timezone
from digestbot.summarizer.ranking import parse_interests
from digestbot.summarizer.sources.calendar import out_of_range_reason
from digestbot.summarizer.taxonomy import Taxonomy

MAX_QUERY_CHARS = 300
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SAFE_ECHO = re.compile(r"[^\w .,:/+\-]")
# How much of each paper a channel's daily post shows: top picks and compact lists, or every entry.
DETAIL_LEVELS = ("brief", "full")
CLEAR_INTERESTS = {"none", "clear", "-"}


class CommandError(ValueError):
    """A command the user mistyped; the message says what was wrong and what would work."""


@dataclass(frozen=True)
class DigestCommand:
    """``/digest [category] [YYYY-MM-DD]`` — today's (or a date's) digest, maybe one category."""

    category: str | None = None
    date: dt.date | None = None


@dataclass(frozen=True)
class PaperCommand:
    """``/digest paper <id|url|title words>``."""

    query: str


@dataclass(frozen=True)
class SearchCommand:
    words: str


@dataclass(frozen=True)
class AskCommand:
    """``/digest ask <id> <question>`` — a question about one paper outside a thread."""

    arxiv_ref: str
    question: str


@dataclass(frozen=True)
class CategoriesCommand:
    pass


@dataclass(frozen=True)
class HelpCommand:
    pass


@dataclass(frozen=True)
class SubscribeCommand:
    """``/digest subscribe [HH:MM] [timezone] [categories…] [lang:xx] [detail:brief|full]``;
    unset parts keep defaults."""

    time: dt.time | None = None
    timezone: str | None = None
    categories: tuple[str, ...] = field(default_factory=tuple)
    language: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class InterestsCommand:
    """``/digest interests <phrases, comma-separated>`` (``none`` clears; no phrases: show them)."""

    phrases: tuple[str, ...] | None = None


@dataclass(frozen=True)
class UnsubscribeCommand:
    pass


@dataclass(frozen=True)
class SettingsCommand:
    pass


Command = (
    DigestCommand
    | PaperCommand
    | SearchCommand
    | AskCommand
    | CategoriesCommand
    | HelpCommand
    | SubscribeCommand
    | UnsubscribeCommand
    | SettingsCommand
    | InterestsCommand
)

# Commands that change a channel's configuration; adapters check the member's rights first.
ADMIN_COMMANDS = (SubscribeCommand, UnsubscribeCommand, InterestsCommand)


def changes_channel(command: Command) -> bool:
    """Whether ``command`` changes the channel's configuration (``/digest interests`` with no
    phrases only shows them, which every member may)."""
    if isinstance(command, InterestsCommand) and command.phrases is None:
        return False
    return isinstance(command, ADMIN_COMMANDS)


# Commands whose answers only the asker sees (their replies carry ``ephemeral=True`` too).
ASKER_ONLY_COMMANDS = (HelpCommand, CategoriesCommand, SearchCommand, SettingsCommand)


def answers_privately(command: Command) -> bool:
    """Whether only the asker sees the answer; a platform that must choose before the answer
    exists (Discord's deferral) asks this. ``/digest interests`` with no phrases only shows them."""
    if isinstance(command, InterestsCommand):
        return command.phrases is None
    return isinstance(command, ASKER_ONLY_COMMANDS)


HELP_TEXT = """\
Paper Digest Bot — today's new AI papers from arXiv, by category.

/digest                         today's digest, all categories
/digest <category> [date]       one category, e.g. /digest llm or /digest cv 2026-06-26
/digest paper <id|url|title>    one paper's summary, e.g. /digest paper 2409.14674
/digest ask <id> <question>     a question about one paper
/digest search <words>          search every stored digest
/digest categories              the categories and what belongs in each
/digest subscribe [HH:MM] [timezone] [categories…] [lang:xx] [detail:brief|full]
                                post the digest in this channel every announcement day
/digest interests <phrases>     raise papers on these topics into the top picks,
                                e.g. /digest interests speech recognition, speculative decoding
/digest unsubscribe             stop the daily post here
/digest settings                this channel's subscription
/digest help                    this text

Reply in a digest's thread to ask about its papers."""


def echo(text: str, limit: int = 40) -> str:
    """User input repeated in an error message, made inert (no markup, no mentions, short)."""
    cleaned = _SAFE_ECHO.sub("", text)[:limit]
    return cleaned or "?"


def parse_date(text: str, *, now: dt.datetime | None = None) -> dt.date:
    """A date arXiv can have announced by ``now`` (default: the current time) or is about to
    announce; anything else (``0001-01-01``, ``9999-12-31``) is a :class:`CommandError`."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"'{echo(text)}' is not a date; use YYYY-MM-DD, e.g. 2026-06-26.") from error
    reason = out_of_range_reason(day, now=now or dt.datetime.now(dt.UTC))
    if reason is not None:
        raise CommandError(f"{reason}.")
    return day


def parse_detail(text: str) -> str:
    """``brief`` or ``full``: how much of the digest a channel's daily post shows."""
    detail = text.strip().lower()
    if detail not in DETAIL_LEVELS:
        raise CommandError(f"'{echo(text)}' is not a detail level; use detail:brief (the default) or detail:full.")
    return detail


def _parse_interests(remainder: str) -> InterestsCommand:
    if not remainder:
        return InterestsCommand()
    if remainder.lower() in CLEAR_INTERESTS:
        return InterestsCommand(phrases=())
    try:
        return InterestsCommand(phrases=parse_interests(_bounded(remainder, "list of interests")))
    except ValueError as error:
        raise CommandError(f"Cannot set interests: {error}") from None


def parse_command(text: str, taxonomy: Taxonomy) -> Command:
    """Parse what follows ``/digest``; raise :class:`CommandError` with a helpful message."""
    words = text.strip().split()
    if not words:
        return DigestCommand()
    verb, rest = words[0].lower(), words[1:]
    remainder = " ".join(rest)
    if verb in {"help", "-h", "--help", "?"}:
        return HelpCommand()
    if verb in {"categories", "category", "cats"} and not rest:
        return CategoriesCommand()
    if verb == "paper":
        return PaperCommand(query=_required(remainder, "paper", "an arXiv id, URL or title words"))
    if verb == "search":
        return SearchCommand(words=_required(remainder, "search", "some words to search for"))
    if verb == "ask":
        if len(rest) < 2:
            raise CommandError("Usage: /digest ask <arXiv id> <question>, e.g. /digest ask 2409.14674 what GPU?")
        return AskCommand(arxiv_ref=rest[0], question=_bounded(" ".join(rest[1:]), "question"))
    if verb == "subscribe":
        return _parse_subscribe(rest, taxonomy)
    if verb == "unsubscribe":
        return UnsubscribeCommand()
    if verb == "settings":
        return SettingsCommand()
    if verb in {"interests", "interest"}:
        return _parse_interests(remainder)
    return _parse_digest(words, taxonomy)


def _required(value: str, verb: str, what: str) -> str:
    if not value:
        raise CommandError(f"/digest {verb} needs {what}.")
    return _bounded(value, verb)


def _bounded(value: str, what: str) -> str:
    if len(value) > MAX_QUERY_CHARS:
        raise CommandError(f"That {what} is {len(value)} characters long; the limit is {MAX_QUERY_CHARS}.")
    return value


def _parse_digest(words: list[str], taxonomy: Taxonomy) -> DigestCommand:
    day = None
    names = []
    for word in words:
        if _DATE.match(word):
            day = parse_date(word)
        else:
            names.append(word)
    if not names:
        return DigestCommand(date=day)
    return DigestCommand(category=resolve_category(" ".join(names), taxonomy), date=day)


def resolve_category(word: str, taxonomy: Taxonomy) -> str:
    """A slug for the user's word, or an error that suggests the closest categories."""
    category = taxonomy.resolve(word)
    if category is not None:
        return category.slug
    suggestions = taxonomy.suggest(word)
    hint = f" — did you mean `{suggestions[0]}`?" if suggestions else "."
    raise CommandError(f"Unknown category '{echo(word)}'{hint} Categories: {', '.join(taxonomy.slugs)}.")


def _parse_subscribe(words: list[str], taxonomy: Taxonomy) -> SubscribeCommand:
    time: dt.time | None = None
    zone: str | None = None
    language: str | None = None
    detail: str | None = None
    categories: list[str] = []
    for word in words:
        if ":" in word and word[0].isdigit():
            time = _time(word)
        elif word.lower().startswith("lang:"):
            language = word.split(":", 1)[1].lower()
            if not re.fullmatch(r"[a-z]{2,3}", language):
                raise CommandError(f"'{echo(word)}' is not a language; use e.g. lang:en or lang:ko.")
        elif word.lower().startswith("detail:"):
            detail = parse_detail(word.split(":", 1)[1])
        elif "/" in word or word.upper() == "UTC":
            zone = _zone(word)
        else:
            categories.append(resolve_category(word, taxonomy))
    return SubscribeCommand(time=time, timezone=zone, categories=tuple(categories), language=language, detail=detail)


def _time(text: str) -> dt.time:
    try:
        return parse_time_of_day(text)
    except ValueError as error:
        raise CommandError(str(error)) from None


def _zone(text: str) -> str:
    try:
        return parse_timezone(text).key
    except ValueError as error:
        raise CommandError(str(error)) from None


def subscribe_options(
    taxonomy: Taxonomy,
    *,
    time: str | None = None,
    timezone: str | None = None,
    categories: str | None = None,
    language: str | None = None,
    detail: str | None = None,
) -> SubscribeCommand:
    """``subscribe`` from separate options (Discord's command fields), checked by the same rules
    as typed ``/digest subscribe`` text; a field may hold what the grammar could not tell apart
    by its shape (a zone such as ``EST``)."""
    words = (categories or "").replace(",", " ").split()
    command = _parse_subscribe([*words, *([f"lang:{language.strip()}"] if language else [])], taxonomy)
    return SubscribeCommand(
        time=_time(time) if time else None,
        timezone=_zone(timezone) if timezone else None,
        categories=command.categories,
        language=command.language,
        detail=parse_detail(detail) if detail else None,
    )
