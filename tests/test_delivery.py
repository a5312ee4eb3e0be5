"""Exactly-once delivery: threads, resumption after unknown outcomes and real crashes, claims."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from digestbot.app.wiring import Bot, build_bot
from digestbot.bot.config import load_settings
from digestbot.bot.delivery.service import Holder, Outcome, idempotency_key
from digestbot.bot.ports import OutgoingMessage, TransportError
from digestbot.bot.storage.db import open_database
from digestbot.bot.storage.deliveries import DeliveryIntent, SqlDeliveries
from digestbot.bot.storage.threads import SqlThreadLinks
from digestbot.summarizer.models import Note
from tests.delivery_helpers import SAMPLE_DAY, SECTIONS, assert_posted_once, with_sample_digest
from tests.fakes.memory_transport import FakePlatform, MemoryTransport, outlet
from tests.helpers import offline_digest


@pytest.fixture
def platform(tmp_path: Path) -> FakePlatform:
    return FakePlatform(tmp_path / "platform.db")


def make_bot(database_url: str, transport: MemoryTransport, **kwargs: object) -> Bot:
    bot = build_bot(load_settings(digest_source="sample", database_url=database_url), **kwargs)  # type: ignore[arg-type]
    bot.outlets["fake"] = outlet(transport)
    return bot


async def test_parent_then_replies_in_its_thread_exactly_once(database_url: str, platform: FakePlatform) -> None:
    bot = make_bot(database_url, MemoryTransport(platform))
    result = await bot.delivery.deliver("fake", "c1", day=None, language="en")
    assert (result.outcome, result.digest_date, result.parts_sent, result.parts_total) == (
        Outcome.SENT,
        SAMPLE_DAY,
        1 + SECTIONS,
        1 + SECTIONS,
    )
    assert_posted_once(platform)
    assert platform.parents("c1")[0].has_attachment  # the chart goes with the parent
    again = await bot.delivery.deliver("fake", "c1", day=SAMPLE_DAY, language="en")
    assert again.outcome is Outcome.ALREADY_POSTED
    assert_posted_once(platform)
    # A follow-up question in the thread tomorrow, answered by another process, finds the digest.
    link = SqlThreadLinks(open_database(database_url)).lookup("fake", "c1", platform.parents("c1")[0].id)
    assert link is not None and link.digest_date == SAMPLE_DAY and len(link.arxiv_ids) == 261


async def test_a_channel_filter_posts_only_its_categories(tmp_path: Path, platform: FakePlatform) -> None:
    bot = make_bot(with_sample_digest(f"sqlite:///{tmp_path / 'bot.db'}"), MemoryTransport(platform))
    result = await bot.delivery.deliver("fake", "c2", day=None, language="en", categories=("llm", "cv"))
    assert result.parts_total == 3
    replies = platform.replies("c2", platform.parents("c2")[0].id)
    assert [m.text.splitlines()[0] for m in replies] == ["## Computer Vision", "## LLM"]


class DropsTheAnswer(MemoryTransport):
    """Posts the Nth message, then loses the connection: the bot cannot know it went out."""

    def __init__(self, platform: FakePlatform, *, on_send: int) -> None:
        super().__init__(platform)
        self.on_send = on_send

    async def send(
        self, channel_id: str, message: OutgoingMessage, *, thread_id: str | None, idempotency_key: str
    ) -> str:
        posted = await super().send(channel_id, message, thread_id=thread_id, idempotency_key=idempotency_key)
        if self.sends == self.on_send:
            raise ConnectionResetError("connection lost while reading the answer")
        return posted


async def test_a_send_with_unknown_outcome_is_looked_up_not_repeated(tmp_path: Path, platform: FakePlatform) -> None:
    url = with_sample_digest(f"sqlite:///{tmp_path / 'bot.db'}")
    with pytest.raises(ConnectionResetError):
        await make_bot(url, DropsTheAnswer(platform, on_send=3)).delivery.deliver("fake", "c1", day=None, language="en")
    assert len(platform.messages("c1")) == 3
    resumed = MemoryTransport(platform)
    result = await make_bot(url, resumed).delivery.deliver("fake", "c1", day=SAMPLE_DAY, language="en")
    assert result.outcome is Outcome.SENT and result.parts_sent == 1 + SECTIONS - 3
    assert resumed.lookups == [("c1", idempotency_key("fake", "c1", SAMPLE_DAY, 2))]
    assert_posted_once(platform)


class RefusesOnce(MemoryTransport):
    def __init__(self, platform: FakePlatform, *, on_send: int) -> None:
        super().__init__(platform)
        self.on_send = on_send

    async def send(
        self, channel_id: str, message: OutgoingMessage, *, thread_id: str | None, idempotency_key: str
    ) -> str:
        if self.sends + 1 == self.on_send:
            self.sends += 1
            raise TransportError("HTTP 503 from the platform")
        return await super().send(channel_id, message, thread_id=thread_id, idempotency_key=idempotency_key)


async def test_a_temporary_failure_resumes_at_the_first_unsent_reply(tmp_path: Path, platform: FakePlatform) -> None:
    url = with_sample_digest(f"sqlite:///{tmp_path / 'bot.db'}")
    failed = await make_bot(url, RefusesOnce(platform, on_send=4)).delivery.deliver(
        "fake", "c1", day=None, language="en"
    )
    assert (failed.outcome, failed.parts_sent, failed.detail) == (Outcome.FAILED, 3, "HTTP 503 from the platform")
    result = await make_bot(url, MemoryTransport(platform)).delivery.deliver("fake", "c1", day=None, language="en")
    assert (result.outcome, result.parts_sent) == (Outcome.SENT, 1 + SECTIONS - 3)
    assert_posted_once(platform)


async def test_a_resumed_delivery_posts_the_detail_and_interests_it_was_begun_with(
    tmp_path: Path, platform: FakePlatform
) -> None:
    """``digestbot post --detail full --interests …`` fails; the scheduler's retry passes the
    subscription's brief post and no interests, yet the ledger row decides."""
    url = with_sample_digest(f"sqlite:///{tmp_path / 'bot.db'}")
    failed = await make_bot(url, RefusesOnce(platform, on_send=1)).delivery.deliver(
        "fake", "c1", day=None, language="en", detail="full", interests=("quantization",)
    )
    assert failed.outcome is Outcome.FAILED and platform.messages("c1") == []

    result = await make_bot(url, MemoryTransport(platform)).delivery.deliver("fake", "c1", day=None, language="en")

    assert result.outcome is Outcome.SENT
    [parent] = platform.parents("c1")
    lines = dict(line.split(": ", 1) for line in parent.text.splitlines()[1:] if ": " in line)
    papers = {p.arxiv_id: p for p in offline_digest().papers}
    assert lines["Detail"] == "full"
    assert all("quantiz" in f"{papers[i].title} {papers[i].abstract}".lower() for i in lines["Top picks"].split())
    row = SqlDeliveries(open_database(url)).find("fake", "c1", SAMPLE_DAY)
    assert row is not None and (row.detail, row.interests) == ("full", ("quantization",))


