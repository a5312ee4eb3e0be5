"""Per-channel subscriptions: when, in which zone, on which days, which categories, which
language, how detailed a post, and which interests raise papers into the top picks.

A channel is identified by its key ``platform:channel_id`` (``slack:C0123``, ``discord:1234…``).

Default days are Monday to Friday. arXiv announces Sunday to Thursday at 20:00 US Eastern, so
the fresh papers arrive on the mornings of Monday to Friday in Europe, Africa and Asia, and
during Monday to Friday in the Americas; five posts a week for five announcements, and nothing
at the weekend. (An evening subscription in the Americas, after 21:00 Eastern, sees each
announcement the same evening and should use ``--days sun-thu``.)

Schedules are computed per local day by ``local_schedule`` (the scheduler's trigger and the
catch-up check use the same functions), so they agree on every instant, daylight-saving
transitions included.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from digestbot.bot.commands.grammar import InterestsCommand, SubscribeCommand, echo, parse_detail, resolve_category
from digestbot.bot.commands.replies import Reply, TextReply
from digestbot.bot.config import Settings, parse_time_of_day, parse_timezone
from digestbot.bot.scheduling import local_schedule
from digestbot.bot.scheduling.local_schedule import LocalDailyTrigger
from digestbot.bot.storage import Clock, utc_now
from digestbot.summarizer.io_pools import db_call
from digestbot.summarizer.ranking import parse_interests
from digestbot.summarizer.taxonomy import Taxonomy

if TYPE_CHECKING:
    from digestbot.bot.commands.handlers import Conversation

log = logging.getLogger(__name__)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_WEEKDAYS: tuple[int, ...] = (0, 1, 2, 3, 4)
_CHANNEL_KEY = re.compile(r"^([a-z][a-z0-9_]*):([\w.\-]{1,128})$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
T = TypeVar("T")


class SubscriptionError(ValueError):
    """A subscription setting is invalid; the message names the accepted forms."""


@dataclass(frozen=True)
class Subscription:
    platform: str
    channel_id: str
    time: dt.time
    timezone: str
    weekdays: tuple[int, ...] = DEFAULT_WEEKDAYS
    categories: tuple[str, ...] = ()
    language: str = "en"
    paused: bool = False
    paused_reason: str | None = None
    detail: str = "brief"
    interests: tuple[str, ...] = ()

    @property
    def channel_key(self) -> str:
        return f"{self.platform}:{self.channel_id}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def trigger(self) -> LocalDailyTrigger:
        """The scheduler's trigger: once per scheduled local day, whatever daylight saving does."""
        return LocalDailyTrigger(at=self.time, weekdays=self.weekdays, zone=self.zone)

    def next_fire(self, now: dt.datetime) -> dt.datetime:
        """The first scheduled instant at or after ``now`` (aware, in the subscription's zone)."""
        return local_schedule.next_fire(now, at=self.time, weekdays=self.weekdays, zone=self.zone)

    def last_fire(self, now: dt.datetime) -> dt.datetime:
        """The latest scheduled instant at or before ``now`` (aware, in the subscription's zone)."""
        return local_schedule.last_fire(now, at=self.time, weekdays=self.weekdays, zone=self.zone)

    def describe(self) -> str:
        categories = ", ".join(self.categories) if self.categories else "all categories"
        interests = f", interests: {', '.join(self.interests)}" if self.interests else ""
        return (
            f"{self.time:%H:%M} {self.timezone}, {format_weekdays(self.weekdays)}, {categories}, "
            f"language {self.language}, {self.detail} post{interests}"
        )


@dataclass(frozen=True)
class SubscriptionDefaults:
    """What a new subscription gets when the command leaves a part out (DIGEST_TIME etc.)."""

    time: dt.time = dt.time(9, 0)
    timezone: str = "UTC"
    language: str = "en"

    @classmethod
    def from_settings(cls, settings: Settings) -> SubscriptionDefaults:
        return cls(
            time=parse_time_of_day(settings.digest_time),
            timezone=parse_timezone(settings.digest_timezone).key,
            language=settings.digest_language,
        )


class SubscriptionStore(Protocol):
    """Where subscriptions live (``storage/subscriptions.py``). ``origin`` is env, chat or cli."""

    def get(self, platform: str, channel_id: str) -> Subscription | None: ...

    def active(self) -> list[Subscription]: ...

    def save(self, subscription: Subscription, *, origin: str) -> None: ...

    def deactivate(self, platform: str, channel_id: str) -> bool: ...

    def pause(self, platform: str, channel_id: str, reason: str) -> None: ...

    def seed(self, subscriptions: Sequence[Subscription]) -> list[str]: ...


