"""Subscriptions: schedules in real zones (DST included), validation, chat and CLI management, seeding."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from digestbot.app import cli_run
from digestbot.app.cli import app
from digestbot.app.factory import make_digest_service, make_taxonomy
from digestbot.bot.commands.grammar import CommandError, parse_command
from digestbot.bot.commands.handlers import CommandHandler, Conversation
from digestbot.bot.commands.replies import TextReply
from digestbot.bot.config import load_settings
from digestbot.bot.scheduling.subscriptions import (
    Subscription,
    SubscriptionDefaults,
    SubscriptionError,
    SubscriptionService,
    parse_channel_key,
    parse_weekdays,
    wanted_categories,
)
from digestbot.bot.storage.db import open_database
from digestbot.bot.storage.subscriptions import SqlSubscriptionStore

UTC = dt.UTC
NOW = dt.datetime(2026, 6, 29, 3, 0, tzinfo=UTC)  # Monday, 12:00 in Seoul
runner = CliRunner()


def cli() -> typer.Typer:
    if not any(command.callback is cli_run.post for command in app.registered_commands):
        cli_run.register(app)
    return app


def fires(subscription: Subscription, start: dt.datetime, days: int) -> list[dt.datetime]:
    """Every scheduled instant in ``days`` days from ``start``, walking APScheduler's own trigger."""
    trigger = subscription.trigger()
    found: list[dt.datetime] = []
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and fire < start + dt.timedelta(days=days):
        found.append(fire)
        fire = trigger.get_next_fire_time(fire, fire + dt.timedelta(seconds=1))
    return found


def seoul(time: str = "09:00") -> Subscription:
    return Subscription("slack", "C1", dt.time.fromisoformat(time), "Asia/Seoul")


def test_nine_in_seoul_fires_once_a_weekday_at_midnight_utc() -> None:
    week = fires(seoul(), dt.datetime(2026, 6, 28, 0, 0, tzinfo=UTC), days=7)  # Sunday to Saturday, UTC
    assert [f.astimezone(UTC) for f in week] == [
        dt.datetime(2026, 6, 29, 0, 0, tzinfo=UTC) + dt.timedelta(days=d) for d in range(5)
    ]
    assert [f.strftime("%a %H:%M") for f in week] == ["Mon 09:00", "Tue 09:00", "Wed 09:00", "Thu 09:00", "Fri 09:00"]


def test_next_and_last_fire_around_a_frozen_instant() -> None:
    subscription = seoul()
    monday_nine = dt.datetime(2026, 6, 29, 0, 0, tzinfo=UTC)
    assert subscription.next_fire(monday_nine) == monday_nine
    assert subscription.last_fire(monday_nine) == monday_nine
    assert subscription.last_fire(monday_nine - dt.timedelta(seconds=1)).astimezone(UTC) == dt.datetime(
        2026, 6, 26, 0, 0, tzinfo=UTC
    )  # the Friday before: no weekend runs
    assert subscription.next_fire(monday_nine + dt.timedelta(seconds=1)).astimezone(UTC) == dt.datetime(
        2026, 6, 30, 0, 0, tzinfo=UTC
    )


def test_berlin_keeps_nine_local_through_the_march_dst_change() -> None:
    berlin = Subscription("discord", "1", dt.time(9, 0), "Europe/Berlin", weekdays=tuple(range(7)))
    week = fires(berlin, dt.datetime(2026, 3, 26, 0, 0, tzinfo=UTC), days=6)  # DST starts Sun 29 March
    assert [f.strftime("%d %H:%M") for f in week] == [
        "26 09:00",
        "27 09:00",
        "28 09:00",
        "29 09:00",
        "30 09:00",
        "31 09:00",
    ]
    assert [f.astimezone(UTC).hour for f in week] == [8, 8, 8, 7, 7, 7]


def test_new_york_in_its_dst_week_and_a_time_inside_the_skipped_hour() -> None:
    new_york = Subscription("slack", "C2", dt.time(9, 30), "America/New_York")
    week = fires(new_york, dt.datetime(2026, 3, 6, 0, 0, tzinfo=UTC), days=7)  # DST starts Sun 8 March
    assert [f.astimezone(UTC).strftime("%a %H:%M") for f in week] == [
        "Fri 14:30",
        "Mon 13:30",
        "Tue 13:30",
        "Wed 13:30",
        "Thu 13:30",
    ]
    skipped = Subscription("slack", "C3", dt.time(2, 30), "America/New_York", weekdays=tuple(range(7)))
    assert len(fires(skipped, dt.datetime(2026, 3, 7, 12, 0, tzinfo=UTC), days=3)) == 3  # still once a day


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon-fri", (0, 1, 2, 3, 4)),
        ("sun-thu", (0, 1, 2, 3, 6)),
        ("fri-mon", (0, 4, 5, 6)),
        ("mon,wed,fri", (0, 2, 4)),
        ("daily", tuple(range(7))),
    ],
)
def test_weekdays(text: str, days: tuple[int, ...]) -> None:
    assert parse_weekdays(text) == days


