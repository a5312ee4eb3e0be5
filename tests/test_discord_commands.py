"""``/digest`` and thread questions: interaction and message payloads go through discord.py's own
parsing (``ConnectionState.parse_*``, as the gateway would feed them) into the real CommandTree
and listeners, and every reply goes to the local fake Discord API."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import discord
import pytest
from discord.gateway import DiscordWebSocket
from typer.testing import CliRunner

from digestbot.adapters.discord.client import HINT, DiscordAdapter
from digestbot.adapters.discord.commands import NEEDS_MANAGE_CHANNELS, category_choices
from digestbot.adapters.discord.invite import SCOPES, invite_url, permissions_value
from digestbot.adapters.discord.transport import Pace
from digestbot.app import cli_discord as discord_cli
from digestbot.bot.commands.grammar import InterestsCommand, SubscribeCommand
from digestbot.bot.commands.handlers import CommandHandler, Conversation
from digestbot.bot.commands.replies import AnswerReply, Reply, TextReply
from digestbot.bot.digests import DigestService
from digestbot.bot.ports import BotServices, MemorySeenEvents, MemoryThreadLinks, ThreadLink
from digestbot.summarizer.models import Category, Paper
from digestbot.summarizer.offline.categorizer import OfflineCategorizer
from digestbot.summarizer.offline.summarizer import ExtractiveSummarizer
from digestbot.summarizer.sources.base import Listing, PaperNotFound
from digestbot.summarizer.taxonomy import Taxonomy, load_taxonomy
from tests.fakes.discord_api import EPHEMERAL, MANAGE_CHANNELS, FakeDiscord, running_fake
from tests.helpers import make_paper

CHANNEL = 111_111_111_111_111_111
DAY = dt.date(2026, 6, 26)
TITLES = [
    "Quantization of LLM inference kernels",
    "Image segmentation with video object detection",
    "Reasoning of large language models",
    "Reinforcement learning for robot policies",
]


class SlowSource:
    """A paper source (the port) that notes when it was first asked and takes a while to answer."""

    name = "test"

    def __init__(self, papers: list[Paper]) -> None:
        self.papers = papers
        self.first_called_at: float | None = None

    def listing(self, day: dt.date | None = None) -> Listing:
        self.first_called_at = self.first_called_at or time.monotonic()
        time.sleep(0.2)
        return Listing(date=day or DAY, papers=self.papers, source=self.name)

    def paper(self, arxiv_id: str) -> Paper:
        for paper in self.papers:
            if paper.arxiv_id == arxiv_id:
                return paper
        raise PaperNotFound(f"Paper {arxiv_id} is not in the test source.")


class Questions:
    """The question service (the port): records questions, answers with a citation."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, ThreadLink]] = []

    async def ask_in_thread(self, question: str, link: ThreadLink, conversation: Conversation) -> Reply:
        self.asked.append((question, link))
        return AnswerReply(
            text=f"About {len(link.arxiv_ids)} papers: 8 GPUs. @everyone",
            citations=[Paper(arxiv_id=link.arxiv_ids[0], title="T", abstract="")],
        )

    async def ask_paper(self, arxiv_id: str, question: str, conversation: Conversation) -> Reply:
        return AnswerReply(text="Answer.", citations=[])

    async def search(self, words: str, conversation: Conversation) -> Reply:
        return TextReply("nothing")


class Subscriptions:
    def __init__(self) -> None:
        self.calls: list[Any] = []

    async def subscribe(self, command: SubscribeCommand, conversation: Conversation) -> Reply:
        self.calls.append(command)
        return TextReply("Subscribed.")

    async def unsubscribe(self, conversation: Conversation) -> Reply:
        self.calls.append("unsubscribe")
        return TextReply("Unsubscribed.")

    async def settings(self, conversation: Conversation) -> Reply:
        self.calls.append("settings")
        return TextReply("Settings.", ephemeral=True)

    async def interests(self, command: InterestsCommand, conversation: Conversation) -> Reply:
        self.calls.append(command)
        return TextReply("Interests.", ephemeral=command.phrases is None)

    def post_preferences(self, conversation: Conversation) -> tuple[str, tuple[str, ...]] | None:
        return None


