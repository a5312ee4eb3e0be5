"""A subscription's post detail and interests: grammar, chat, CLI, storage and its migration."""

from __future__ import annotations

import asyncio
import datetime as dt
from importlib import resources
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from typer.testing import CliRunner

from digestbot.app.cli import app
from digestbot.app.factory import make_digest_service, make_taxonomy
from digestbot.app.wiring import build_bot
from digestbot.bot.commands.grammar import CommandError, InterestsCommand, SubscribeCommand, parse_command
from digestbot.bot.commands.handlers import CommandHandler, Conversation
from digestbot.bot.commands.replies import TextReply
from digestbot.bot.config import load_settings
from digestbot.bot.scheduling.subscriptions import SubscriptionDefaults, SubscriptionError, SubscriptionService
from digestbot.bot.storage.db import create_db_engine, migrate, open_database
from digestbot.bot.storage.subscriptions import SqlSubscriptionStore
from digestbot.summarizer.ranking import ranked_for
from digestbot.summarizer.taxonomy import Taxonomy
from tests.delivery_helpers import SAMPLE_DAY, with_sample_digest
from tests.fakes.memory_transport import FakePlatform, MemoryTransport, outlet
from tests.helpers import offline_digest
from tests.test_scheduler import World as SchedulerWorld

runner = CliRunner()


@pytest.fixture
def taxonomy() -> Taxonomy:
    return make_taxonomy(load_settings())


def service(database_url: str) -> SubscriptionService:
    settings = load_settings()
    return SubscriptionService(
        store=SqlSubscriptionStore(open_database(database_url)),
        taxonomy=make_taxonomy(settings),
        defaults=SubscriptionDefaults.from_settings(settings),
    )


def test_the_grammar_reads_detail_and_interests(taxonomy: Taxonomy) -> None:
    assert parse_command("subscribe 09:00 llm detail:full", taxonomy) == SubscribeCommand(
        time=parse_command("subscribe 09:00", taxonomy).time, categories=("llm",), detail="full"
    )
    assert parse_command("interests speech recognition, speculative decoding", taxonomy) == InterestsCommand(
        phrases=("speech recognition", "speculative decoding")
    )
    assert parse_command("interests", taxonomy) == InterestsCommand()
    assert parse_command("interests none", taxonomy) == InterestsCommand(phrases=())
    with pytest.raises(CommandError, match=r"use detail:brief \(the default\) or detail:full"):
        parse_command("subscribe detail:everything", taxonomy)
    with pytest.raises(CommandError, match="too many"):
        parse_command("interests " + ", ".join(f"topic {i}" for i in range(13)), taxonomy)


async def test_detail_and_interests_in_chat_are_saved_and_shown_in_settings(tmp_path: Path) -> None:
    subscriptions = service(f"sqlite:///{tmp_path / 'bot.db'}")
    handler = CommandHandler(
        digests=make_digest_service(load_settings(digest_source="sample")), subscriptions=subscriptions
    )
    taxonomy = handler.digests.taxonomy
    admin = Conversation("slack", "C9", "U1", can_manage_channel=True)
    member = Conversation("slack", "C9", "U2")

    early = await handler.handle(parse_command("interests rag", taxonomy), admin)
    assert isinstance(early, TextReply) and "no daily digest" in early.text
    await handler.handle(parse_command("subscribe 09:00 UTC detail:full", taxonomy), admin)
    refused = await handler.handle(parse_command("interests rag", taxonomy), member)
    assert isinstance(refused, TextReply) and "manage this channel" in refused.text
    done = await handler.handle(parse_command("interests speech recognition, speculative decoding", taxonomy), admin)
    assert isinstance(done, TextReply) and done.text.startswith("Interests set: speech recognition, speculative")

    settings = await handler.handle(parse_command("settings", taxonomy), member)
    assert isinstance(settings, TextReply)
    assert "full post, interests: speech recognition, speculative decoding." in settings.text
    shown = await handler.handle(parse_command("interests", taxonomy), member)
    assert isinstance(shown, TextReply) and shown.text.startswith("Interests: speech recognition, speculative")

    await handler.handle(parse_command("interests none", taxonomy), admin)
    stored = subscriptions.store.get("slack", "C9")
    assert stored is not None and stored.interests == () and stored.detail == "full"


