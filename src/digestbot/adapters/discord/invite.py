"""The invite URL: the bot user plus its commands, with exactly the permissions the bot uses.

Nothing more (no Administrator, no Manage Messages), so a server admin can see at a glance why
each permission is asked for. Kept as data, without discord.py, so printing it is instant.
"""

from __future__ import annotations

from urllib.parse import urlencode

AUTHORIZE_URL = "https://discord.com/oauth2/authorize"
SCOPES = ("bot", "applications.commands")

# Discord's permission bits, each with the reason the bot needs it.
PERMISSIONS: dict[str, tuple[int, str]] = {
    "View Channel": (1 << 10, "see the channels it posts in"),
    "Send Messages": (1 << 11, "post the digest"),
    "Embed Links": (1 << 14, "summaries are embeds"),
    "Attach Files": (1 << 15, "the category chart"),
    "Read Message History": (1 << 16, "find an already-posted digest after a crash instead of posting it twice"),
    "Create Public Threads": (1 << 35, "start each digest's thread"),
    "Send Messages in Threads": (1 << 38, "post the categories and answer questions in the thread"),
}


def permissions_value() -> int:
    return sum(bit for bit, _ in PERMISSIONS.values())


def invite_url(client_id: int, *, guild_id: int | None = None) -> str:
    """``guild_id`` preselects a server (and locks the choice), handy for a single-community bot."""
    query: dict[str, str | int] = {
        "client_id": client_id,
        "permissions": permissions_value(),
        "scope": " ".join(SCOPES),
    }
    if guild_id:
        query.update(guild_id=guild_id, disable_guild_select="true")
    return f"{AUTHORIZE_URL}?{urlencode(query)}"
