"""Slack HTTP mode against hostile or odd requests: checked on the raw bytes before Bolt parses
them, answered with 400/401/413 (never 500), nothing dispatched and nothing but one line logged;
and a replayed slash command answered once.

Requests go over real HTTP to the aiohttp route of the app built by ``tests.test_slack_app``;
what the bot says lands in the fake Slack.
"""

# ruff: noqa: F811
from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlencode

import pytest
from slack_sdk.signature import SignatureVerifier

from digestbot.adapters.slack.inbound import MAX_BODY_BYTES, MAX_NESTING

# ``bot`` is test_slack_app's fixture (the app served over real HTTP); pytest finds it by this
# import, and the tests' ``bot`` parameters are that fixture, not redefinitions.
from tests.test_slack_app import ALICE, CHANNEL, SECRET, Bot, bot  # noqa: F401

FORM = "application/x-www-form-urlencoded"


def sign(body: bytes, timestamp: str) -> str:
    return SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body.decode("utf-8", "replace"))


async def send(bot: Bot, body: bytes, headers: dict[str, str], *, content_type: str = "application/json") -> int:
    async with bot.session.post(bot.url, data=body, headers={"Content-Type": content_type, **headers}) as response:
        await response.read()
        return response.status


async def send_signed(bot: Bot, body: bytes, *, content_type: str = "application/json") -> int:
    now = str(int(time.time()))
    headers = {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": sign(body, now)}
    return await send(bot, body, headers, content_type=content_type)


def assert_untouched(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    """Nothing reached a listener or Slack, and the log has no error and no traceback."""
    assert bot.slack.method_names() == ["auth.test"]
    assert bot.slack.responses == [] and bot.log == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def nested(depth: int) -> bytes:
    """An event envelope ``depth`` objects deep (100,000 levels fit well within the size cap)."""
    return ('{"type":"event_callback","event":' + '{"e":' * depth + "{}" + "}" * (depth + 1)).encode()


@pytest.mark.parametrize(
    "headers, status",
    [
        ({"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"}, 400),
        ({"X-Slack-Request-Timestamp": "１７５０００００００", "X-Slack-Signature": "v0=00"}, 400),
        ({"X-Slack-Request-Timestamp": "9" * 5000, "X-Slack-Signature": "v0=00"}, 400),
        ({"X-Slack-Request-Timestamp": "1750000000.5", "X-Slack-Signature": "v0=00"}, 400),
        ({"X-Slack-Signature": "v0=00"}, 401),
        ({"X-Slack-Request-Timestamp": "1750000000"}, 401),
        ({}, 401),
    ],
    ids=["letters", "non-ascii-digits", "huge", "fraction", "no-timestamp", "no-signature", "unsigned"],
)
async def test_a_malformed_or_missing_signature_is_refused_before_parsing(
    bot: Bot, caplog: pytest.LogCaptureFixture, headers: dict[str, str], status: int
) -> None:
    caplog.set_level(logging.INFO)

    assert await send(bot, nested(100_000), headers) == status

    await bot.settle()
    assert_untouched(bot, caplog)
    assert any("Refused a request to /slack/events" in r.getMessage() for r in caplog.records)


async def test_a_timestamp_signed_correctly_but_abc_is_refused(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    body = b'{"type": "event_callback"}'

    status = await send(bot, body, {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": sign(body, "abc")})

    assert status == 400
    assert_untouched(bot, caplog)


async def test_a_deeply_nested_body_with_a_bad_signature_gets_401(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    now = str(int(time.time()))
    body = nested(100_000)
    forged = SignatureVerifier("not-the-secret").generate_signature(timestamp=now, body=body.decode())

    assert await send(bot, body, {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": forged}) == 401
    assert_untouched(bot, caplog)


@pytest.mark.parametrize(
    "body, content_type",
    [
        (nested(100_000), "application/json"),
        (nested(MAX_NESTING + 1), "application/json"),
        (b"[" * 50_000 + b"]" * 50_000, "application/json"),
        (b'{"type": "event_callback", "event": ', "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'{"type": "event_callback", "authorizations": 5}', "application/json"),
        (b'{"type": "block_actions", "enterprise": 7}', "application/json"),
        (b"payload=%7Bnot+json", FORM),
        (b"payload=" + b"%5B" * 50_000, FORM),
        (b"\xff\xfe not utf-8", FORM),
    ],
    ids=[
        "nested-100000",
        "nested-just-too-deep",
        "arrays",
        "truncated",
        "not-an-object",
        "wrong-type",
        "wrong-enterprise",
        "form-payload",
        "form-nested",
        "not-utf8",
    ],
)
async def test_a_signed_body_that_is_not_a_slack_payload_gets_400(
    bot: Bot, caplog: pytest.LogCaptureFixture, body: bytes, content_type: str
) -> None:
    """Only the holder of the signing secret gets this far; even so, the answer is 400, not a crash."""
    assert await send_signed(bot, body, content_type=content_type) == 400

    await bot.settle()
    assert_untouched(bot, caplog)


async def test_a_body_of_ordinary_depth_still_reaches_the_listeners(bot: Bot) -> None:
    response = await bot.command("help")
    await bot.slack.until(lambda: len(bot.slack.responses) == 1)

    assert response.status == 200


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_body_over_one_mebibyte_gets_413(bot: Bot, caplog: pytest.LogCaptureFixture, chunked: bool) -> None:
    body = b"x" * (MAX_BODY_BYTES + 1)
    now = str(int(time.time()))
    headers = {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": sign(body, now)}

    async def chunks():  # type: ignore[no-untyped-def]
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    status = await send(bot, chunks() if chunked else body, headers, content_type=FORM)  # type: ignore[arg-type]

    assert status == 413
    assert_untouched(bot, caplog)


# -- replays ----------------------------------------------------------------------------------------


async def test_a_replayed_slash_command_is_answered_once(bot: Bot) -> None:
    form = urlencode(
        {
            "team_id": "T0TEST",
            "channel_id": CHANNEL,
            "user_id": ALICE,
            "command": "/digest",
            "text": "help",
            "response_url": bot.slack.response_url("R1"),
            "trigger_id": "13345224609.738474920.8088930838d88f008e0",
            "api_app_id": "A0TEST",
        }
    )

    first = await bot.post(form, FORM)
    replay = await bot.post(form, FORM)  # the same signed request, seconds later
    await bot.command("categories")  # a barrier: answered after anything the replay started
    await bot.slack.until(lambda: len(bot.slack.responses) >= 2)
    await bot.settle()

    assert (first.status, replay.status) == (200, 200)
    helps = [body for _, body in bot.slack.responses if "/digest paper" in json.dumps(body)]
    assert len(helps) == 1 and len(bot.slack.responses) == 2