def test_the_cli_sets_detail_and_interests_with_clear_errors(tmp_path: Path) -> None:
    added = runner.invoke(
        app,
        ["subscriptions", "add", "slack:C0123", "--detail", "full", "--interests", "speech recognition, RAG"],
    )
    assert added.exit_code == 0, added.output
    assert "full post, interests: speech recognition, RAG." in added.stdout

    bad = runner.invoke(app, ["subscriptions", "add", "slack:C0123", "--detail", "short"])
    assert bad.exit_code == 1 and "'short' is not a detail level" in bad.stderr
    long = runner.invoke(app, ["subscriptions", "add", "slack:C0123", "--interests", "x" * 80])
    assert long.exit_code == 1 and "too long" in long.stderr and "Traceback" not in long.output
    cleared = runner.invoke(app, ["subscriptions", "add", "slack:C0123", "--interests", ""])
    assert cleared.exit_code == 0 and "interests" not in cleared.stdout and "full post" in cleared.stdout


def test_subscriptions_round_trip_detail_and_interests(database_url: str) -> None:
    subscriptions = service(database_url)
    subscriptions.add("discord:42", detail="full", interests="speech recognition, speculative decoding")
    stored = subscriptions.store.get("discord", "42")
    assert stored is not None
    assert (stored.detail, stored.interests) == ("full", ("speech recognition", "speculative decoding"))
    with pytest.raises(SubscriptionError, match="detail level"):
        subscriptions.add("discord:42", detail="all")


def test_the_migration_gives_existing_subscriptions_the_brief_post_and_no_interests(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = Config()
    config.set_main_option("script_location", str(resources.files("digestbot.bot.storage") / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002_search_index")
        connection.execute(
            text(
                "INSERT INTO subscriptions (platform, channel_id, time_of_day, timezone, weekdays, categories, "
                "language, active, paused, origin, updated_at) VALUES ('slack', 'C1', '09:00', 'UTC', "
                "'mon,tue', '', 'en', 1, 0, 'cli', '2026-06-30 00:00:00+00:00')"
            )
        )

    migrate(engine)

    with engine.connect() as connection:
        row = connection.execute(text("SELECT detail, interests FROM subscriptions")).one()
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert tuple(row) == ("brief", "")
    assert version == "0005_delivery_preferences"  # the newest revision: every one after 0002 applied


def _top_picks(platform: FakePlatform, channel: str) -> list[str]:
    [parent] = platform.parents(channel)
    line = next(line for line in parent.text.splitlines() if line.startswith("Top picks: "))
    return line.removeprefix("Top picks: ").split()


async def test_a_channels_interests_change_the_top_picks_of_its_post(tmp_path: Path) -> None:
    platform = FakePlatform(tmp_path / "platform.db")
    url = with_sample_digest(f"sqlite:///{tmp_path / 'bot.db'}")
    bot = build_bot(load_settings(digest_source="sample", database_url=url))
    bot.outlets["fake"] = outlet(MemoryTransport(platform))

    await bot.delivery.deliver("fake", "plain", day=SAMPLE_DAY, language="en")
    await bot.delivery.deliver("fake", "team", day=SAMPLE_DAY, language="en", interests=("quantization",))

    plain, team = _top_picks(platform, "plain"), _top_picks(platform, "team")
    assert len(plain) == len(team) == 3 and plain != team
    digest = offline_digest()
    papers = {p.arxiv_id: p for p in digest.papers}
    assert all("quantiz" in f"{papers[i].title} {papers[i].abstract}".lower() for i in team)


def test_a_scheduled_post_uses_the_subscriptions_interests(tmp_path: Path) -> None:
    world = SchedulerWorld(tmp_path, dt.datetime(2026, 6, 29, 7, 0, tzinfo=dt.UTC))  # Monday 09:00 in Berlin
    bot, scheduler = world.start()
    bot.subscriptions.add("fake:team", time="09:00", timezone="Europe/Berlin", interests="diffusion models")

    asyncio.run(scheduler.run_subscription("fake:team"))

    digest = bot.digests.store.load_digest(None, "en", world.source.name)
    assert digest is not None
    expected = [rank.arxiv_id for rank in ranked_for(digest, ["diffusion models"])[:3]]
    assert _top_picks(world.platform, "team") == expected
    assert expected != [rank.arxiv_id for rank in ranked_for(digest)[:3]]