def parse_channel_key(text: str) -> tuple[str, str]:
    """``slack:C0123`` -> ("slack", "C0123")."""
    match = _CHANNEL_KEY.match(text.strip())
    if not match:
        raise SubscriptionError(
            f"'{echo(text)}' is not a channel; use platform:channel_id, e.g. slack:C0123ABC or discord:1234567890."
        )
    return match.group(1), match.group(2)


def parse_weekdays(text: str) -> tuple[int, ...]:
    """``mon-fri``, ``sun-thu``, ``mon,wed,fri`` or ``daily``."""
    cleaned = text.strip().lower()
    if cleaned in {"daily", "all", "every"}:
        return tuple(range(7))
    days: set[int] = set()
    for part in cleaned.split(","):
        start, _, end = part.strip().partition("-")
        if start not in WEEKDAYS or (end and end not in WEEKDAYS):
            raise SubscriptionError(
                f"'{echo(text)}' is not a set of weekdays; use e.g. mon-fri, sun-thu, mon,wed,fri or daily."
            )
        first, last = WEEKDAYS.index(start), WEEKDAYS.index(end or start)
        span = (last - first) % 7
        days.update((first + offset) % 7 for offset in range(span + 1))
    return tuple(sorted(days))


def format_weekdays(days: Sequence[int]) -> str:
    if tuple(days) == DEFAULT_WEEKDAYS:
        return "Mon–Fri"
    if len(days) == 7:
        return "every day"
    return ",".join(WEEKDAYS[d].capitalize() for d in days)


def parse_language(text: str) -> str:
    if not _LANGUAGE.match(text):
        raise SubscriptionError(f"'{echo(text)}' is not a language code; use e.g. en, ko, de or pt-BR.")
    return text


def wanted_categories(subscriptions: Sequence[Subscription]) -> set[str] | None:
    """The categories some posting channel wants, or None when one wants all (or none subscribe).

    The LLM back end writes model summaries only for these (the rest stay extractive), since a
    digest is built once for every channel.
    """
    posting = [s for s in subscriptions if not s.paused]
    if not posting or any(not s.categories for s in posting):
        return None
    return {slug for s in posting for slug in s.categories}


def seeded_subscriptions(settings: Settings) -> list[Subscription]:
    """The channels of DIGEST_CHANNELS (comma-separated keys) with the DIGEST_* defaults."""
    defaults = SubscriptionDefaults.from_settings(settings)
    found = []
    for key in filter(None, (part.strip() for part in settings.digest_channels.split(","))):
        try:
            platform, channel_id = parse_channel_key(key)
        except SubscriptionError as error:
            raise SubscriptionError(f"DIGEST_CHANNELS: {error}") from None
        found.append(
            Subscription(
                platform=platform,
                channel_id=channel_id,
                time=defaults.time,
                timezone=defaults.timezone,
                language=defaults.language,
            )
        )
    return found


def _parsed(parse: Callable[[str], T], text: str) -> T:
    """Run a parser, reporting its ValueError (time, zone, category, …) as a SubscriptionError."""
    try:
        return parse(text)
    except ValueError as error:
        raise SubscriptionError(str(error)) from None


Watcher = Callable[[str, Subscription | None], None]
"""Told of each subscription change: the channel key and its new state (``None``: it ended)."""


