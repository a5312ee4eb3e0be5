"""``digestbot run`` hands freed heap pages back to the system and keeps garbage collections short
(``app/memory.py``).

How much it saves over a month is a figure, printed by ``benchmarks/memory_growth.py`` and
judged by ``benchmarks/soak.py``; here are the behaviours it rests on.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from collections.abc import Iterator

import pytest

from digestbot.app.memory import (
    release_free_memory,
    release_memory_when_idle,
    settle_heap,
    share_malloc_arenas,
)


def test_the_pages_of_blocks_freed_below_a_live_one_are_given_back() -> None:
    # The bot's platforms (Debian, the python:3.11-slim image) use glibc: False would mean no malloc_trim.
    blocks = [bytearray(64 * 1024) for _ in range(256)]  # 16 MB on the heap (under the mmap threshold)
    pinned = blocks.pop()  # the newest block keeps the heap's top: malloc alone would keep the rest
    blocks.clear()
    assert release_free_memory()
    assert len(pinned) == 64 * 1024


class Node:
    """A reference cycle's member: only the cyclic collector can free it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def thawed_afterwards() -> Iterator[None]:
    """Settling freezes everything this test process holds; later tests expect a plain collector."""
    yield
    gc.unfreeze()


def test_settling_collects_the_work_s_garbage_then_freezes_the_survivors(thawed_afterwards: None) -> None:
    garbage, survivor = Node(), Node()
    collected = weakref.ref(garbage)
    del garbage
    settle_heap()
    assert collected() is None  # collected before the freeze, not kept forever by it
    assert gc.get_freeze_count() > 0 and not any(o is survivor for o in gc.get_objects())  # no longer walked


def test_garbage_made_after_settling_is_still_collected(thawed_afterwards: None) -> None:
    settle_heap()
    later = Node()
    collected = weakref.ref(later)
    del later
    gc.collect()
    assert collected() is None


def releases_for(cpu_readings: list[float]) -> list[str]:
    """Run the idle releaser over these readings of the process's CPU time (one per check);
    the threads it released in."""
    threads: list[str] = []
    readings = iter(cpu_readings)

    def release() -> bool:
        threads.append(threading.current_thread().name)
        return True

    def cpu_time() -> float:
        reading = next(readings, None)
        if reading is None:
            raise asyncio.CancelledError  # the readings are over: so is the run
        return reading

    async def scenario() -> None:
        task = asyncio.create_task(release_memory_when_idle(check_every=0.001, cpu_time=cpu_time, release=release))
        await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled()

    asyncio.run(scenario())
    return threads


def test_memory_is_released_once_the_process_goes_quiet_after_work() -> None:
    busy_then_quiet = [0.0, 0.2, 0.4, 0.6, 0.6, 0.6, 0.6]  # 0.6 s of CPU, then nothing
    threads = releases_for(busy_then_quiet)
    assert len(threads) == 1  # once, not at every quiet check after it
    assert threads[0].startswith("digestbot-cpu")  # off the event loop, in the CPU worker


def test_no_release_while_the_work_goes_on_or_when_there_was_none() -> None:
    assert releases_for([0.0, 0.2, 0.4, 0.6, 0.8, 1.0]) == []  # busy throughout
    assert releases_for([0.0, 0.0, 0.00001, 0.00002, 0.00002, 0.00003]) == []  # an idle bot's heartbeat


def test_threads_share_two_arenas_unless_the_operator_chose(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert share_malloc_arenas()
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")  # glibc read it at start; ours must not override it
    assert not share_malloc_arenas()
