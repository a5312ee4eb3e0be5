"""Fair, bounded command handling, shared by every adapter: who may start work, and in what order.

One busy channel must not hold up the others. Slack posts about one message per second per
channel, so a channel asked for 40 digests has minutes of paced posting ahead of it; if those
commands held the process-wide work slots while they waited, a quiet channel's cached
``/digest cv`` would wait minutes too. So:

- every command passes :meth:`CommandGate.admit` first (before any work starts): token buckets
  per user and per channel, bounded in-flight counts per user, per channel and in all, and
  "already on its way" for the same digest asked twice in one channel while the first is
  still being answered. A refusal is one short, friendly line for the asker only;
- an admitted command that posts into the channel runs in that channel's serial queue
  (:meth:`Ticket.turn`): a channel's posts are made one command after another, each channel
  independently, so a channel only ever waits behind its own pacing;
- inside its turn, the computing part takes one of a few process-wide slots
  (:meth:`Ticket.working`), released before posting, so no global slot waits on a channel's pacing.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Self

from digestbot.bot.commands.grammar import Command, DigestCommand, PaperCommand
from digestbot.summarizer.bounded import BoundedMap

if TYPE_CHECKING:
    from types import TracebackType

    from digestbot.bot.config import Settings

MAX_KEYS = 50_000
"""Buckets remembered at most. A full bucket is the same as none, so forgetting the least
recently used key can only forgive a sender, and memory stays bounded however many users write."""


def try_again_in(seconds: float) -> str:
    """A friendly, coarse wait: people need "in a minute", not "in 37.2 s"."""
    whole = math.ceil(seconds)
    if whole <= 1:
        return "in a second"
    if whole < 60:
        return f"in {whole} seconds"
    minutes = math.ceil(whole / 60)
    return "in a minute" if minutes <= 1 else f"in about {minutes} minutes"


class TokenBuckets:
    """Token buckets by key: ``capacity`` tokens, refilled evenly over ``period`` seconds, so a
    key may burst up to ``capacity`` and then goes at the refill rate. Bounded (LRU) in keys."""

    def __init__(self, *, capacity: int, period: float, clock: Callable[[], float], max_keys: int = MAX_KEYS) -> None:
        self._capacity = float(max(1, capacity))
        self._refill_per_second = self._capacity / period
        self._clock = clock
        # A bucket untouched for a whole period is full again, the same as no bucket: forgetting
        # it then changes nothing, and keeps every user and channel of a workspace from piling up.
        self._buckets: BoundedMap[str, tuple[float, float]] = BoundedMap(
            max_items=max_keys, ttl_seconds=period, clock=clock
        )

    def wait_seconds(self, key: str) -> float:
        """0 if ``key`` may go now, else how long until it may."""
        tokens = self._tokens(key)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self._refill_per_second

    def take(self, key: str) -> None:
        self._buckets[key] = (self._tokens(key) - 1.0, self._clock())

    def _tokens(self, key: str) -> float:
        tokens, stamp = self._buckets.get(key, (self._capacity, self._clock()))
        return min(self._capacity, tokens + (self._clock() - stamp) * self._refill_per_second)


class FromSettings:
    """A frozen dataclass of limits whose fields are read from the settings of the same names
    (upper-cased in the environment); fields that are no setting keep their defaults."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**settings.model_dump(include=names))


@dataclass(frozen=True)
class CommandLimits(FromSettings):
    """Per-command limits; each is the setting of the same name."""

    commands_per_user_per_minute: int = 10
    commands_per_channel_per_minute: int = 30
    commands_in_flight_per_user: int = 3
    commands_in_flight_per_channel: int = 10
    commands_in_flight: int = 200
    commands_working: int = 8


@dataclass(frozen=True)
class Refusal:
    """Why a command was not started: one line for the asker only."""

    text: str


ON_ITS_WAY = "That digest is already on its way to this channel; it will appear here in a moment."


