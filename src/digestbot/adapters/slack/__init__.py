"""The Slack adapter: Bolt's async app, Block Kit rendering and the Web API transport.

The composition root finds :data:`PLATFORM` by the package's name and calls its
``create_adapter`` (``digestbot run``) or ``create_transport`` (``digestbot post``, Web API only).
Slack libraries are imported inside them, so importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from digestbot.adapters.platform import declare_platform
from digestbot.adapters.slack.settings import SlackSettings
from digestbot.bot.config import ConfigError, ready_secret

if TYPE_CHECKING:
    from digestbot.adapters.slack.runner import SlackAdapter
    from digestbot.adapters.slack.transport import SlackTransport
    from digestbot.bot.ports import BotServices

__all__ = ["PLATFORM", "SlackSettings", "create_adapter", "create_transport"]


def create_transport(settings: SlackSettings) -> SlackTransport:
    from digestbot.adapters.slack.transport import SlackTransport, build_clients

    client, post_client = build_clients(token=_bot_token(settings), base_url=settings.api_url)
    return SlackTransport(client=client, post_client=post_client)


def create_adapter(settings: SlackSettings, services: BotServices) -> SlackAdapter:
    """Socket Mode when ``SLACK_APP_TOKEN`` is set, else HTTP mode with ``SLACK_SIGNING_SECRET``."""
    from digestbot.adapters.slack.app import SlackBot
    from digestbot.adapters.slack.runner import SlackAdapter

    problems = settings.problems()
    if problems:
        raise ConfigError(" ".join(problems))
    app_token = settings.app_token.get_secret_value() if settings.app_token else None
    secret = settings.signing_secret.get_secret_value() if settings.signing_secret else None
    transport = create_transport(settings)
    bot = SlackBot(services=services, transport=transport, client=transport.client, signing_secret=secret or "")
    return SlackAdapter(bot=bot, app_token=app_token, signing_secret=secret)


def _bot_token(settings: SlackSettings) -> str:
    """The bot token alone is enough for the Web API transport (``digestbot post``)."""
    problem = settings.bot_token_problem()
    return ready_secret(settings.bot_token, problems=[problem] if problem else [], variable="SLACK_BOT_TOKEN")


PLATFORM = declare_platform(
    __name__, settings=SlackSettings, create_adapter=create_adapter, create_transport=create_transport
)
