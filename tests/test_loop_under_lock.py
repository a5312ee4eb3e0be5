"""The real ``digestbot run`` keeps its event loop free while another process holds SQLite's lock.

Every database call from async code runs in the database pool, so a question waiting for the
write lock waits there, and ``/healthz`` (and every ack) keeps being answered meanwhile. A slash
command is acknowledged meanwhile too: nothing before its ack waits on the database (Bolt gives
up on an ack after 3 s, and Slack then shows the user an error). The test asserts the order of
events, not durations: ``/healthz`` answers and the command is acknowledged while this test
process still holds the lock, and the question and the command are still unanswered; the answers
follow the release.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from digestbot.bot.ports import ThreadLink
from digestbot.bot.storage.db import open_database
from digestbot.bot.storage.threads import SqlThreadLinks
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_socket import FakeSocketMode
from tests.test_runtime import BotProcess, health, wait_until

CHANNEL = "C0DIGEST"
OTHER_CHANNEL = "C0OTHER"
PARENT_TS = "1750000000.000100"
PAPER_ID = "2606.26650"  # in the shipped sample day
HEALTH_CHECKS = 20


def _question(event_id: str) -> dict[str, object]:
    message = {"type": "message", "user": "U0ALICE", "text": "Which GPU did they use?", "ts": "1750000001.000200"}
    return {
        "type": "event_callback",
        "team_id": "T0TEST",
        "event_id": event_id,
        "event": {"channel": CHANNEL, "thread_ts": PARENT_TS, **message},
    }


def _command(text: str) -> dict[str, str]:
    return {"command": "/digest", "text": text, "channel_id": OTHER_CHANNEL, "user_id": "U0BOB",
            "trigger_id": "13345224609.738474920.8088930838d88f008e0", "response_url": ""}  # fmt: skip


async def test_healthz_and_acks_answer_while_another_process_holds_the_write_lock(tmp_path: Path) -> None:
    database = tmp_path / "bot.db"
    link = ThreadLink("slack", CHANNEL, PARENT_TS, None, "en", (PAPER_ID,))
    SqlThreadLinks(open_database(f"sqlite:///{database}")).link(link)
    with FakeSlackApi() as slack:
        async with FakeSocketMode() as socket_mode:
            slack.socket_url = socket_mode.url
            bot = BotProcess(
                tmp_path,
                SLACK_BOT_TOKEN=FakeSlackApi.BOT_TOKEN,
                SLACK_APP_TOKEN="xapp-test",
                SLACK_API_URL=slack.api_url,
            )
            process = bot.cli("run")
            try:
                await asyncio.to_thread(wait_until, lambda: health(bot.port), what="/healthz", process=process)
                locker = sqlite3.connect(database, isolation_level=None)
                locker.execute("BEGIN IMMEDIATE")  # this process now holds the write lock
                try:
                    await socket_mode.ack_for(await socket_mode.push("events_api", _question("Ev1")))
                    command_ack = await socket_mode.ack_for(await socket_mode.push("slash_commands", _command("llm")))
                    answers = [await asyncio.to_thread(health, bot.port) for _ in range(HEALTH_CHECKS)]
                    unanswered_while_locked = slack.posted(CHANNEL) == slack.posted(OTHER_CHANNEL) == []
                finally:
                    locker.execute("COMMIT")
                    locker.close()
                await slack.until(lambda: len(slack.posted(CHANNEL)) == 1 and slack.posted(OTHER_CHANNEL), timeout=60)
            finally:
                bot.stop(process)

    assert answers == [(200, {"status": "ok"})] * HEALTH_CHECKS  # answered while the lock was held
    assert command_ack["payload"]["text"] == "Working on it…"  # acknowledged while the lock was held
    assert unanswered_while_locked  # the question and the command were waiting for the database
    (answer,) = slack.posted(CHANNEL)
    assert answer["thread_ts"] == PARENT_TS
