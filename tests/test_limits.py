"""The command gate: token buckets, in-flight bounds, "already on its way", per-channel queues."""

from __future__ import annotations

import asyncio
import datetime as dt

from digestbot.bot.commands.grammar import DigestCommand, HelpCommand
from digestbot.bot.limits import ON_ITS_WAY, CommandGate, CommandLimits, Refusal, Ticket, TokenBuckets, try_again_in


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def admitted(outcome: Ticket | Refusal) -> Ticket:
    assert isinstance(outcome, Ticket), outcome
    return outcome


def test_a_bucket_bursts_to_its_capacity_then_refills_evenly() -> None:
    clock = Clock()
    buckets = TokenBuckets(capacity=3, period=60.0, clock=clock)
    for _ in range(3):
        assert buckets.wait_seconds("u") == 0.0
        buckets.take("u")
    assert buckets.wait_seconds("u") == 20.0
    assert buckets.wait_seconds("someone else") == 0.0
    clock.now += 20.0
    assert buckets.wait_seconds("u") == 0.0


def test_buckets_forget_the_least_recently_used_key_beyond_their_bound() -> None:
    clock = Clock()
    buckets = TokenBuckets(capacity=1, period=60.0, clock=clock, max_keys=2)
    for key in ("a", "b", "c"):
        buckets.take(key)
    assert buckets.wait_seconds("a") == 0.0  # forgotten: a full bucket again
    assert buckets.wait_seconds("b") > 0 and buckets.wait_seconds("c") > 0


def test_over_the_per_user_rate_the_refusal_says_when_to_come_back() -> None:
    clock = Clock()
    gate = CommandGate(CommandLimits(commands_per_user_per_minute=2), clock=clock)
    for _ in range(2):
        admitted(gate.admit(user_key="slack:U1", channel_key="slack:C1", command=HelpCommand())).release()

    refusal = gate.admit(user_key="slack:U1", channel_key="slack:C1", command=HelpCommand())

    assert refusal == Refusal("You've sent a lot of commands in a short time — please try again in 30 seconds.")
    admitted(gate.admit(user_key="slack:U2", channel_key="slack:C1"))


def test_a_channel_has_its_own_bucket_across_its_people() -> None:
    gate = CommandGate(CommandLimits(commands_per_channel_per_minute=2), clock=Clock())
    for user in ("U1", "U2"):
        admitted(gate.admit(user_key=user, channel_key="C1")).release()

    refusal = gate.admit(user_key="U3", channel_key="C1")

    assert isinstance(refusal, Refusal) and refusal.text.startswith("This channel has sent a lot of commands")
    admitted(gate.admit(user_key="U3", channel_key="C2"))


def test_in_flight_work_is_bounded_per_user_per_channel_and_in_all() -> None:
    limits = CommandLimits(commands_in_flight_per_user=1, commands_in_flight_per_channel=2, commands_in_flight=3)
    gate = CommandGate(limits, clock=Clock())
    first = admitted(gate.admit(user_key="U1", channel_key="C1"))
    assert "already have" in _text(gate.admit(user_key="U1", channel_key="C2"))
    admitted(gate.admit(user_key="U2", channel_key="C1"))
    assert "channel has many requests" in _text(gate.admit(user_key="U3", channel_key="C1"))
    admitted(gate.admit(user_key="U3", channel_key="C2"))
    assert "a lot of requests right now" in _text(gate.admit(user_key="U4", channel_key="C3"))
    assert gate.in_flight() == 3

    first.release()
    first.release()  # twice is once

    assert gate.in_flight() == 2
    admitted(gate.admit(user_key="U1", channel_key="C3"))


def test_the_same_digest_asked_again_in_a_channel_while_in_flight_is_on_its_way() -> None:
    gate = CommandGate(clock=Clock())
    llm = DigestCommand(category="llm")
    ticket = admitted(gate.admit(user_key="U1", channel_key="C1", command=llm))

    assert gate.admit(user_key="U2", channel_key="C1", command=llm) == Refusal(ON_ITS_WAY)
    admitted(gate.admit(user_key="U2", channel_key="C2", command=llm)).release()
    admitted(gate.admit(user_key="U2", channel_key="C1", command=DigestCommand(category="cv"))).release()
    dated = DigestCommand(category="llm", date=dt.date(2026, 6, 26))
    admitted(gate.admit(user_key="U2", channel_key="C1", command=dated)).release()
    ticket.release()
    admitted(gate.admit(user_key="U2", channel_key="C1", command=llm))


async def test_a_channel_answers_in_order_and_never_waits_for_another_channel() -> None:
    gate = CommandGate(clock=Clock())
    order: list[str] = []
    busy_posting = asyncio.Event()

    async def busy(name: str) -> None:
        ticket = admitted(gate.admit(user_key=name, channel_key="busy", command=DigestCommand(category=name)))
        async with ticket, ticket.turn():
            order.append(f"{name} starts")
            await busy_posting.wait()  # a channel's pacing: its own turn only, no global slot
            order.append(f"{name} done")

    async def quiet() -> None:
        ticket = admitted(gate.admit(user_key="q", channel_key="quiet", command=DigestCommand(category="cv")))
        async with ticket, ticket.turn(), ticket.working():
            order.append("quiet answered")

    async def help_in_busy() -> None:
        ticket = admitted(gate.admit(user_key="h", channel_key="busy", command=HelpCommand()))
        async with ticket, ticket.turn(), ticket.working():
            order.append("help answered")

    tasks = [asyncio.create_task(busy(f"b{n}")) for n in range(3)]
    await asyncio.sleep(0)
    await quiet()
    await help_in_busy()  # answered to the asker, posts nothing: it does not queue behind posts
    busy_posting.set()
    await asyncio.gather(*tasks)

    assert order == [
        "b0 starts",
        "quiet answered",
        "help answered",
        "b0 done",
        "b1 starts",
        "b1 done",
        "b2 starts",
        "b2 done",
    ]
    assert gate.in_flight() == 0


def test_waits_read_as_people_say_them() -> None:
    assert [try_again_in(s) for s in (0.2, 30, 59.5, 61, 1800)] == [
        "in a second",
        "in 30 seconds",
        "in a minute",
        "in about 2 minutes",
        "in about 30 minutes",
    ]


def _text(outcome: Ticket | Refusal) -> str:
    assert isinstance(outcome, Refusal), outcome
    return outcome.text