class CommandGate:
    """Admission, per-channel queues and the global work slots for every platform's commands.

    Keys are platform-qualified (``slack:U123``, ``slack:C456``) so platforms never share a bucket.
    All state is in memory: a command reaches one instance, and a restart forgets only limits.
    """

    def __init__(self, limits: CommandLimits | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits or CommandLimits()
        self._per_user = TokenBuckets(capacity=self.limits.commands_per_user_per_minute, period=60.0, clock=clock)
        self._per_channel = TokenBuckets(capacity=self.limits.commands_per_channel_per_minute, period=60.0, clock=clock)
        self._working = asyncio.Semaphore(self.limits.commands_working)
        self._counts: dict[str, int] = {}
        self._turns: dict[str, asyncio.Lock] = {}
        self._total = 0

    def admit(self, *, user_key: str, channel_key: str, command: Command | None = None) -> Ticket | Refusal:
        """A ticket (release it when the command is answered), or why not.

        While a command that posts a digest is in flight in a channel, the same request there
        is answered "already on its way" instead of building and posting it twice.
        """
        posts = _posted_by(command)
        work = f"work|{channel_key}|{posts}" if posts else None
        if work is not None and self._counts.get(work):
            return Refusal(ON_ITS_WAY)
        refusal = self._over_rate(user_key, channel_key) or self._over_in_flight(user_key, channel_key)
        if refusal is not None:
            return refusal
        self._per_user.take(user_key)
        self._per_channel.take(channel_key)
        keys = tuple(key for key in (f"user|{user_key}", f"channel|{channel_key}", work) if key is not None)
        for key in keys:
            self._counts[key] = self._counts.get(key, 0) + 1
        self._total += 1
        return Ticket(self, channel_key=channel_key, keys=keys, queued=isinstance(command, POSTING_COMMANDS))

    def in_flight(self) -> int:
        """Commands admitted and not yet answered (queued or running)."""
        return self._total

    def _over_rate(self, user_key: str, channel_key: str) -> Refusal | None:
        if wait := self._per_user.wait_seconds(user_key):
            return Refusal(f"You've sent a lot of commands in a short time — please try again {try_again_in(wait)}.")
        if wait := self._per_channel.wait_seconds(channel_key):
            return Refusal(
                f"This channel has sent a lot of commands in a short time — please try again {try_again_in(wait)}."
            )
        return None

    def _over_in_flight(self, user_key: str, channel_key: str) -> Refusal | None:
        limits = self.limits
        if self._counts.get(f"user|{user_key}", 0) >= limits.commands_in_flight_per_user:
            return Refusal("You already have a few requests being answered; please wait for those first.")
        if self._counts.get(f"channel|{channel_key}", 0) >= limits.commands_in_flight_per_channel:
            return Refusal("This channel has many requests waiting; please try again in a minute.")
        if self._total >= limits.commands_in_flight:
            return Refusal("I'm answering a lot of requests right now; please try again in a minute.")
        return None

    @asynccontextmanager
    async def working(self) -> AsyncIterator[None]:
        """One of the process-wide work slots, for computing only (never held while posting)."""
        async with self._working:
            yield

    def channel_turn(self, channel_key: str) -> asyncio.Lock:
        """The channel's queue: asyncio locks wake waiters first in, first out."""
        return self._turns.setdefault(channel_key, asyncio.Lock())

    def release(self, channel_key: str, keys: tuple[str, ...]) -> None:
        """Called once per ticket (by :meth:`Ticket.release`)."""
        for key in keys:
            left = self._counts.get(key, 0) - 1
            if left > 0:
                self._counts[key] = left
            else:
                self._counts.pop(key, None)
        self._total -= 1
        if f"channel|{channel_key}" not in self._counts:  # nobody queued: the lock may go
            self._turns.pop(channel_key, None)


POSTING_COMMANDS = (DigestCommand, PaperCommand)
"""Commands whose answer is posted into the channel, paced per channel: they wait their turn in
the channel's queue. The others are answered to the asker (help, search, settings…) and never
wait behind a channel's posts."""


def _posted_by(command: Command | None) -> str | None:
    """What a command will post to the channel, as a key; ``None`` for everything else."""
    if isinstance(command, DigestCommand):
        return f"digest:{command.category or '*'}:{command.date or 'latest'}"
    return None


class Ticket:
    """An admitted command: ``async with ticket`` releases its counts when the command is done."""

    def __init__(self, gate: CommandGate, *, channel_key: str, keys: tuple[str, ...], queued: bool) -> None:
        self._gate = gate
        self._channel_key = channel_key
        self._keys = keys
        self._queued = queued
        self._released = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.release()

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._gate.release(self._channel_key, self._keys)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """This command's place in its channel's queue (FIFO): one posting command of a channel
        at a time. Commands that do not post into the channel go straight through."""
        if not self._queued:
            yield
            return
        async with self._gate.channel_turn(self._channel_key):
            yield

    @asynccontextmanager
    async def working(self) -> AsyncIterator[None]:
        """One of the process-wide work slots, for the computing part only (never for posting)."""
        async with self._gate.working():
            yield
