"""The command gate on Discord: a digest already in the channel is a link, and limits are polite."""

from __future__ import annotations

from tests.test_discord_commands import CHANNEL, World, fake, gateway_default, world  # noqa: F401 (fixtures)


async def test_asking_again_for_a_posted_digest_links_to_it(world: World) -> None:  # noqa: F811
    await world.command("today", category="llm")
    [parent] = world.fake.messages_in(CHANNEL)

    again = await world.command("today", category="llm")

    assert [m for m in world.fake.messages_in(CHANNEL) if not m.get("flags", 0) & 64] == [parent]
    [link] = world.followups(again)
    assert link.payload["flags"] & 64  # ephemeral: only the asker sees it
    assert "is already in this channel" in link.payload["content"]
    assert link.payload["content"].endswith(f"/{CHANNEL}/{parent['id']}")


async def test_a_user_over_the_limit_gets_a_short_private_reply(world: World) -> None:  # noqa: F811
    for _ in range(10):
        await world.command("categories")

    refused = await world.command("categories")

    [callback] = world.callbacks(refused)
    assert callback["type"] == 4 and callback["data"]["flags"] & 64
    assert callback["data"]["content"].startswith("You've sent a lot of commands in a short time")
