"""The REST transport: the real discord.py client against the local fake Discord API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from digestbot.adapters.discord.connection import make_client
from digestbot.adapters.discord.render import render_digest
from digestbot.adapters.discord.transport import DiscordTransport, Pace, marker_for, nonce_for
from digestbot.bot.ports import OutgoingMessage, TransportError
from tests.fakes.discord_api import FakeDiscord, running_fake
from tests.helpers import make_paper, offline_digest

CHANNEL = 111_111_111_111_111_111
FORBIDDEN = 222_222_222_222_222_222
NO_WAIT = Pace(burst=1_000, per_seconds=0.001)


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    with running_fake() as server:
        server.add_channel(CHANNEL)
        server.add_channel(FORBIDDEN, forbidden=True)
        yield server


def _transport(fake: FakeDiscord, *, token: str | None = None, pace: Pace = NO_WAIT) -> DiscordTransport:
    return DiscordTransport(make_client(), token=token or fake.token, pace=pace)


@pytest.fixture(scope="module")
def parts() -> list[OutgoingMessage]:
    """A rendered five-paper digest (built outside the event loop: the offline pipeline runs its own)."""
    titles = [
        "Quantization of LLM inference kernels @everyone",
        "Image segmentation with video object detection",
        "Reasoning of large language models",
        "Reinforcement learning for robot policies",
        "Medical imaging for clinical diagnosis",
    ]
    papers = [make_paper(f"2606.0000{i}", title=title) for i, title in enumerate(titles, start=1)]
    return render_digest(offline_digest(papers), b"\x89PNG chart")


async def _deliver(
    transport: DiscordTransport, parts: list[OutgoingMessage], *, key: str = "discord:1:2026-06-26"
) -> list[str]:
    """What the delivery service does: the parent, then every part into the parent's thread."""
    parent = await transport.send(str(CHANNEL), parts[0], thread_id=None, idempotency_key=f"{key}:0")
    ids = [parent]
    for number, part in enumerate(parts[1:], start=1):
        ids.append(await transport.send(str(CHANNEL), part, thread_id=parent, idempotency_key=f"{key}:{number}"))
    return ids


async def test_login_runs_over_rest_with_the_bot_token(fake: FakeDiscord) -> None:
    transport = _transport(fake)
    await transport.login()
    await transport.close()

    assert [(r.method, r.path) for r in fake.requests] == [("GET", "/users/@me"), ("GET", "/oauth2/applications/@me")]
    assert all(r.authorized for r in fake.requests)
    assert transport.application_id == int(fake.application_id)


async def test_a_digest_is_posted_with_its_chart_then_into_a_thread_started_from_it(
    fake: FakeDiscord, parts: list[OutgoingMessage]
) -> None:
    transport = _transport(fake)
    ids = await _deliver(transport, parts)
    await transport.close()

    [parent_post] = fake.requests_to("POST", rf"/channels/{CHANNEL}/messages")
    assert [(f.field, f.filename) for f in parent_post.files] == [("files[0]", "digest-2026-06-26.png")]
    assert parent_post.payload["embeds"][0]["image"] == {"url": "attachment://digest-2026-06-26.png"}
    [thread] = fake.requests_to("POST", rf"/channels/{CHANNEL}/messages/{ids[0]}/threads")
    assert thread.payload["auto_archive_duration"] == 1440
    assert 1 <= len(thread.payload["name"]) <= 100
    thread_posts = fake.requests_to("POST", rf"/channels/{ids[0]}/messages")
    assert len(thread_posts) == len(parts) - 1
    assert [m["id"] for m in fake.messages_in(ids[0])] == ids[1:]
    for post in [parent_post, *thread_posts]:
        assert post.payload["embeds"], "every digest part has embeds"


async def test_every_message_payload_allows_no_mentions(fake: FakeDiscord, parts: list[OutgoingMessage]) -> None:
    transport = _transport(fake)
    await _deliver(transport, parts)
    await transport.close()

    creating = [r for r in fake.requests if r.creates_message]
    assert creating
    assert all(r.payload["allowed_mentions"] == {"parse": []} for r in creating)


async def test_a_retried_send_returns_the_first_message_instead_of_a_duplicate(
    fake: FakeDiscord, parts: list[OutgoingMessage]
) -> None:
    transport = _transport(fake)
    part = parts[0]
    first = await transport.send(str(CHANNEL), part, thread_id=None, idempotency_key="discord:1:2026-06-26:0")
    retry = _transport(fake)  # as after a crash: a new process, the same key
    again = await retry.send(str(CHANNEL), part, thread_id=None, idempotency_key="discord:1:2026-06-26:0")
    await transport.close()
    await retry.close()

    assert again == first
    assert len(fake.messages_in(CHANNEL)) == 1
    posts = fake.requests_to("POST", rf"/channels/{CHANNEL}/messages")
    assert [(p.payload["nonce"], p.payload["enforce_nonce"]) for p in posts] == [
        (nonce_for("discord:1:2026-06-26:0"), True)
    ] * 2
    assert len(nonce_for("any key")) <= 25