@pytest.mark.parametrize("text", ["weekdays", "mon-funday", ""])
def test_bad_weekdays_name_the_accepted_forms(text: str) -> None:
    with pytest.raises(SubscriptionError, match=r"use e\.g\. mon-fri, sun-thu, mon,wed,fri or daily"):
        parse_weekdays(text)


@pytest.mark.parametrize("text", ["C0123", "slack:", "slack:C 1", "Slack:C1", "slack:<!channel>"])
def test_bad_channel_keys_name_the_accepted_form(text: str) -> None:
    with pytest.raises(SubscriptionError, match=r"use platform:channel_id, e\.g\. slack:C0123ABC") as caught:
        parse_channel_key(text)
    assert "<!channel>" not in str(caught.value)


def service(tmp_path: Path, clock: dt.datetime = NOW) -> SubscriptionService:
    settings = load_settings()
    return SubscriptionService(
        store=SqlSubscriptionStore(open_database(f"sqlite:///{tmp_path / 'bot.db'}")),
        taxonomy=make_taxonomy(settings),
        defaults=SubscriptionDefaults(time=dt.time(8, 30), timezone="Europe/Berlin", language="en"),
        clock=lambda: clock,
    )


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"time": "25:00"}, "'25:00' is not a time of day; use 24-hour HH:MM, e.g. 09:00"),
        ({"time": "9am"}, "use 24-hour HH:MM"),
        ({"timezone": "Mars/Olympus"}, "'Mars/Olympus' is not a time zone; use an IANA name such as UTC"),
        ({"categories": "llm,quantum-baking"}, "Unknown category 'quantum-baking'"),
        ({"language": "Klingon"}, "is not a language code; use e.g. en, ko"),
        ({"days": "someday"}, "use e.g. mon-fri"),
    ],
)
def test_invalid_settings_are_refused_with_the_accepted_forms(
    tmp_path: Path, kwargs: dict[str, str], expected: str
) -> None:
    subscriptions = service(tmp_path)
    with pytest.raises(SubscriptionError) as caught:
        subscriptions.add("slack:C1", **kwargs)
    assert expected in str(caught.value)
    assert subscriptions.list() == []  # nothing half-saved


@pytest.mark.parametrize(("text", "expected"), [("subscribe 25:00", "HH:MM"), ("subscribe Mars/Olympus", "IANA")])
def test_the_chat_grammar_refuses_them_too(text: str, expected: str) -> None:
    with pytest.raises(CommandError, match=expected):
        parse_command(text, make_taxonomy(load_settings()))


async def test_subscribe_settings_unsubscribe_in_chat(tmp_path: Path) -> None:
    subscriptions = service(tmp_path)
    changed: list[str] = []
    subscriptions.watch(lambda key, _subscription: changed.append(key))
    handler = CommandHandler(
        digests=make_digest_service(load_settings(digest_source="sample")), subscriptions=subscriptions
    )
    taxonomy = handler.digests.taxonomy
    admin = Conversation("slack", "C9", "U1", can_manage_channel=True)
    member = Conversation("slack", "C9", "U2")

    refused = await handler.handle(parse_command("subscribe 09:00 Asia/Seoul", taxonomy), member)
    assert isinstance(refused, TextReply) and refused.ephemeral and "manage this channel" in refused.text
    assert subscriptions.list() == []

    reply = await handler.handle(parse_command("subscribe 09:00 Asia/Seoul llm cv lang:ko", taxonomy), admin)
    assert isinstance(reply, TextReply) and not reply.ephemeral
    assert reply.text == (
        "Subscribed: this channel gets the digest at 09:00 Asia/Seoul, Mon–Fri, llm, cv, language ko, brief post. "
        "Next post: Tue 2026-06-30 09:00 (00:00 UTC)."
    )
    update = await handler.handle(parse_command("subscribe 07:45", taxonomy), admin)
    assert isinstance(update, TextReply) and update.text.startswith(
        "Updated: this channel gets the digest at 07:45 Asia/Seoul"
    )
    settings = await handler.handle(parse_command("settings", taxonomy), member)
    assert isinstance(settings, TextReply) and "07:45 Asia/Seoul, Mon–Fri, llm, cv, language ko" in settings.text
    assert (await handler.handle(parse_command("unsubscribe", taxonomy), admin)).text.startswith("Unsubscribed")  # type: ignore[union-attr]
    assert subscriptions.list() == []
    assert changed == ["slack:C9", "slack:C9", "slack:C9"]
    again = await handler.handle(parse_command("unsubscribe", taxonomy), admin)
    assert isinstance(again, TextReply) and again.text == "This channel has no daily digest."