class World:
    """One bot against the fake: what the tests drive and inspect."""

    def __init__(self, fake: FakeDiscord, adapter: DiscordAdapter, source: SlowSource, services: BotServices) -> None:
        self.fake = fake
        self.adapter = adapter
        self.source = source
        self.services = services
        self.questions: Questions = services.handler.questions  # type: ignore[assignment]
        self.subscriptions: Subscriptions = services.handler.subscriptions  # type: ignore[assignment]

    async def command(self, subcommand: str, *, autocomplete: bool = False, **options: Any) -> dict[str, Any]:
        """Feed ``/digest <subcommand> <options>`` through discord.py and wait for everything it started."""
        focused = options.pop("focused", None)
        values = [
            {"type": 3, "name": name, "value": value, **({"focused": True} if name == focused else {})}
            for name, value in options.items()
            if name not in {"permissions", "channel_id", "channel_type", "parent_id", "created_at"}
        ]
        payload = self.fake.interaction(
            channel_id=options.get("channel_id", CHANNEL),
            options=[{"type": 1, "name": subcommand, "options": values}],
            autocomplete=autocomplete,
            permissions=options.get("permissions", 1 << 11),
            channel_type=options.get("channel_type", 0),
            parent_id=options.get("parent_id"),
            created_at=options.get("created_at"),
        )
        self.adapter.client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
        await settle()
        return payload

    async def message(self, **fields: Any) -> dict[str, Any]:
        payload = self.fake.message_event(**fields)
        self.adapter.client._connection.parse_message_create(payload)  # type: ignore[arg-type]
        await settle()
        return payload

    def callbacks(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        return [r.payload for r in self.fake.requests_to("POST", rf"/interactions/{payload['id']}/.+/callback")]

    def followups(self, payload: dict[str, Any]) -> list[Any]:
        return self.fake.requests_to("POST", rf"/webhooks/\d+/{payload['token']}")


async def settle() -> None:
    """Wait for the tasks discord.py started for the fed events (command invocations, listeners)."""
    while pending := [
        task
        for task in asyncio.all_tasks()
        if task is not asyncio.current_task()
        and (task.get_name() == "CommandTree-invoker" or task.get_name().startswith("discord.py: "))
    ]:
        await asyncio.gather(*pending)


async def eventually(check: Callable[[], object], *, within: float = 10.0) -> None:
    """Wait until ``check()`` is truthy (events pushed over the gateway arrive asynchronously)."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "the expected request never arrived"
        await asyncio.sleep(0.01)


@pytest.fixture
def gateway_default() -> Iterator[None]:
    """``start()`` points discord.py's process-wide gateway URL at the fake; put it back afterwards."""
    original = DiscordWebSocket.DEFAULT_GATEWAY
    yield
    DiscordWebSocket.DEFAULT_GATEWAY = original


@pytest.fixture
def fake() -> Iterator[FakeDiscord]:
    with running_fake() as server:
        server.add_channel(CHANNEL)
        yield server


def _services(source: SlowSource, *, taxonomy: Taxonomy | None = None) -> BotServices:
    taxonomy = taxonomy or load_taxonomy()
    threads = MemoryThreadLinks()
    digests = DigestService(
        source=source, taxonomy=taxonomy, categorizer=OfflineCategorizer(taxonomy), summarizer=ExtractiveSummarizer()
    )
    handler = CommandHandler(digests=digests, threads=threads, subscriptions=Subscriptions(), questions=Questions())
    return BotServices(handler=handler, threads=threads, seen_events=MemorySeenEvents())


def _adapter(
    fake: FakeDiscord, tmp_path: Path, *, message_content: bool = True
) -> tuple[DiscordAdapter, SlowSource, BotServices]:
    source = SlowSource([make_paper(f"2606.0000{i}", title=t) for i, t in enumerate(TITLES, start=1)])
    services = _services(source)
    adapter = DiscordAdapter(
        services=services,
        token=fake.token,
        use_api_gateway=True,
        message_content=message_content,
        sync_state_file=tmp_path / "commands.json",
        pace=Pace(burst=1_000, per_seconds=0.001),
    )
    return adapter, source, services


async def _world(fake: FakeDiscord, tmp_path: Path, *, message_content: bool = True) -> World:
    adapter, source, services = _adapter(fake, tmp_path, message_content=message_content)
    await adapter.login()
    return World(fake, adapter, source, services)


@pytest.fixture
async def world(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[World]:
    world = await _world(fake, tmp_path)
    yield world
    await world.adapter.stop()


async def test_digest_defers_before_the_slow_work_then_posts_parent_and_thread(world: World) -> None:
    payload = await world.command("today", category="llm")

    [defer] = world.callbacks(payload)
    assert defer == {"type": 5}  # deferred, public, "thinking"
    [callback_request] = world.fake.requests_to("POST", r"/interactions/.+/callback")
    assert world.source.first_called_at is not None and callback_request.at < world.source.first_called_at

    [parent_request] = world.followups(payload)
    assert parent_request.at > callback_request.at
    assert [f.filename for f in parent_request.files] == ["digest-2026-06-26.png"]
    [parent] = world.fake.messages_in(CHANNEL)
    assert parent["flags"] == discord.MessageFlags.has_thread.flag  # the loading original, filled, with a thread
    thread_messages = world.fake.messages_in(parent["id"])
    assert thread_messages and thread_messages[0]["embeds"][0]["title"] == "LLM (1)"
    link = world.services.threads.lookup("discord", str(CHANNEL), parent["id"])
    assert link is not None and link.digest_date == DAY and link.arxiv_ids == ("2606.00003",)
    assert all(r.payload["allowed_mentions"] == {"parse": []} for r in world.fake.requests if r.creates_message)


async def test_a_question_in_the_digest_thread_is_answered_there(world: World) -> None:
    await world.command("today")
    [parent] = world.fake.messages_in(CHANNEL)

    question = await world.message(channel_id=int(parent["id"]), content="Which GPUs did they use?")

    assert [q for q, _ in world.questions.asked] == ["Which GPUs did they use?"]
    [answer] = world.fake.requests_to("POST", rf"/channels/{parent['id']}/messages")[-1:]
    assert str(answer.payload["message_reference"]["message_id"]) == question["id"]
    assert answer.payload["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert "@everyone" not in str(answer.payload)
    assert world.fake.requests_to("POST", rf"/channels/{parent['id']}/typing")


async def test_messages_are_answered_once_and_bots_never(world: World) -> None:
    await world.command("today")
    [parent] = world.fake.messages_in(CHANNEL)
    event = world.fake.message_event(channel_id=int(parent["id"]), content="Why?")
    for _ in range(2):  # the gateway may deliver an event again after a resume
        world.adapter.client._connection.parse_message_create(event)  # type: ignore[arg-type]
    await settle()
    await world.message(channel_id=int(parent["id"]), content="I am a bot", bot=True, author_id=42)

    assert [q for q, _ in world.questions.asked] == ["Why?"]


async def test_without_message_content_only_mentions_are_answered(fake: FakeDiscord, tmp_path: Path) -> None:
    world = await _world(fake, tmp_path, message_content=False)
    await world.command("today")
    [parent] = world.fake.messages_in(CHANNEL)
    thread = int(parent["id"])
    posted_before = len(world.fake.requests_to("POST", rf"/channels/{thread}/messages"))

    await world.message(channel_id=thread, content="")  # Discord sends no text without the intent
    assert world.questions.asked == []
    assert len(world.fake.requests_to("POST", rf"/channels/{thread}/messages")) == posted_before

    bot = world.fake.bot_id
    await world.message(channel_id=thread, content=f"<@{bot}> what dataset?", mentions_bot=True)
    assert [q for q, _ in world.questions.asked] == ["what dataset?"]

    await world.message(channel_id=CHANNEL, content=f"<@{bot}> hello", mentions_bot=True)
    hint = world.fake.requests_to("POST", rf"/channels/{CHANNEL}/messages")[-1]
    assert hint.payload["content"] == HINT
    await world.adapter.stop()


async def test_autocomplete_suggests_categories_from_the_taxonomy(world: World) -> None:
    payload = await world.command("today", autocomplete=True, category="lm", focused="category")

    [callback] = world.callbacks(payload)
    assert callback["type"] == 8
    choices = callback["data"]["choices"]
    assert choices[0]["value"] == "llm" and len(choices) <= 25


def test_autocomplete_never_offers_more_than_25_choices() -> None:
    many = Taxonomy(
        categories=tuple(Category(slug=f"topic{i}", name=f"Topic {i}", description="d") for i in range(40)),
        fallback_slug="topic0",
    )
    assert len(category_choices(many, "")) == 25
    assert [c.value for c in category_choices(many, "llm topic3", several=True)][:2] == [
        "llm topic3",
        "llm topic30",
    ]


async def test_a_mistyped_category_is_answered_at_once_privately_with_a_suggestion(world: World) -> None:
    payload = await world.command("today", category="lmm")

    [callback] = world.callbacks(payload)
    assert callback["type"] == 4 and callback["data"]["flags"] == EPHEMERAL
    assert "did you mean `llm`" in callback["data"]["content"]
    assert callback["data"]["allowed_mentions"] == {"parse": []}
    assert world.source.first_called_at is None


async def test_subscribe_needs_manage_channels(world: World) -> None:
    refused = await world.command("subscribe", time="09:00")
    [callback] = world.callbacks(refused)
    assert callback["type"] == 4 and callback["data"]["flags"] == EPHEMERAL
    assert callback["data"]["content"] == NEEDS_MANAGE_CHANNELS
    assert world.subscriptions.calls == []

    allowed = await world.command(
        "subscribe", time="9:30", timezone="Asia/Seoul", categories="llm cv", permissions=MANAGE_CHANNELS | (1 << 11)
    )
    assert world.callbacks(allowed)[0]["type"] == 5
    [command] = world.subscriptions.calls
    assert command == SubscribeCommand(
        time=dt.time(9, 30), timezone="Asia/Seoul", categories=("llm", "cv"), language=None
    )
    assert world.followups(allowed)[0].payload["content"] == "Subscribed."


async def test_a_late_failure_after_a_public_deferral_is_answered_privately(world: World) -> None:
    payload = await world.command("paper", query="2606.99999")

    assert world.callbacks(payload)[0]["type"] == 5
    assert world.fake.requests_to("DELETE", rf"/webhooks/\d+/{payload['token']}/messages/@original")
    [followup] = world.followups(payload)
    assert followup.payload["flags"] == EPHEMERAL and "2606.99999" in followup.payload["content"]


async def test_a_paper_reply_can_become_a_question_thread(world: World) -> None:
    payload = await world.command("paper", query="2606.00003")

    [followup] = world.followups(payload)
    assert followup.payload["embeds"][0]["url"] == "https://arxiv.org/abs/2606.00003"
    [message] = world.fake.messages_in(CHANNEL)
    link = world.services.threads.lookup("discord", str(CHANNEL), message["id"])
    assert link is not None and link.arxiv_ids == ("2606.00003",)


async def test_ask_inside_a_digest_thread_needs_no_message_content(world: World) -> None:
    await world.command("today")
    [parent] = world.fake.messages_in(CHANNEL)
    payload = await world.command(
        "ask", question="What is new?", channel_id=int(parent["id"]), channel_type=11, parent_id=CHANNEL
    )

    assert [q for q, _ in world.questions.asked] == ["What is new?"]
    assert "8 GPUs" in world.followups(payload)[0].payload["embeds"][0]["description"]


async def test_titles_quoted_in_a_text_reply_are_escaped(world: World) -> None:
    hostile = "**bold** _x_ @everyone <@123>"
    world.source.papers += [make_paper("2606.00008", title=f"{hostile} one"), make_paper("2606.00009", title=hostile)]
    await world.command("today")

    payload = await world.command("paper", query="bold")  # two titles match: "which one?"

    [followup] = world.followups(payload)
    content = followup.payload["content"]
    assert "2 papers match" in content and "2606.00009" in content
    assert content.count("\\*\\*bold\\*\\* \\_x\\_ @\u200beveryone \\<@123>") == 2
    assert "**bold**" not in content and "@everyone" not in content and not re.search(r"(?<!\\)<@123>", content)
    assert followup.payload["allowed_mentions"] == {"parse": []}


async def test_help_lists_every_subcommand(world: World) -> None:
    payload = await world.command("help")

    [callback] = world.callbacks(payload)
    assert callback["data"]["flags"] == EPHEMERAL
    for name in ["today", "paper", "search", "ask", "categories", "subscribe", "unsubscribe", "settings"]:
        assert f"/digest {name}" in callback["data"]["content"]


async def test_an_expired_interaction_is_answered_in_the_channel(world: World) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16)
    payload = await world.command("categories", created_at=old)

    assert world.followups(payload) == []
    assert world.fake.requests_to("POST", rf"/channels/{CHANNEL}/messages") == []  # private: nowhere to go
    payload = await world.command("paper", query="2606.00001", created_at=old)
    assert world.followups(payload) == []
    [posted] = world.fake.requests_to("POST", rf"/channels/{CHANNEL}/messages")
    assert posted.payload["embeds"][0]["url"] == "https://arxiv.org/abs/2606.00001"


async def test_commands_are_synced_once_and_again_only_when_they_change(fake: FakeDiscord, tmp_path: Path) -> None:
    first = await _world(fake, tmp_path)
    await first.adapter.stop()
    second = await _world(fake, tmp_path)
    await second.adapter.stop()

    [sync] = fake.requests_to("PUT", r"/applications/\d+/commands")
    [digest] = sync.payload
    assert digest["name"] == "digest"
    assert {option["name"] for option in digest["options"]} >= {"today", "paper", "subscribe", "help"}


async def test_run_connects_to_the_gateway_the_api_names_with_minimal_intents(
    fake: FakeDiscord, tmp_path: Path, gateway_default: None
) -> None:
    adapter, _, _ = _adapter(fake, tmp_path, message_content=False)
    await adapter.start()
    try:
        assert fake.requests_to("GET", "/gateway/bot")
        identify = next(m for m in fake.gateway_received if m["op"] == 2)
        assert identify["d"]["intents"] == discord.Intents(guilds=True, guild_messages=True).value
        assert identify["d"]["token"] == fake.token

        payload = fake.interaction(channel_id=CHANNEL, options=[{"type": 1, "name": "help", "options": []}])
        await asyncio.to_thread(fake.push, "INTERACTION_CREATE", payload)
        await eventually(lambda: fake.requests_to("POST", rf"/interactions/{payload['id']}/.+/callback"))
    finally:
        await adapter.stop()


async def test_message_content_without_the_portal_switch_fails_start_with_the_fix(
    tmp_path: Path, gateway_default: None
) -> None:
    with running_fake(privileged_intents=False) as fake:
        adapter, _, _ = _adapter(fake, tmp_path, message_content=True)
        with pytest.raises(RuntimeError, match="Developer Portal"):
            await adapter.start()
        await adapter.stop()


def test_cli_sync_and_invite_url(fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> None:
    import typer

    monkeypatch.setenv("DISCORD_TOKEN", fake.token)
    monkeypatch.setenv("DISCORD_API_URL", fake.api_url)
    monkeypatch.setenv("DISCORD_GUILD_ID", "700000000000000001")
    monkeypatch.setenv("DIGEST_SOURCE", "sample")
    app = typer.Typer()
    discord_cli.register(app)
    runner = CliRunner()

    first = runner.invoke(app, ["discord", "sync"])
    second = runner.invoke(app, ["discord", "sync"])
    url = runner.invoke(app, ["discord", "invite-url"])

    assert first.exit_code == 0 and "Synced 1 command" in first.output
    assert second.exit_code == 0 and "unchanged" in second.output
    assert len(fake.requests_to("PUT", r"/applications/\d+/guilds/700000000000000001/commands")) == 1
    assert url.exit_code == 0
    assert invite_url(int(fake.application_id), guild_id=700000000000000001) in url.output
    assert fake.token not in first.output + second.output + url.output


def test_the_invite_asks_for_exactly_the_needed_permissions() -> None:
    expected = discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        create_public_threads=True,
        embed_links=True,
        attach_files=True,
        read_message_history=True,
    )
    assert permissions_value() == expected.value
    ours = parse_qs(urlsplit(invite_url(123)).query)
    theirs = parse_qs(urlsplit(discord.utils.oauth_url(123, permissions=expected, scopes=SCOPES)).query)
    assert ours == theirs


# --- one subcommand per category, detail and interests ----------------------------------------


async def test_a_category_is_a_subcommand_as_users_type_it(world: World) -> None:
    payload = await world.command("llm")

    [defer] = world.callbacks(payload)
    assert defer == {"type": 5}
    [parent] = world.fake.messages_in(CHANNEL)
    thread_messages = world.fake.messages_in(parent["id"])
    assert [m["embeds"][0]["title"] for m in thread_messages] == ["LLM (1)"]
    dated = await world.command("cv", date="2026-06-26")
    assert world.callbacks(dated) == [{"type": 5}]
    wrong = await world.command("cv", date="yesterday")
    assert "is not a date" in world.callbacks(wrong)[0]["data"]["content"]


async def test_every_category_is_registered_beside_the_fixed_subcommands(fake: FakeDiscord, world: World) -> None:
    [sync] = fake.requests_to("PUT", r"/applications/\d+/commands")
    [digest] = sync.payload
    names = [option["name"] for option in digest["options"]]
    assert set(load_taxonomy().slugs) <= set(names) and len(names) <= 25
    assert {"today", "paper", "search", "ask", "categories", "help", "subscribe", "interests"} <= set(names)
    payload = await world.command("help")
    help_text = world.callbacks(payload)[0]["data"]["content"]
    assert "`/digest <category> [date]` — one category's digest: inference, cv, llm" in help_text
    assert "`/digest llm [date]`" not in help_text


async def test_a_taxonomy_too_big_for_discord_keeps_today_category(fake: FakeDiscord, tmp_path: Path) -> None:
    big = Taxonomy(
        categories=tuple(Category(slug=f"topic{i}", name=f"Topic {i}", description="d") for i in range(20)),
        fallback_slug="topic0",
    )
    adapter = DiscordAdapter(
        services=_services(SlowSource([]), taxonomy=big),
        token=fake.token,
        use_api_gateway=True,
        sync_state_file=tmp_path / "commands.json",
    )
    await adapter.login()
    await adapter.stop()

    [sync] = fake.requests_to("PUT", r"/applications/\d+/commands")
    names = [option["name"] for option in sync.payload[0]["options"]]
    assert "today" in names and not any(name.startswith("topic") for name in names)
    assert fake.commands[None]  # Discord (the fake, as strict) accepted the tree


async def test_subscribe_takes_a_detail_and_interests_need_manage_channels_only_to_change(world: World) -> None:
    manager = MANAGE_CHANNELS | (1 << 11)
    await world.command("subscribe", detail="full", permissions=manager)
    shown = await world.command("interests")
    refused = await world.command("interests", phrases="speech recognition")
    await world.command("interests", phrases="speech recognition, speculative decoding", permissions=manager)

    assert world.callbacks(refused)[0]["data"]["content"] == NEEDS_MANAGE_CHANNELS
    assert world.callbacks(shown)[0] == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert world.subscriptions.calls == [
        SubscribeCommand(detail="full"),
        InterestsCommand(),
        InterestsCommand(phrases=("speech recognition", "speculative decoding")),
    ]


async def test_search_results_are_shown_only_to_the_asker_as_on_slack(world: World) -> None:
    """Discord used to post them publicly while Slack showed them to the asker (issue 12)."""
    payload = await world.command("search", words="diffusion")

    [defer] = world.callbacks(payload)
    assert defer["type"] == 5 and defer["data"]["flags"] == EPHEMERAL
    followups = world.followups(payload)
    assert followups and all(f.payload["flags"] == EPHEMERAL for f in followups)