async def test_find_sent_finds_parts_in_the_channel_and_in_its_thread_after_the_nonce_is_gone(
    fake: FakeDiscord,
    parts: list[OutgoingMessage],
) -> None:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    first = _transport(fake)
    ids = await _deliver(first, parts)
    await first.close()

    after_restart = _transport(fake)
    found_parent = await after_restart.find_sent(str(CHANNEL), "discord:1:2026-06-26:0", since=since)
    found_part = await after_restart.find_sent(str(CHANNEL), "discord:1:2026-06-26:2", since=since)
    missing = await after_restart.find_sent(str(CHANNEL), "discord:1:2026-06-27:0", since=since)
    await after_restart.close()

    assert (found_parent, found_part, missing) == (ids[0], ids[2], None)
    footers = [m["embeds"][-1]["footer"]["text"] for m in fake.messages_in(CHANNEL)]
    assert footers[0].endswith(marker_for("discord:1:2026-06-26:0"))


async def test_resuming_into_an_existing_thread_does_not_fail(fake: FakeDiscord, parts: list[OutgoingMessage]) -> None:
    transport = _transport(fake)
    parent = await transport.send(str(CHANNEL), parts[0], thread_id=None, idempotency_key="k:0")
    await transport.send(str(CHANNEL), parts[1], thread_id=parent, idempotency_key="k:1")
    await transport.close()

    resumed = _transport(fake)
    await resumed.send(str(CHANNEL), parts[2], thread_id=parent, idempotency_key="k:2")
    await resumed.close()

    assert len(fake.requests_to("POST", rf"/channels/{CHANNEL}/messages/{parent}/threads")) == 2
    assert len(fake.messages_in(parent)) == 2


@pytest.mark.parametrize(
    ("channel", "words"), [(FORBIDDEN, "Missing Access"), (333_333_333_333_333_333, "Unknown Channel")]
)
async def test_missing_access_and_unknown_channels_are_permanent_errors(
    fake: FakeDiscord, parts: list[OutgoingMessage], channel: int, words: str
) -> None:
    transport = _transport(fake)
    with pytest.raises(TransportError) as caught:
        await transport.send(str(channel), parts[0], thread_id=None, idempotency_key="k")
    await transport.close()

    assert caught.value.permanent
    assert words in str(caught.value)


async def test_a_rejected_token_is_a_permanent_error_that_does_not_show_the_token(
    fake: FakeDiscord, parts: list[OutgoingMessage]
) -> None:
    transport = _transport(fake, token="not-the-token")
    with pytest.raises(TransportError) as caught:
        await transport.send(str(CHANNEL), parts[0], thread_id=None, idempotency_key="k")
    await transport.close()

    assert caught.value.permanent
    assert "DISCORD_TOKEN" in str(caught.value) and "not-the-token" not in str(caught.value)


async def test_a_429_is_waited_out_and_the_send_succeeds(fake: FakeDiscord, parts: list[OutgoingMessage]) -> None:
    fake.rate_limit("POST", rf"/channels/{CHANNEL}/messages", retry_after=0.05)
    transport = _transport(fake)
    sent = await transport.send(str(CHANNEL), parts[0], thread_id=None, idempotency_key="k")
    await transport.close()

    assert len(fake.requests_to("POST", rf"/channels/{CHANNEL}/messages")) == 2
    assert [m["id"] for m in fake.messages_in(CHANNEL)] == [sent]


async def test_a_very_long_rate_limit_is_a_transient_error(fake: FakeDiscord, parts: list[OutgoingMessage]) -> None:
    fake.rate_limit("POST", rf"/channels/{CHANNEL}/messages", retry_after=3_600)
    transport = _transport(fake)
    with pytest.raises(TransportError) as caught:
        await transport.send(str(CHANNEL), parts[0], thread_id=None, idempotency_key="k")
    await transport.close()

    assert not caught.value.permanent


async def test_bursts_are_paced_per_channel(fake: FakeDiscord) -> None:
    transport = _transport(fake, pace=Pace(burst=2, per_seconds=0.3))
    part = OutgoingMessage(text="x", payload={"content": "x", "embeds": []})
    for number in range(3):
        await transport.send(str(CHANNEL), part, thread_id=None, idempotency_key=f"k:{number}")
    await transport.close()

    posts = fake.requests_to("POST", rf"/channels/{CHANNEL}/messages")
    assert posts[2].at - posts[0].at >= 0.3 - 0.01  # the third waited for the window (a lower bound only)


async def test_mentions_in_content_do_not_ping(fake: FakeDiscord) -> None:
    transport = _transport(fake)
    part = OutgoingMessage(text="t", payload={"content": "@everyone hello <@123456789012345678>", "embeds": []})
    await transport.send(str(CHANNEL), part, thread_id=None, idempotency_key="k")
    await transport.close()

    [post] = fake.requests_to("POST", rf"/channels/{CHANNEL}/messages")
    assert post.payload["allowed_mentions"] == {"parse": []}
