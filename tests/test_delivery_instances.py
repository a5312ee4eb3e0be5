"""Several instances on one database post a channel's digest once — on SQLite and on PostgreSQL.

Two real ``digestbot post`` processes start together for the same channel and date; they race
through the claim, and the fake platform (a shared file) must end with one parent and one set of
replies, whoever won.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from digestbot.bot.storage.db import open_database
from digestbot.bot.storage.deliveries import DeliveryIntent, SqlDeliveries
from tests.delivery_helpers import SAMPLE_DAY, assert_posted_once, start_post
from tests.fakes.memory_transport import FakePlatform
from tests.helpers import all_at_once

INSTANCES = 2


def test_instances_started_together_post_once(tmp_path: Path, database_url: str) -> None:
    platform = FakePlatform(tmp_path / "platform.db")
    processes = [start_post(tmp_path, database_url) for _ in range(INSTANCES)]
    outputs = [process.communicate(timeout=60) for process in processes]
    assert [process.returncode for process in processes] == [0] * INSTANCES, outputs
    lines = sorted(stdout.strip() for stdout, _ in outputs)
    sent = [line for line in lines if ": sent (" in line]
    assert len(sent) == 1, lines
    others = {line.removeprefix(f"fake:c1 {SAMPLE_DAY}: ") for line in lines if line not in sent}
    assert others <= {"already posted", "being posted by another instance"}, lines
    assert_posted_once(platform)


def test_exactly_one_of_many_simultaneous_claims_wins(database_url: str) -> None:
    """The claim itself, hammered: eight instances (own engines, own threads) at one barrier."""
    row = SqlDeliveries(open_database(database_url)).ensure(DeliveryIntent("fake", "c1", SAMPLE_DAY, "en"))
    ledgers = [SqlDeliveries(open_database(database_url)) for _ in range(8)]

    def claimer(ledger: SqlDeliveries, holder: str) -> Callable[[], object]:
        return lambda: ledger.claim(
            row.id, holder=holder, lease=dt.timedelta(minutes=3), holder_is_dead=lambda _: False
        )

    outcomes = all_at_once([claimer(ledger, f"h{number}") for number, ledger in enumerate(ledgers)])
    assert sum(outcome is not None for outcome in outcomes) == 1, outcomes