async def test_a_live_claim_is_respected_until_its_lease_runs_out(tmp_path: Path, platform: FakePlatform) -> None:
    url = with_sample_digest(f"sqlite:///{tmp_path / 'bot.db'}")
    now = [dt.datetime(2026, 6, 29, 0, 0, tzinfo=dt.UTC)]
    bot = make_bot(url, MemoryTransport(platform), clock=lambda: now[0])
    ledger = SqlDeliveries(open_database(url), clock=lambda: now[0])
    row = ledger.ensure(DeliveryIntent("fake", "c1", SAMPLE_DAY, "en"))
    elsewhere = "another-host-boot/pid:[1]|4242|abcdef|other-host"  # a live instance on another machine
    assert ledger.claim(row.id, holder=elsewhere, lease=dt.timedelta(minutes=3), holder_is_dead=lambda _: False)
    busy = await bot.delivery.deliver("fake", "c1", day=SAMPLE_DAY, language="en")
    assert busy.outcome is Outcome.BUSY and platform.messages() == []
    now[0] += dt.timedelta(minutes=4)  # it stopped renewing: presumed dead
    taken_over = await bot.delivery.deliver("fake", "c1", day=SAMPLE_DAY, language="en")
    assert taken_over.outcome is Outcome.SENT
    assert_posted_once(platform)


def test_a_holder_is_known_dead_only_inside_our_own_pid_scope() -> None:
    me = Holder.current()
    if me.scope is None:
        pytest.skip("no /proc: liveness cannot be checked here, leases alone apply")
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    gone = Holder(scope=me.scope, pid=child.pid, token="x").encode()
    assert me.knows_dead(gone)
    assert me.knows_dead(Holder(scope=me.scope, pid=me.pid, token="before-a-restart").encode())
    assert not me.knows_dead(me.encode())
    assert not me.knows_dead(Holder(scope=me.scope, pid=1, token="x").encode())
    assert not me.knows_dead(Holder(scope="another-host", pid=child.pid, token="x").encode())
    assert not me.knows_dead("garbage")


def test_the_ledger_keeps_a_typed_note_and_reads_a_plain_one_as_written(tmp_path: Path) -> None:
    """A typed note is worded at render time, so a resumed post says it in the channel's
    language; rows written before notes were typed hold plain text, which still renders."""
    ledger = SqlDeliveries(open_database(f"sqlite:///{tmp_path / 'bot.db'}"))
    late = Note(key="delivery.late", values={"due": "09:00", "zone": "UTC", "sent": "11:30"})
    typed = ledger.ensure(DeliveryIntent("fake", "c1", SAMPLE_DAY, "ko", note=late))
    plain = ledger.ensure(DeliveryIntent("fake", "c2", SAMPLE_DAY, "en", note="Posted late (old row)."))

    assert ledger.find("fake", "c1", SAMPLE_DAY) == typed and typed.note == late
    assert ledger.find("fake", "c2", SAMPLE_DAY) == plain and plain.note == "Posted late (old row)."