class SubscriptionService:
    """``/digest subscribe|unsubscribe|settings`` and the CLI's ``subscriptions`` commands.

    ``watch`` registers the scheduler, which re-reads a channel's subscription when it changes.
    """

    def __init__(
        self,
        *,
        store: SubscriptionStore,
        taxonomy: Taxonomy,
        defaults: SubscriptionDefaults,
        clock: Clock = utc_now,
    ) -> None:
        self.store = store
        self.taxonomy = taxonomy
        self.defaults = defaults
        self.clock = clock
        self._watchers: list[Watcher] = []

    def watch(self, callback: Watcher) -> None:
        """Call ``callback(channel_key, subscription)`` after each change; ``None`` when it ended."""
        self._watchers.append(callback)

    def _changed(self, key: str, subscription: Subscription | None) -> None:
        for callback in self._watchers:
            callback(key, subscription)

    def _changed_to(self, current: Subscription | None, platform: str, channel_id: str, **changes: Any) -> Subscription:
        """``current`` (or a new subscription on the defaults) with the given changes; a change of
        ``None`` keeps the value. Subscribing again also resumes a paused subscription, in chat as
        on the command line."""
        base = current or Subscription(
            platform=platform,
            channel_id=channel_id,
            time=self.defaults.time,
            timezone=self.defaults.timezone,
            language=self.defaults.language,
        )
        kept = {name: value for name, value in changes.items() if value is not None}
        return replace(base, **kept, paused=False, paused_reason=None)

    # --- chat ---------------------------------------------------------------------------

    async def subscribe(self, command: SubscribeCommand, conversation: Conversation) -> Reply:
        current = await db_call(self.store.get, conversation.platform, conversation.channel_id)
        subscription = self._changed_to(
            current,
            conversation.platform,
            conversation.channel_id,
            time=command.time,
            timezone=command.timezone,
            categories=command.categories or None,
            language=command.language,
            detail=command.detail,
        )
        await db_call(self.store.save, subscription, origin="chat")
        self._changed(subscription.channel_key, subscription)
        verb = "Updated" if current else "Subscribed"
        return TextReply(f"{verb}: this channel gets the digest at {self.summary(subscription)}")

    async def interests(self, command: InterestsCommand, conversation: Conversation) -> Reply:
        """Set (or, with no phrases, show) the interests that raise papers into the top picks."""
        current = await db_call(self.store.get, conversation.platform, conversation.channel_id)
        if current is None:
            return TextReply(
                "This channel has no daily digest; /digest subscribe starts one, then /digest interests "
                "<phrases> sets its interests.",
                ephemeral=True,
            )
        if command.phrases is None:
            shown = ", ".join(current.interests) or "none"
            return TextReply(
                f"Interests: {shown}. Set them with /digest interests <phrases, comma-separated>; "
                "/digest interests none clears them.",
                ephemeral=True,
            )
        updated = replace(current, interests=command.phrases)
        await db_call(self.store.save, updated, origin="chat")
        self._changed(updated.channel_key, updated)
        if not command.phrases:
            return TextReply("Interests cleared: the top picks follow the day's ranking alone.")
        return TextReply(
            f"Interests set: {', '.join(command.phrases)}. Matching papers rise into the top picks and are marked."
        )

    async def unsubscribe(self, conversation: Conversation) -> Reply:
        if not await db_call(self.store.deactivate, conversation.platform, conversation.channel_id):
            return TextReply("This channel has no daily digest.", ephemeral=True)
        self._changed(conversation.channel_key, None)
        return TextReply("Unsubscribed: no more daily digests here. /digest subscribe brings them back.")

    async def settings(self, conversation: Conversation) -> Reply:
        subscription = await db_call(self.store.get, conversation.platform, conversation.channel_id)
        if subscription is None:
            return TextReply(
                "This channel has no daily digest; /digest subscribe [HH:MM] [timezone] [categories…] starts one.",
                ephemeral=True,
            )
        return TextReply(f"This channel gets the digest at {self.summary(subscription)}", ephemeral=True)

    def post_preferences(self, conversation: Conversation) -> tuple[str, tuple[str, ...]] | None:
        subscription = self.store.get(conversation.platform, conversation.channel_id)
        return (subscription.detail, subscription.interests) if subscription else None

    def summary(self, subscription: Subscription) -> str:
        """The schedule, and the next post in local time and UTC (or why it is paused)."""
        text = f"{subscription.describe()}."
        if subscription.paused:
            return f"{text} Paused: {subscription.paused_reason or 'after an error'} — subscribe again to resume."
        upcoming = subscription.next_fire(self.clock())
        return f"{text} Next post: {upcoming:%a %Y-%m-%d %H:%M} ({upcoming.astimezone(dt.UTC):%H:%M} UTC)."

    # --- command line -------------------------------------------------------------------

    def add(
        self,
        key: str,
        *,
        time: str | None = None,
        timezone: str | None = None,
        days: str | None = None,
        categories: str | None = None,
        language: str | None = None,
        detail: str | None = None,
        interests: str | None = None,
    ) -> Subscription:
        """Create or update a channel's subscription; every value is validated with a clear message."""
        platform, channel_id = parse_channel_key(key)
        subscription = self._changed_to(
            self.store.get(platform, channel_id),
            platform,
            channel_id,
            time=_parsed(parse_time_of_day, time) if time else None,
            timezone=_parsed(parse_timezone, timezone).key if timezone else None,
            weekdays=parse_weekdays(days) if days else None,
            categories=self._categories(categories) if categories is not None else None,
            language=parse_language(language) if language else None,
            detail=_parsed(parse_detail, detail) if detail else None,
            interests=_parsed(parse_interests, interests) if interests is not None else None,
        )
        self.store.save(subscription, origin="cli")
        self._changed(subscription.channel_key, subscription)
        return subscription

    def remove(self, key: str) -> bool:
        platform, channel_id = parse_channel_key(key)
        removed = self.store.deactivate(platform, channel_id)
        if removed:
            self._changed(key, None)
        return removed

    def list(self) -> list[Subscription]:
        return self.store.active()

    def seed(self, settings: Settings) -> None:
        """Subscribe DIGEST_CHANNELS that have no row yet; a channel that unsubscribed stays so."""
        for key in self.store.seed(seeded_subscriptions(settings)):
            log.info("subscribed %s from DIGEST_CHANNELS", key)

    def _categories(self, text: str) -> tuple[str, ...]:
        words = [word.strip() for word in text.split(",") if word.strip()]
        return tuple(_parsed(lambda word: resolve_category(word, self.taxonomy), word) for word in words)
