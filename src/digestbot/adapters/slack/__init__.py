"""The Slack adapter: Bolt's async app, Block Kit rendering and the Web API transport.

The runtime loads this package by name and calls :func:`create_adapter` (``digestbot run``) or
:func:`create_transport` (``digestbot post``, Web API only). Slack libraries are imported
inside them, so importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from digestbot.bot.config import ConfigError

if TYPE_CHECKING:
    from digestbot.adapters.slack.runner import SlackAdapter
    from digestbot.adapters.slack.transport import SlackTransport
    from digestbot.bot.config import Settings
    from digestbot.bot.ports import BotServices

__all__ = ["create_adapter", "create_transport"]


def create_transport(settings: Settings) -> SlackTransport:
    from digestbot.adapters.slack.transport import SlackTransport, build_clients

    client, post_client = build_clients(token=_bot_token(settings), base_url=settings.slack_api_url)
    return SlackTransport(client=client, post_client=post_client)


def create_adapter(settings: Settings, services: BotServices) -> SlackAdapter:
    """Socket Mode when ``SLACK_APP_TOKEN`` is set, else HTTP mode with ``SLACK_SIGNING_SECRET``."""
    from digestbot.adapters.slack.app import SlackBot
    from digestbot.adapters.slack.runner import SlackAdapter

    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    if app_token is not None and not app_token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with xapp- (scope connections:write).")
    if app_token is None and not secret:
        raise ConfigError(
            "Slack needs SLACK_APP_TOKEN (Socket Mode, no public URL) or SLACK_SIGNING_SECRET "
            "(HTTP mode: Slack calls /slack/events on PORT)."
        )
    transport = create_transport(settings)
    bot = SlackBot(services=services, transport=transport, client=transport.client, signing_secret=secret or "")
    return SlackAdapter(bot=bot, app_token=app_token, signing_secret=secret)


def _bot_token(settings: Settings) -> str:
    if settings.slack_bot_token is None:
        raise ConfigError(
            "SLACK_BOT_TOKEN is not set; copy the Bot User OAuth Token (xoxb-…) from your Slack app's "
            "OAuth & Permissions page."
        )
    token = settings.slack_bot_token.get_secret_value()
    if not token.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-.")
    return token
