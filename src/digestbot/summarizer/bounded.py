"""A dictionary that forgets: the one bound for every in-memory map keyed by user, channel or date.

A bot runs for months; a map keyed by whoever wrote to it (rate-limit buckets, per-key locks,
per-channel pacers, caches) grows with every new user, channel and day unless something
removes entries. :class:`BoundedMap` keeps at most ``max_items`` (least recently used leave
first) and, with ``ttl_seconds``, drops entries nobody touched for that long. Entries still in
use (a held lock, say) are never dropped: forgetting them would let a second holder in.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, MutableMapping
from typing import Protocol, TypeVar

_K = TypeVar("_K")
_V = TypeVar("_V")

CHANNELS_KEPT = 10_000
"""The bound of the maps keyed by channel (pacers, caches): far more than a workspace's busy ones."""


class _Lock(Protocol):
    def locked(self) -> bool: ...


def is_held(lock: _Lock) -> bool:
    """``in_use`` for maps of locks (asyncio or threading): a held lock must stay, or a second
    caller would get a fresh lock for the same key and both would run."""
    return lock.locked()


def _never_in_use(_: object) -> bool:
    return False


class BoundedMap(MutableMapping[_K, _V]):
    """An LRU (and optionally TTL) bounded mapping; reading or writing an entry renews it."""

    def __init__(
        self,
        *,
        max_items: int,
        ttl_seconds: float | None = None,
        in_use: Callable[[_V], bool] = _never_in_use,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        self.max_items = max_items
        self._ttl = ttl_seconds
        self._in_use = in_use
        self._clock = clock
        self._entries: OrderedDict[_K, tuple[_V, float]] = OrderedDict()

    def __getitem__(self, key: _K) -> _V:
        value, stamp = self._entries[key]
        if self._expired(value, stamp):
            del self._entries[key]
            raise KeyError(key)
        self._entries[key] = (value, self._clock())
        self._entries.move_to_end(key)
        return value

    def __setitem__(self, key: _K, value: _V) -> None:
        self._entries[key] = (value, self._clock())
        self._entries.move_to_end(key)
        self._trim()

    def __delitem__(self, key: _K) -> None:
        del self._entries[key]

    def __iter__(self) -> Iterator[_K]:
        self._trim()
        return iter(list(self._entries))

    def __len__(self) -> int:
        self._trim()
        return len(self._entries)

    def get_or_create(self, key: _K, create: Callable[[], _V]) -> _V:
        """The entry for ``key``, made by ``create()`` if missing or forgotten."""
        try:
            return self[key]
        except KeyError:
            value = self[key] = create()
            return value

    def _expired(self, value: _V, stamp: float) -> bool:
        return self._ttl is not None and self._clock() - stamp >= self._ttl and not self._in_use(value)

    def _trim(self) -> None:
        """Drop expired entries, then the least recently used beyond ``max_items``. Entries are
        kept in order of last use, so the scan stops at the first entry that must stay (entries
        in use are stepped over, so the map may exceed its bound while they are in use)."""
        now = self._clock()
        excess = len(self._entries) - self.max_items
        newest = next(reversed(self._entries), None)
        leaving = []
        for key, (value, stamp) in self._entries.items():
            stale = self._ttl is not None and now - stamp >= self._ttl
            if not stale and (excess <= 0 or key == newest):  # never evict what was just written
                break
            if not self._in_use(value):
                leaving.append(key)
                excess -= 1
        for key in leaving:
            del self._entries[key]
