"""A fake chat platform in a SQLite file, and a :class:`Transport` that posts to it.

Because the "platform" is a file, a bot running in a subprocess posts to it and the test reads
what arrived — which is what the kill/restart and two-instance tests need. The transport can
be told to die for real (SIGKILL itself) on its Nth send, before or after the message lands:
"after" leaves the bot not knowing whether the parent went out (``find_sent`` must find it),
"before" kills it between the parent and the thread replies.

In-process use::

    platform = FakePlatform(tmp_path / "platform.db")
    transport = MemoryTransport(platform)

In a subprocess (``digestbot run``/``post``), :func:`register` adds the platform ``fake`` and
the environment configures it: ``FAKE_PLATFORM_FILE`` (required), ``FAKE_PLATFORM_CRASH``
(``after:1`` or ``before:3``), ``FAKE_PLATFORM_REFUSE`` (comma-separated channel ids that fail
permanently, like a channel the bot was removed from).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic_settings import SettingsConfigDict

from digestbot.bot.config import ConfigError, PlatformSettings
from digestbot.bot.layout.markdown import render_section
from digestbot.bot.ports import BotServices, ChatPlatform, OutgoingMessage, Outlet, TransportError
from digestbot.summarizer.models import Digest, note_text

NAME = "fake"


@dataclass(frozen=True)
class Posted:
    id: str
    channel_id: str
    thread_id: str | None
    idempotency_key: str
    text: str
    has_attachment: bool
    posted_at: dt.datetime


class FakePlatform:
    """The platform's side: every message ever posted, shared by all processes using the file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with self._connect() as connection:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY AUTOINCREMENT, channel_id TEXT,"
                " thread_id TEXT, idempotency_key TEXT, text TEXT, has_attachment INTEGER, posted_at TEXT)"
            )

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        return connection

    def post(self, channel_id: str, message: OutgoingMessage, *, thread_id: str | None, key: str) -> str:
        with self._connect() as connection:
            cursor = connection.execute(
                "INSERT INTO messages (channel_id, thread_id, idempotency_key, text, has_attachment, posted_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    channel_id,
                    thread_id,
                    key,
                    message.text,
                    message.attachment is not None,
                    dt.datetime.now(dt.UTC).isoformat(),
                ),
            )
            return str(cursor.lastrowid)

    def messages(self, channel_id: str | None = None) -> list[Posted]:
        query = "SELECT * FROM messages" + (" WHERE channel_id = ?" if channel_id else "") + " ORDER BY id"
        with self._connect() as connection:
            rows = connection.execute(query, (channel_id,) if channel_id else ()).fetchall()
        return [
            Posted(
                id=str(row[0]),
                channel_id=row[1],
                thread_id=row[2],
                idempotency_key=row[3],
                text=row[4],
                has_attachment=bool(row[5]),
                posted_at=dt.datetime.fromisoformat(row[6]),
            )
            for row in rows
        ]

    def parents(self, channel_id: str) -> list[Posted]:
        return [m for m in self.messages(channel_id) if m.thread_id is None]

    def replies(self, channel_id: str, parent_id: str) -> list[Posted]:
        return [m for m in self.messages(channel_id) if m.thread_id == parent_id]


def render_digest(
    digest: Digest, chart_png: bytes, *, detail: str = "full", trends: Sequence[object] = ()
) -> Sequence[OutgoingMessage]:
    """The fake platform's layout: a parent (title, counts, the ids of the top three picks and the
    detail asked for, with the chart attached) and one thread reply per category, whatever the
    detail (the real platforms' brief layouts are tested against their own fakes)."""
    counts = ", ".join(f"{name}: {count}" for name, count in digest.counts.items())
    notes = "".join(f"\n{note_text(note, digest.language)}" for note in digest.notes)
    picks = " ".join(rank.arxiv_id for rank in digest.ranks[:3])
    parent = OutgoingMessage(
        text=f"Digest {digest.date.isoformat()} ({digest.language}): {len(digest.papers)} papers. {counts}"
        f"\nTop picks: {picks}\nDetail: {detail}{notes}",
        payload={"kind": "parent", "date": digest.date.isoformat()},
        attachment=(f"digest-{digest.date.isoformat()}.png", chart_png),
    )
    replies = [
        OutgoingMessage(
            text="\n".join(render_section(section, digest.language)),
            payload={"kind": "section", "slug": section.category.slug},
        )
        for section in digest.sections
    ]
    return [parent, *replies]


