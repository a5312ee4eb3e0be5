"""The Slack transport against the fake Web API: retries, uploads, reconciliation, pacing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from digestbot.adapters.slack.transport import Pacer, SlackTransport, build_clients
from digestbot.bot.ports import OutgoingMessage, TransportError
from digestbot.summarizer.phrases import phrase
from tests.fakes.slack_api import FakeSlackApi

CHANNEL = "C0DIGEST"
PNG = b"\x89PNG fake chart"


class FakeClock:
    """Time that moves only when someone sleeps: pacing is checked without waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


@pytest.fixture
def slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as fake:
        yield fake


@pytest.fixture
def transport(slack: FakeSlackApi) -> SlackTransport:
    client, post_client = build_clients(token=FakeSlackApi.BOT_TOKEN, base_url=slack.api_url)
    clock = FakeClock()
    return SlackTransport(client=client, post_client=post_client, pacer=Pacer(clock=clock, sleep=clock.sleep))


def message(text: str = "hello", *, chart: bool = False, language: str = "en") -> OutgoingMessage:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    attachment = ("chart.png", PNG) if chart else None
    return OutgoingMessage(text=text, payload={"blocks": blocks}, attachment=attachment, language=language)


def an_hour_ago() -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)


async def test_a_post_carries_its_key_as_metadata_and_no_unfurls(
    slack: FakeSlackApi, transport: SlackTransport
) -> None:
    ts = await transport.send(CHANNEL, message(), thread_id=None, idempotency_key="2026-06-26:C0DIGEST:0")

    (call,) = slack.calls_to("chat.postMessage")
    assert call.params["metadata"] == {"event_type": "digest_part", "event_payload": {"key": "2026-06-26:C0DIGEST:0"}}
    assert call.params["unfurl_links"] is False and call.params["text"] == "hello"
    assert call.params["blocks"] == message().payload["blocks"]
    assert [m["ts"] for m in slack.posted(CHANNEL)] == [ts]


async def test_429_is_retried_after_retry_after(slack: FakeSlackApi, transport: SlackTransport) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after="0")

    ts = await transport.send(CHANNEL, message(), thread_id=None, idempotency_key="k")

    assert len(slack.calls_to("chat.postMessage")) == 2
    assert [m["ts"] for m in slack.posted(CHANNEL)] == [ts]


async def test_a_post_whose_answer_was_lost_is_not_resent_but_found(
    slack: FakeSlackApi, transport: SlackTransport
) -> None:
    since = an_hour_ago()
    slack.drop_next("chat.postMessage")

    with pytest.raises(TransportError) as failure:
        await transport.send(CHANNEL, message(), thread_id=None, idempotency_key="lost-key")

    assert not failure.value.permanent
    assert len(slack.calls_to("chat.postMessage")) == 1, "an unknown outcome must not be re-sent blindly"
    (posted,) = slack.posted(CHANNEL)
    assert await transport.find_sent(CHANNEL, "lost-key", since=since) == posted["ts"]


async def test_a_server_error_on_post_is_reported_not_retried(slack: FakeSlackApi, transport: SlackTransport) -> None:
    slack.fail_next("chat.postMessage", status=500)

    with pytest.raises(TransportError) as failure:
        await transport.send(CHANNEL, message(), thread_id=None, idempotency_key="k")

    assert not failure.value.permanent
    assert len(slack.calls_to("chat.postMessage")) == 1


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "is_archived", "invalid_auth"])
async def test_permanent_errors_say_so(slack: FakeSlackApi, transport: SlackTransport, error: str) -> None:
    slack.refuse_channel("C0GONE", error)

    with pytest.raises(TransportError) as failure:
        await transport.send("C0GONE", message(), thread_id=None, idempotency_key="k")

    assert failure.value.permanent
    assert error in str(failure.value) and "xoxb" not in str(failure.value)


async def test_the_chart_goes_into_the_parents_thread(slack: FakeSlackApi, transport: SlackTransport) -> None:
    ts = await transport.send(CHANNEL, message(chart=True), thread_id=None, idempotency_key="k")

    (uploaded,) = slack.files
    assert (uploaded.channel, uploaded.thread_ts, uploaded.filename) == (CHANNEL, ts, "chart.png")
    assert uploaded.content == PNG
    assert [call.method for call in slack.calls][-3:] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


async def test_a_failing_upload_still_posts_the_text_and_says_so(
    slack: FakeSlackApi, transport: SlackTransport
) -> None:
    slack.error_next("files.completeUploadExternal", "not_in_channel")

    ts = await transport.send(CHANNEL, message("the digest", chart=True), thread_id=None, idempotency_key="k")

    parent, note = slack.posted(CHANNEL)
    assert (parent["ts"], parent["text"]) == (ts, "the digest")
    assert note["thread_ts"] == ts
    assert note["text"] == phrase("chart.unavailable", "en", reason="not_in_channel")
    assert "upload was refused (not_in_channel)" in note["text"]
    assert slack.files == []


async def test_the_chart_and_its_note_speak_the_messages_language(
    slack: FakeSlackApi, transport: SlackTransport
) -> None:
    ts = await transport.send(
        CHANNEL, message("다이제스트", chart=True, language="ko"), thread_id=None, idempotency_key="k"
    )
    (uploaded,) = slack.files
    assert uploaded.title == "분야별 논문 수"

    slack.error_next("files.completeUploadExternal", "not_in_channel")
    await transport.send(CHANNEL, message("다이제스트", chart=True, language="ko"), thread_id=ts, idempotency_key="k2")
    note = slack.posted(CHANNEL)[-1]
    assert note["text"].startswith("차트를 올리지 못했습니다") and "not_in_channel" in note["text"]


async def test_find_sent_finds_parents_and_thread_replies_by_key(
    slack: FakeSlackApi, transport: SlackTransport
) -> None:
    since = an_hour_ago()
    slack.add_message(CHANNEL, text="unrelated chatter")
    parent = await transport.send(CHANNEL, message(), thread_id=None, idempotency_key="day:0")
    reply = await transport.send(CHANNEL, message(), thread_id=parent, idempotency_key="day:1")

    assert await transport.find_sent(CHANNEL, "day:0", since=since) == parent
    assert await transport.find_sent(CHANNEL, "day:1", since=since) == reply
    assert await transport.find_sent(CHANNEL, "day:1", since=since, thread_id=parent) == reply
    assert await transport.find_sent(CHANNEL, "day:2", since=since) is None
    (history,) = {call.params["include_all_metadata"] for call in slack.calls_to("conversations.history")}
    assert history in {"1", "true"}


async def test_find_sent_pages_through_history_and_retries_server_errors(
    slack: FakeSlackApi, transport: SlackTransport
) -> None:
    since = an_hour_ago()
    first = await transport.send(CHANNEL, message(), thread_id=None, idempotency_key="early")
    for number in range(250):
        slack.add_message(CHANNEL, text=f"message {number}")
    slack.fail_next("conversations.history", status=500)

    assert await transport.find_sent(CHANNEL, "early", since=since) == first
    assert len(slack.calls_to("conversations.history")) == 3  # one 500, two pages


async def test_pacing_allows_a_short_burst_then_one_post_per_second() -> None:
    clock = FakeClock()
    pacer = Pacer(rate=1.0, burst=3, clock=clock, sleep=clock.sleep)

    for _ in range(5):
        await pacer.wait("C1")
    await pacer.wait("C2")

    assert clock.sleeps == [1.0, 1.0]
