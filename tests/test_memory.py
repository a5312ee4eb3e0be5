"""``digestbot run`` hands freed heap pages back to the system (``app/memory.py``).

How much it saves over a month is a figure, printed by ``benchmarks/memory_growth.py`` and
judged by ``benchmarks/soak.py``; here are the behaviours it rests on.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from digestbot.app.memory import (
    can_release_memory,
    release_free_memory,
    release_memory_when_idle,
    share_malloc_arenas,
)


def test_the_pages_of_blocks_freed_below_a_live_one_are_given_back() -> None:
    assert can_release_memory()  # the bot's platforms (Debian, the python:3.11-slim image) use glibc
    blocks = [bytearray(64 * 1024) for _ in range(256)]  # 16 MB on the heap (under the mmap threshold)
    pinned = blocks.pop()  # the newest block keeps the heap's top: malloc alone would keep the rest
    blocks.clear()
    assert release_free_memory()
    assert len(pinned) == 64 * 1024


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