def test_a_new_subscription_takes_the_configured_defaults(tmp_path: Path) -> None:
    subscription = service(tmp_path).add("discord:123456789012345678")
    assert (subscription.time, subscription.timezone, subscription.weekdays) == (
        dt.time(8, 30),
        "Europe/Berlin",
        (0, 1, 2, 3, 4),
    )
    assert (subscription.categories, subscription.language, subscription.paused) == ((), "en", False)


def test_seeding_from_the_environment_respects_what_channels_decided(tmp_path: Path) -> None:
    subscriptions = service(tmp_path)
    settings = load_settings(digest_channels="slack:C1, discord:42", digest_time="07:00", digest_timezone="Asia/Tokyo")
    subscriptions.seed(settings)
    assert [(s.channel_key, s.time, s.timezone) for s in subscriptions.list()] == [
        ("discord:42", dt.time(7, 0), "Asia/Tokyo"),
        ("slack:C1", dt.time(7, 0), "Asia/Tokyo"),
    ]
    subscriptions.add("slack:C1", time="10:00")  # changed by a person: no longer the environment's
    subscriptions.remove("discord:42")  # unsubscribed: must not come back at the next start
    subscriptions.seed(settings)
    assert [(s.channel_key, s.time) for s in subscriptions.list()] == [("slack:C1", dt.time(10, 0))]
    subscriptions.seed(load_settings(digest_channels="slack:C7"))
    assert [s.channel_key for s in subscriptions.list()] == ["slack:C1", "slack:C7"]
    subscriptions.seed(load_settings(digest_channels=""))  # removed from the environment: retired
    assert [s.channel_key for s in subscriptions.list()] == ["slack:C1"]
    with pytest.raises(SubscriptionError, match="DIGEST_CHANNELS: 'C0123' is not a channel"):
        subscriptions.seed(load_settings(digest_channels="C0123"))


def test_subscriptions_cli(tmp_path: Path) -> None:
    added = runner.invoke(
        cli(),
        [
            "subscriptions",
            "add",
            "slack:C0123",
            "--time",
            "09:00",
            "--tz",
            "Asia/Seoul",
            "-c",
            "llm,cv",
            "--lang",
            "ko",
        ],
    )
    assert added.exit_code == 0, added.output
    assert added.stdout.startswith(
        "slack:C0123: 09:00 Asia/Seoul, Mon–Fri, llm, cv, language ko, brief post. Next post: "
    )
    assert "(00:00 UTC)" in added.stdout
    listed = runner.invoke(cli(), ["subscriptions", "list"])
    assert listed.exit_code == 0 and listed.stdout.startswith("slack:C0123 ")
    typo = runner.invoke(cli(), ["subscriptions", "add", "slak:C0123"])
    assert typo.exit_code == 1 and "Unknown platform 'slak'" in typo.stderr and "slack" in typo.stderr
    bad = runner.invoke(cli(), ["subscriptions", "add", "slack:C0123", "--tz", "Mars/Olympus"])
    assert bad.exit_code == 1
    assert bad.stderr.strip() == (
        "Error: 'Mars/Olympus' is not a time zone; use an IANA name such as UTC, Europe/Berlin or Asia/Seoul."
    )
    late = runner.invoke(cli(), ["subscriptions", "add", "slack:C0123", "--time", "25:00"])
    assert late.exit_code == 1 and "use 24-hour HH:MM" in late.stderr and "Traceback" not in late.output
    assert runner.invoke(cli(), ["subscriptions", "remove", "slack:C0123"]).stdout == "Removed slack:C0123.\n"
    missing = runner.invoke(cli(), ["subscriptions", "remove", "slack:C0123"])
    assert missing.exit_code == 1 and "has no subscription" in missing.stderr
    empty = runner.invoke(cli(), ["subscriptions", "list"])
    assert empty.stdout.startswith("No subscriptions.")


def test_the_model_writes_only_the_categories_some_channel_wants() -> None:
    llm_only = Subscription("slack", "C1", dt.time(9), "UTC", categories=("llm",))
    cv_rl = Subscription("slack", "C2", dt.time(9), "UTC", categories=("cv", "rl"))
    everything = Subscription("slack", "C3", dt.time(9), "UTC")
    assert wanted_categories([llm_only, cv_rl]) == {"llm", "cv", "rl"}
    assert wanted_categories([llm_only, everything]) is None
    assert wanted_categories([]) is None  # nobody subscribed: /digest may ask for anything
    paused = Subscription("slack", "C3", dt.time(9), "UTC", paused=True)
    assert wanted_categories([llm_only, paused]) == {"llm"}
