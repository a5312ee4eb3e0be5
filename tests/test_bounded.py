import asyncio

from digestbot.summarizer.bounded import BoundedMap, is_held


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_least_recently_used_entry_leaves_first() -> None:
    entries: BoundedMap[str, int] = BoundedMap(max_items=2)
    entries["a"] = 1
    entries["b"] = 2
    assert entries["a"] == 1  # "a" is now the most recently used
    entries["c"] = 3

    assert dict(entries) == {"a": 1, "c": 3}


def test_entries_untouched_for_the_ttl_are_forgotten() -> None:
    clock = Clock()
    entries: BoundedMap[str, int] = BoundedMap(max_items=10, ttl_seconds=60, clock=clock)
    entries["old"] = 1
    clock.now = 30
    entries["new"] = 2
    clock.now = 61

    assert "old" not in entries
    assert entries.get("new") == 2
    assert len(entries) == 1


def test_entries_in_use_are_never_dropped() -> None:
    async def scenario() -> None:
        locks: BoundedMap[str, asyncio.Lock] = BoundedMap(max_items=1, in_use=is_held)
        held = locks.get_or_create("busy", asyncio.Lock)
        async with held:
            locks.get_or_create("other", asyncio.Lock)
            locks.get_or_create("third", asyncio.Lock)
            assert list(locks) == ["busy", "third"]  # "other" left; the held lock stayed
            assert locks.get_or_create("busy", asyncio.Lock) is held
        locks.get_or_create("fourth", asyncio.Lock)
        assert list(locks) == ["fourth"]

    asyncio.run(scenario())


def test_a_million_keys_leave_a_bounded_map() -> None:
    entries: BoundedMap[int, int] = BoundedMap(max_items=100)
    for key in range(1_000_000):
        entries[key] = key
    assert len(entries) == 100
    assert min(entries) == 999_900
