"""Registering ``/digest`` with Discord only when the command tree changed.

Discord allows 200 command creations per day per application, and a global sync can take up
to an hour to reach every server, so syncing on every restart is both wasteful and risky. The
tree's payload is hashed and the hash kept per scope (application + global or guild) in a small
JSON file; a restart with the same tree does not call Discord at all. With ``DISCORD_GUILD_ID``
set, the commands are copied to that one server, where they appear instantly (for development
or a single-community bot); otherwise they are synced globally.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import discord
from discord import app_commands

# Relative to the working directory, like the default SQLite database.
DEFAULT_STATE_FILE = Path(".digestbot") / "discord-commands.json"


class SyncError(RuntimeError):
    """Discord refused the commands; the message says how to fix it."""


@dataclass(frozen=True)
class SyncResult:
    synced: bool
    scope: str
    commands: int


def fingerprint(tree: app_commands.CommandTree, *, guild: discord.abc.Snowflake | None) -> str:
    """A hash of exactly what ``tree.sync`` would send for ``guild`` (``None``: global)."""
    payload = sorted((command.to_dict(tree) for command in tree.get_commands(guild=guild)), key=lambda c: c["name"])
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


async def sync_if_changed(
    tree: app_commands.CommandTree, *, guild_id: int | None, state_file: Path = DEFAULT_STATE_FILE, force: bool = False
) -> SyncResult:
    """Sync when the tree differs from the last successful sync to this scope (or ``force``)."""
    guild = discord.Object(id=guild_id) if guild_id else None
    if guild is not None:
        tree.copy_global_to(guild=guild)
    scope = f"{tree.client.application_id}:" + (f"guild:{guild_id}" if guild_id else "global")
    current = fingerprint(tree, guild=guild)
    state = _load(state_file)
    if not force and state.get(scope) == current:
        return SyncResult(synced=False, scope=scope, commands=len(tree.get_commands(guild=guild)))
    try:
        synced = await tree.sync(guild=guild)
    except discord.Forbidden as error:
        raise SyncError(
            "Discord refused to register /digest "
            f"({error.text or 'Missing Access'}): invite the bot with the applications.commands scope "
            "(see `digestbot discord invite-url`)."
        ) from None
    state[scope] = current
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return SyncResult(synced=True, scope=scope, commands=len(synced))


def _load(state_file: Path) -> dict[str, str]:
    """The stored hashes; an unreadable file just means "sync once more"."""
    try:
        data = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
