"""The Bolt app in HTTP mode: signed requests to ``/slack/events``, answers in the fake Slack.

Requests go through the real aiohttp route and Bolt's signature check; everything the bot
says lands in :class:`FakeSlackApi`, where the tests read it.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_sdk.signature import SignatureVerifier

from digestbot.adapters.slack import SlackSettings, create_adapter
from digestbot.adapters.slack.app import MENTION_HINT, WORKING
from digestbot.adapters.slack.runner import EVENTS_PATH, SlackAdapter
from digestbot.adapters.slack.transport import Pacer
from digestbot.app.factory import make_digest_service
from digestbot.bot.commands.handlers import CommandHandler, Conversation
from digestbot.bot.commands.replies import AnswerReply, Reply
from digestbot.bot.config import Settings
from digestbot.bot.ports import BotServices, MemorySeenEvents, MemoryThreadLinks, ThreadLink
from digestbot.summarizer.models import Paper
from digestbot.summarizer.offline.model import make_offline_categorizer
from digestbot.summarizer.sources.base import Listing
from digestbot.summarizer.sources.jsonl import sample_source
from digestbot.summarizer.taxonomy import load_taxonomy
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_socket import FakeSocketMode

SECRET = "test-signing-secret"
CHANNEL = "C0DIGEST"
ALICE = "U0ALICE"
PARENT_TS = "1750000000.000100"
PAPER_ID = "2606.26650"


class GatedSource:
    """The sample day, but ``listing`` waits for the test to open the gate (a slow arXiv)."""

    name = "sample"

    def __init__(self, log: list[str]) -> None:
        self._inner = sample_source()
        self._log = log
        self.gate = threading.Event()
        self.gate.set()

    def listing(self, day: dt.date | None = None) -> Listing:
        self._log.append("source:start")
        assert self.gate.wait(timeout=10), "the test never opened the gate"
        self._log.append("source:done")
        return self._inner.listing(day)

    def paper(self, arxiv_id: str) -> Paper:
        return self._inner.paper(arxiv_id)


@dataclass
class CannedQuestions:
    """The question service's port, answering from the thread's first paper."""

    asked: list[tuple[str, Conversation]] = field(default_factory=list)

    async def ask_in_thread(self, question: str, link: ThreadLink, conversation: Conversation) -> Reply:
        self.asked.append((question, conversation))
        first = link.arxiv_ids[0]
        return AnswerReply(
            text=f"About “{question}”: see [{first}].",
            citations=[Paper(arxiv_id=first, title="The paper", abstract="")],
        )

    async def ask_paper(self, arxiv_id: str, question: str, conversation: Conversation) -> Reply:
        return AnswerReply(text=f"{arxiv_id}: {question}", citations=[])

    async def search(self, words: str, conversation: Conversation) -> Reply:
        raise NotImplementedError


@dataclass
class Bot:
    slack: FakeSlackApi
    adapter: SlackAdapter
    services: BotServices
    source: GatedSource
    questions: CannedQuestions
    session: aiohttp.ClientSession
    url: str
    log: list[str]

    async def command(self, text: str, *, user: str = ALICE, channel: str = CHANNEL) -> aiohttp.ClientResponse:
        form = {
            "token": "legacy-unused",
            "team_id": "T0TEST",
            "channel_id": channel,
            "user_id": user,
            "command": "/digest",
            "text": text,
            "response_url": self.slack.response_url("R1"),
            "trigger_id": f"trigger-{time.monotonic_ns()}",
            "api_app_id": "A0TEST",
        }
        return await self.post(urlencode(form), "application/x-www-form-urlencoded")

    async def event(self, event: dict[str, Any], *, event_id: str, retry: int | None = None) -> aiohttp.ClientResponse:
        body = {
            "token": "legacy-unused",
            "team_id": "T0TEST",
            "api_app_id": "A0TEST",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": {"channel": CHANNEL, "event_ts": event.get("ts"), **event},
            "authorizations": [{"team_id": "T0TEST", "user_id": "UBOT", "is_bot": True}],
        }
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return await self.post(json.dumps(body), "application/json", extra=headers)

    async def post(
        self, body: str, content_type: str, *, secret: str = SECRET, age: int = 0, extra: dict[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        timestamp = str(int(time.time()) - age)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body),
            **(extra or {}),
        }
        async with self.session.post(self.url, data=body.encode(), headers=headers) as response:
            await response.read()
            return response

    async def settle(self) -> None:
        """Wait for every answer the bot has started (a barrier, not a timer)."""
        await self.adapter.bot.drain(timeout=10)

    def answers(self) -> list[dict[str, Any]]:
        return [m for m in self.slack.posted(CHANNEL) if m.get("thread_ts") == PARENT_TS]


def make_services(settings: Settings, source: GatedSource, questions: CannedQuestions) -> BotServices:
    threads = MemoryThreadLinks()
    digests = make_digest_service(settings, source=source)
    handler = CommandHandler(digests=digests, threads=threads, questions=questions)
    return BotServices(handler=handler, threads=threads, seen_events=MemorySeenEvents())


@pytest.fixture
async def bot() -> AsyncIterator[Bot]:
    with FakeSlackApi() as slack:
        log: list[str] = []
        source, questions = GatedSource(log), CannedQuestions()
        settings = Settings(digest_source="sample")
        services = make_services(settings, source, questions)
        adapter = create_adapter(
            SlackSettings(bot_token="xoxb-test", signing_secret=SECRET, api_url=slack.api_url), services
        )
        adapter.transport.pacer = Pacer(rate=1000.0, burst=1000)  # pacing has its own test
        web_app = web.Application()
        adapter.install_routes(web_app)
        server = TestServer(web_app, host="127.0.0.1", port=0)
        await server.start_server()
        await adapter.start()
        timeout = aiohttp.ClientTimeout(total=5)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            yield Bot(slack, adapter, services, source, questions, session, str(server.make_url(EVENTS_PATH)), log)
            await adapter.stop()
        await server.close()


def link_digest_thread(bot: Bot, arxiv_ids: Sequence[str] = (PAPER_ID,)) -> None:
    link = ThreadLink("slack", CHANNEL, PARENT_TS, dt.date(2026, 6, 26), "en", tuple(arxiv_ids))
    bot.services.threads.link(link)


def thread_message(ts: str, text: str = "Which GPU did they use?", **extra: Any) -> dict[str, Any]:
    return {"type": "message", "user": ALICE, "text": text, "ts": ts, "thread_ts": PARENT_TS, **extra}


# -- slash commands -------------------------------------------------------------------------------


async def test_the_ack_returns_before_the_digest_is_built(bot: Bot) -> None:
    bot.source.gate.clear()

    response = await bot.command("llm")
    bot.log.append("ack")
    posts_at_ack = len(bot.slack.calls_to("chat.postMessage"))
    bot.source.gate.set()
    await bot.slack.until(lambda: len(bot.slack.posted(CHANNEL)) >= 2)
    await bot.settle()

    assert response.status == 200
    assert json.loads(await response.text()) == {"text": WORKING, "response_type": "ephemeral"}
    assert bot.log.index("ack") < bot.log.index("source:done")
    assert posts_at_ack == 0
    parent, *replies = bot.slack.posted(CHANNEL)
    assert "thread_ts" not in parent and replies
    assert all(reply["thread_ts"] == parent["ts"] for reply in replies)
    assert all(message["text"] and message["blocks"] for message in [parent, *replies])
    assert "LLM" in replies[0]["text"]
    link = bot.services.threads.lookup("slack", CHANNEL, parent["ts"])
    assignments = await make_offline_categorizer(load_taxonomy()).categorize(sample_source().papers())
    llm_papers = [a.arxiv_id for a in assignments if a.slug == "llm"]
    assert link is not None and link.digest_date == dt.date(2026, 6, 26) and len(link.arxiv_ids) == len(llm_papers)


async def test_digest_on_demand_is_the_brief_post_with_the_chart_inside_the_parent(bot: Bot) -> None:
    await bot.command("")
    await bot.slack.until(lambda: len(bot.slack.files) == 2)  # the chart, then the full digest's .md
    await bot.settle()

    posted = bot.slack.posted(CHANNEL)
    parent = posted[0]
    [image] = [block for block in parent["blocks"] if block["type"] == "image"]
    [chart] = [f for f in bot.slack.files if f.file_id == image["slack_file"]["id"]]
    assert chart.channel is None and chart.content.startswith(b"\x89PNG")
    [full] = [f for f in bot.slack.files if f.channel is not None]
    assert full.thread_ts == parent["ts"] and full.filename == "digest-2026-06-26.md"
    assert all(m.get("thread_ts") == parent["ts"] for m in posted[1:])
    assert len(posted) + 1 <= 8  # the file share is a thread message too


@pytest.mark.parametrize("age, secret", [(0, "wrong-secret"), (301, SECRET)], ids=["bad-signature", "replayed"])
async def test_bad_or_replayed_signatures_get_401_and_touch_nothing(bot: Bot, age: int, secret: str) -> None:
    form = urlencode({"command": "/digest", "text": "llm", "channel_id": CHANNEL, "user_id": ALICE})
    before = bot.slack.method_names()

    response = await bot.post(form, "application/x-www-form-urlencoded", secret=secret, age=age)
    await bot.settle()

    assert response.status == 401
    assert bot.slack.method_names() == before
    assert bot.log == []


async def test_a_mistyped_category_gets_an_ephemeral_suggestion(bot: Bot) -> None:
    response = await bot.command("lmm")

    body = json.loads(await response.text())
    assert body["response_type"] == "ephemeral"
    assert "did you mean `llm`" in body["text"]
    assert bot.log == [] and bot.slack.posted() == []


async def test_help_is_answered_privately_through_the_response_url(bot: Bot) -> None:
    response = await bot.command("help")
    await bot.slack.until(lambda: len(bot.slack.responses) == 1)

    assert response.status == 200 and await response.text() == ""
    ((_, body),) = bot.slack.responses
    assert body["response_type"] == "ephemeral"
    assert "/digest paper &lt;id|url|title&gt;" in json.dumps(body["blocks"])


async def test_a_paper_is_posted_and_its_thread_linked(bot: Bot) -> None:
    await bot.command(f"paper {PAPER_ID}")
    await bot.slack.until(lambda: len(bot.slack.posted(CHANNEL)) == 1)
    await bot.settle()

    (posted,) = bot.slack.posted(CHANNEL)
    assert PAPER_ID in posted["text"]
    link = bot.services.threads.lookup("slack", CHANNEL, posted["ts"])
    assert link is not None and link.arxiv_ids == (PAPER_ID,)


async def test_a_channel_the_bot_cannot_post_in_gets_an_ephemeral_explanation(bot: Bot) -> None:
    bot.slack.refuse_channel("C0PRIVATE", "not_in_channel")

    await bot.command("llm", channel="C0PRIVATE")
    await bot.slack.until(lambda: len(bot.slack.responses) == 1)

    ((_, body),) = bot.slack.responses
    assert body["response_type"] == "ephemeral"
    assert "not_in_channel" in body["text"] and "/invite" in body["text"]


@pytest.mark.parametrize(
    "user, profile, allowed",
    [
        ("U0MEMBER", {}, False),
        ("U0ADMIN", {"is_admin": True}, True),
        ("U0CREATOR", {}, True),
        ("U0GUEST", {"is_restricted": True}, False),
    ],
)
async def test_subscribe_rights_come_from_slack(bot: Bot, user: str, profile: dict[str, bool], allowed: bool) -> None:
    bot.slack.users[user] = profile
    bot.slack.channels[CHANNEL] = {"creator": "U0CREATOR"}

    await bot.command("subscribe 09:00", user=user)
    await bot.slack.until(lambda: len(bot.slack.responses) == 1)

    ((_, body),) = bot.slack.responses
    refused = "Only members who can manage this channel" in body["text"]
    assert refused is not allowed


# -- thread follow-ups ----------------------------------------------------------------------------


async def test_a_question_in_a_digest_thread_is_answered_there_once(bot: Bot) -> None:
    link_digest_thread(bot)

    await bot.event(thread_message("1750000001.000200"), event_id="Ev1")
    await bot.event(thread_message("1750000001.000200"), event_id="Ev1", retry=1)
    mention = thread_message("1750000001.000200", text="<@UBOT> Which GPU did they use?", type="app_mention")
    await bot.event(mention, event_id="Ev2")
    await bot.event(thread_message("1750000002.000300", text="And the batch size?"), event_id="Ev3")
    await bot.slack.until(lambda: len(bot.answers()) == 2)
    await bot.settle()

    first, second = bot.answers()
    assert [q for q, _ in bot.questions.asked] == ["Which GPU did they use?", "And the batch size?"]
    assert f"https://arxiv.org/abs/{PAPER_ID}" in json.dumps(first["blocks"])
    assert "batch size" in second["text"]
    assert bot.questions.asked[0][1].thread_id == PARENT_TS


async def test_a_mention_in_a_digest_thread_is_a_question_too(bot: Bot) -> None:
    link_digest_thread(bot)

    mention = thread_message("1750000001.000200", text="<@UBOT> what &amp; why?", type="app_mention")
    await bot.event(mention, event_id="Ev1")
    await bot.slack.until(lambda: len(bot.answers()) == 1)

    assert [q for q, _ in bot.questions.asked] == ["what & why?"]


async def test_the_bots_own_and_unrelated_messages_are_ignored(bot: Bot) -> None:
    link_digest_thread(bot)

    own = thread_message("1750000001.000200", user="UBOT", bot_id="BBOT", subtype="bot_message")
    await bot.event(own, event_id="Ev1")
    other_bot = thread_message("1750000001.000300", user="U0OTHER", bot_id="B0OTHER")
    await bot.event(other_bot, event_id="Ev2")
    edit = thread_message("1750000001.000400", subtype="message_changed")
    await bot.event(edit, event_id="Ev3")
    top_level = {"type": "message", "user": ALICE, "text": "hi", "ts": "1750000001.000500"}
    await bot.event(top_level, event_id="Ev4")
    elsewhere = thread_message("1750000001.000600") | {"thread_ts": "1740000000.000001"}
    await bot.event(elsewhere, event_id="Ev5")
    await bot.event(thread_message("1750000002.000700", text="Barrier question"), event_id="Ev6")
    await bot.slack.until(lambda: len(bot.answers()) == 1)
    await bot.settle()

    assert [q for q, _ in bot.questions.asked] == ["Barrier question"]
    assert len(bot.slack.calls_to("chat.postMessage")) == 1


async def test_a_mention_outside_a_digest_thread_gets_a_private_hint(bot: Bot) -> None:
    mention = {"type": "app_mention", "user": ALICE, "text": "<@UBOT> hello?", "ts": "1750000001.000200"}

    await bot.event(mention, event_id="Ev1")
    await bot.event(mention, event_id="Ev1", retry=1)
    await bot.slack.until(lambda: len(bot.slack.ephemerals) == 1)
    await bot.settle()

    (hint,) = bot.slack.ephemerals
    assert hint["user"] == ALICE and hint["channel"] == CHANNEL
    assert "/digest help" in hint["text"] and hint["text"].startswith(MENTION_HINT.split(";")[0])


# -- Socket Mode ----------------------------------------------------------------------------------


async def test_socket_mode_acks_envelopes_and_answers_in_threads() -> None:
    with FakeSlackApi() as slack:
        async with FakeSocketMode() as socket:
            slack.socket_url = socket.url
            settings = Settings(digest_source="sample")
            questions = CannedQuestions()
            services = make_services(settings, GatedSource([]), questions)
            adapter = create_adapter(
                SlackSettings(bot_token="xoxb-test", app_token="xapp-test", api_url=slack.api_url), services
            )
            web_app = web.Application()
            adapter.install_routes(web_app)
            await adapter.start()
            try:
                command = {"command": "/digest", "text": "lmm", "channel_id": CHANNEL, "user_id": ALICE}
                typo = await socket.ack_for(await socket.push("slash_commands", command))
                link = ThreadLink("slack", CHANNEL, PARENT_TS, dt.date(2026, 6, 26), "en", (PAPER_ID,))
                services.threads.link(link)
                event = {
                    "type": "event_callback",
                    "team_id": "T0TEST",
                    "event_id": "Ev1",
                    "event": {"channel": CHANNEL, **thread_message("1750000001.000200")},
                }
                await socket.ack_for(await socket.push("events_api", event))
                await socket.ack_for(await socket.push("events_api", event))  # a re-delivery
                await slack.until(lambda: len(slack.posted(CHANNEL)) == 1)
                await adapter.bot.drain()
            finally:
                await adapter.stop()

    assert adapter.mode == "socket" and len(web_app.router.routes()) == 0
    assert slack.calls_to("apps.connections.open")[0].headers["Authorization"] == "Bearer xapp-test"
    assert "did you mean `llm`" in typo["payload"]["text"]
    (answer,) = slack.posted(CHANNEL)
    assert answer["thread_ts"] == PARENT_TS
    assert len(questions.asked) == 1


async def test_any_member_may_see_interests_but_only_managers_set_them(bot: Bot) -> None:
    bot.slack.users["U0MEMBER"] = {}
    bot.slack.channels[CHANNEL] = {"creator": "U0CREATOR"}

    await bot.command("interests speech recognition", user="U0MEMBER")
    await bot.command("interests", user="U0MEMBER")
    await bot.slack.until(lambda: len(bot.slack.responses) == 2)

    texts = sorted(body["text"] for _, body in bot.slack.responses)
    assert texts[0].startswith("Only members who can manage this channel")  # setting them
    assert texts[1].startswith("Subscriptions need the long-running bot")  # showing them got past the check
