"""The chat platforms this build knows, by name: every package under ``digestbot.adapters``.

Each adapter package describes itself in a :class:`~digestbot.bot.ports.ChatPlatform` named
``PLATFORM`` — its settings model, and how to build its adapter and its transport — so adding a
platform means adding one folder. Packages are imported by name only when asked for, and their
libraries only when an adapter or transport is built, which keeps ``digestbot --help`` and the
offline path free of Slack's and Discord's libraries.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any

import digestbot.adapters
from digestbot.bot.config import ConfigError, PlatformSettings, load_platform_settings
from digestbot.bot.ports import BotServices, ChatAdapter, ChatPlatform, Outlet, Transport

# Platforms added at run time (a test double), by name -> module holding ``PLATFORM``.
EXTRA_PLATFORMS: dict[str, str] = {}


def known_platforms() -> dict[str, str]:
    """Platform name -> the module that holds its ``PLATFORM``."""
    found = {
        module.name: f"digestbot.adapters.{module.name}"
        for module in pkgutil.iter_modules(digestbot.adapters.__path__)
        if module.ispkg
    }
    return {**found, **EXTRA_PLATFORMS}


def register_platform(name: str, module: str) -> None:
    """Add a platform that lives outside ``digestbot.adapters`` (a test double) under ``name``."""
    EXTRA_PLATFORMS[name] = module


def load_platform(name: str) -> ChatPlatform[Any]:
    known = known_platforms()
    if name not in known:
        raise ConfigError(f"Unknown platform '{name}'; use one of: {', '.join(sorted(known))}.")
    platform: ChatPlatform[Any] = importlib.import_module(known[name]).PLATFORM
    return platform


@dataclass(frozen=True)
class ReadyPlatform:
    """A platform with its settings read and checked: what ``digestbot run`` and ``post`` build."""

    platform: ChatPlatform[Any]
    settings: PlatformSettings

    @property
    def name(self) -> str:
        return self.platform.name

    def create_adapter(self, services: BotServices) -> ChatAdapter:
        return self.platform.create_adapter(self.settings, services)

    def create_transport(self) -> Transport:
        return self.platform.create_transport(self.settings)

    def outlet(self, transport: Transport) -> Outlet:
        """What delivery posts through: ``transport`` and this platform's digest layout."""
        return Outlet(transport, self.platform.render_digest)


def platform_settings(name: str) -> ReadyPlatform:
    """One platform with its variables read (a bad value is a :class:`ConfigError` naming it)."""
    platform = load_platform(name)
    return ReadyPlatform(platform, load_platform_settings(platform.settings))


def configured_platforms() -> list[ReadyPlatform]:
    """The platforms whose credentials are set, checked: a platform given some of what it needs
    but not all (or a token of the wrong kind) stops start-up with a message naming what is
    missing, instead of the bot starting silently without it."""
    ready = []
    for name in sorted(known_platforms()):
        candidate = platform_settings(name)
        if not candidate.settings.is_set():
            continue
        problems = candidate.settings.problems()
        if problems:
            raise ConfigError(f"{name} is only partly configured: " + " ".join(problems))
        ready.append(candidate)
    return ready


def configured_names() -> list[str]:
    """The names of the platforms whose credentials are set (unchecked: for scheduling)."""
    return [name for name in sorted(known_platforms()) if platform_settings(name).settings.is_set()]


def platform_secrets() -> list[str]:
    """Every platform's secret values, for log redaction (a platform with a bad value is left
    out here: start-up stops on it with its own message)."""
    secrets = []
    for name in known_platforms():
        try:
            secrets += platform_settings(name).settings.secrets()
        except ConfigError:
            continue
    return secrets


def platform_variables() -> list[str]:
    """Every platform's environment variables (documented in ``.env.example``)."""
    return [variable for name in known_platforms() for variable in load_platform(name).settings.variables()]
