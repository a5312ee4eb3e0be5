"""The chat platforms this build knows, by name; each is an adapter package loaded on demand.

Loading by name keeps ``digestbot --help`` and the offline path free of Slack's and Discord's
libraries. Each adapter package exposes ``create_adapter(settings, services)`` and
``create_transport(settings)``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from digestbot.bot.config import ConfigError, Settings


def _slack_configured(settings: Settings) -> bool:
    has_mode = settings.slack_app_token is not None or settings.slack_signing_secret is not None
    return settings.slack_bot_token is not None and has_mode


@dataclass(frozen=True)
class Platform:
    """An adapter package by import path, and whether the settings configure it (its tokens)."""

    module: str
    configured: Callable[[Settings], bool]


PLATFORMS: dict[str, Platform] = {
    "slack": Platform("digestbot.adapters.slack", _slack_configured),
    "discord": Platform("digestbot.adapters.discord", lambda settings: settings.discord_token is not None),
}


def register_platform(name: str, module: str, *, configured: Callable[[Settings], bool]) -> None:
    """Add a platform (another adapter package, or a test double) under ``name``."""
    PLATFORMS[name] = Platform(module, configured)


def load_platform(name: str) -> ModuleType:
    if name not in PLATFORMS:
        raise ConfigError(f"Unknown platform '{name}'; use one of: {', '.join(sorted(PLATFORMS))}.")
    return importlib.import_module(PLATFORMS[name].module)


def configured_platforms(settings: Settings) -> list[str]:
    return [name for name, platform in PLATFORMS.items() if platform.configured(settings)]
