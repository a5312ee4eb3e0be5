"""Fair command handling in the real Bolt app: one post per digest per channel, friendly limits,
and a quiet channel answered while a busy one waits on its own posting."""

from __future__ import annotations

import json
import threading
from typing import Any

from digestbot.adapters.slack.app import WORKING
from digestbot.bot.limits import ON_ITS_WAY
from tests.fakes.slack_api import SlackCall, permalink
from tests.test_slack_app import CHANNEL, Bot, bot  # noqa: F401 (the fixture)

QUIET = "C0QUIET"


def parents(world: Bot, channel: str = CHANNEL) -> list[dict[str, Any]]:
    return [m for m in world.slack.posted(channel) if "thread_ts" not in m]


async def test_ten_asks_for_one_digest_from_one_user_post_it_once(bot: Bot) -> None:  # noqa: F811
    bot.source.gate.clear()

    acks = [json.loads(await (await bot.command("llm")).text()) for _ in range(10)]
    bot.source.gate.set()
    await bot.settle()
    again = await bot.command("llm")
    await bot.settle()

    assert acks[0] == {"text": WORKING, "response_type": "ephemeral"}
    assert acks[1:] == [{"text": ON_ITS_WAY, "response_type": "ephemeral"}] * 9
    (parent,) = parents(bot)
    assert json.loads(await again.text()) == {"text": WORKING, "response_type": "ephemeral"}
    (_, link_reply) = bot.slack.responses[-1]
    assert link_reply["response_type"] == "ephemeral"
    assert permalink(CHANNEL, parent["ts"]) in link_reply["text"]
    assert "LLM digest of 2026-06-26 is already in this channel" in link_reply["text"]


async def test_a_category_of_a_digest_already_in_the_channel_is_a_link(bot: Bot) -> None:  # noqa: F811
    await bot.command("")
    await bot.settle()
    posted = len(bot.slack.posted(CHANNEL))

    await bot.command("cv")
    await bot.settle()

    assert len(bot.slack.posted(CHANNEL)) == posted
    (parent,) = parents(bot)
    assert permalink(CHANNEL, parent["ts"]) in bot.slack.responses[-1][1]["text"]


async def test_a_user_over_the_limit_gets_a_short_private_reply(bot: Bot) -> None:  # noqa: F811
    for _ in range(10):
        await bot.command("categories")
        await bot.settle()

    refused = json.loads(await (await bot.command("categories")).text())
    others = await bot.command("categories", user="U0BOB")

    assert refused["response_type"] == "ephemeral"
    assert refused["text"].startswith("You've sent a lot of commands in a short time — please try again in")
    assert json.loads(await others.text() or "null") is None  # Bob is not Alice's bucket


async def test_a_quiet_channel_is_answered_while_a_busy_one_waits_on_its_posting(bot: Bot) -> None:  # noqa: F811
    await bot.command("llm", channel="C0WARMUP")  # the day is built and cached
    await bot.settle()
    release = threading.Event()

    def hold_busy_posts(call: SlackCall) -> None:
        if call.params.get("channel") == CHANNEL:
            release.wait(timeout=10)

    bot.slack.on_call("chat.postMessage", hold_busy_posts)
    asks = ("", "llm", "rl", "inference", "healthcare", "multimodal", "training", "general", "cv")
    for number, text in enumerate(asks):  # more than the process's 8 work slots
        await bot.command(text, user=f"U{number:04d}")

    await bot.command("cv", user="U0QUIET", channel=QUIET)
    await bot.slack.until(lambda: bool(parents(bot, QUIET)))
    busy_posted_by_then = len(bot.slack.posted(CHANNEL))
    release.set()
    await bot.settle()

    assert busy_posted_by_then == 0
    assert len(parents(bot)) == 1  # the full digest; each category after it, in turn, links to it
    texts = [r.get("text", "") for _, r in bot.slack.responses]
    links = [text for text in texts if "is already in this channel" in text]
    empty = [text for text in texts if "papers were announced on" in text]  # a category with no paper that day
    assert links and len(links) + len(empty) == len(asks) - 1