class MemoryTransport:
    """A :class:`~digestbot.bot.ports.Transport` over :class:`FakePlatform` (its digests are laid
    out by :func:`render_digest`)."""

    platform = NAME
    min_send_interval = 0.0  # a test double: no platform rate limit to respect

    def __init__(
        self,
        platform: FakePlatform,
        *,
        crash: tuple[str, int] | None = None,
        crash_once: Path | None = None,
        refuse: Collection[str] = (),
    ) -> None:
        """``crash_once``: a marker file; only the first process of several to reach ``crash`` dies."""
        self.fake = platform
        self.crash = crash
        self.crash_once = crash_once
        self.refuse = set(refuse)
        self.sends = 0
        self.lookups: list[tuple[str, str]] = []

    async def send(
        self, channel_id: str, message: OutgoingMessage, *, thread_id: str | None, idempotency_key: str
    ) -> str:
        if channel_id in self.refuse:
            raise TransportError(f"{NAME}:{channel_id}: not_in_channel", permanent=True)
        self.sends += 1
        self._maybe_crash("before")
        posted = self.fake.post(channel_id, message, thread_id=thread_id, key=idempotency_key)
        self._maybe_crash("after")
        return posted

    async def ensure_attachment(
        self, channel_id: str, message: OutgoingMessage, *, message_id: str, thread_id: str | None
    ) -> None:
        return None  # the file is part of the post

    async def close(self) -> None:
        return None

    async def find_sent(self, channel_id: str, idempotency_key: str, *, since: dt.datetime) -> str | None:
        self.lookups.append((channel_id, idempotency_key))
        for message in self.fake.messages(channel_id):
            if message.idempotency_key == idempotency_key and message.posted_at >= since:
                return message.id
        return None

    def _maybe_crash(self, when: str) -> None:
        if self.crash != (when, self.sends):
            return
        if self.crash_once is not None:
            try:
                self.crash_once.touch(exist_ok=False)
            except FileExistsError:  # another instance has died here already
                return
        os.kill(os.getpid(), signal.SIGKILL)


class FakeAdapter:
    """The :class:`~digestbot.bot.ports.ChatAdapter` for ``digestbot run``: no inbound events."""

    platform = NAME

    def __init__(self, transport: MemoryTransport) -> None:
        self.transport = transport

    def install_routes(self, app: Any) -> None:
        return None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class FakeSettings(PlatformSettings):
    """``FAKE_PLATFORM_FILE`` (the shared message store) configures it; ``FAKE_PLATFORM_CRASH``
    (``before:N``/``after:N``) kills the process around the N-th send; ``FAKE_PLATFORM_REFUSE``
    lists channels that refuse posts permanently; with ``FAKE_PLATFORM_CRASH_ONCE`` (a marker
    file) only the first of several processes to reach the crash point dies."""

    model_config = SettingsConfigDict(env_prefix="FAKE_PLATFORM_")

    file: Path | None = None
    crash: str = ""
    crash_once: Path | None = None
    refuse: str = ""

    def is_set(self) -> bool:
        return self.file is not None


def create_transport(settings: FakeSettings) -> MemoryTransport:
    when, _, count = settings.crash.partition(":")
    if settings.file is None:
        raise ConfigError("FAKE_PLATFORM_FILE is not set.")
    return MemoryTransport(
        FakePlatform(settings.file),
        crash=(when, int(count)) if settings.crash else None,
        crash_once=settings.crash_once,
        refuse=[c for c in settings.refuse.split(",") if c],
    )


def create_adapter(settings: FakeSettings, services: BotServices) -> FakeAdapter:
    return FakeAdapter(create_transport(settings))


PLATFORM = ChatPlatform(
    name=NAME,
    settings=FakeSettings,
    create_adapter=create_adapter,
    create_transport=create_transport,
    render_digest=render_digest,
)


def outlet(transport: MemoryTransport) -> Outlet:
    """``transport`` with the fake platform's layout, as ``digestbot run`` registers a platform."""
    return Outlet(transport, render_digest)


def register() -> None:
    """Make ``fake`` a platform, configured when FAKE_PLATFORM_FILE is set."""
    from digestbot.app.platforms import register_platform

    register_platform(NAME, __name__)


def cli_command(*args: str) -> list[str]:
    """The argv of a ``digestbot`` subprocess that knows the fake platform."""
    program = f"import {__name__} as fake; fake.register(); from digestbot.app.cli import main; main()"
    return [sys.executable, "-c", program, *args]


def dump(platform: FakePlatform) -> str:
    """Everything posted, for assertion messages."""
    return json.dumps([(m.channel_id, m.thread_id, m.idempotency_key) for m in platform.messages()])
