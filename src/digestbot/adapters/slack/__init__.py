"""The Slack adapter: Bolt's async app, Block Kit rendering and the Web API transport.

The composition root finds :data:`PLATFORM` by the package's name and calls its
``create_adapter`` (``digestbot run``) or ``create_transport`` (``digestbot post``, Web API only).
Slack libraries are imported inside them, so importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from digestbot.adapters.slack.settings import SlackSettings
from digestbot.bot.config import ConfigError
from digestbot.bot.ports import ChatPlatform

if TYPE_CHECKING:
    from collections.abc import Sequence

    from digestbot.adapters.slack.runner import SlackAdapter
    from digestbot.adapters.slack.transport import SlackTransport
    from digestbot.bot.ports import BotServices, OutgoingMessage
    from digestbot.summarizer.models import Digest
    from digestbot.summarizer.trends import CategoryTrend

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
    problem = settings.bot_token_problem()
    if problem or settings.bot_token is None:
        raise ConfigError(problem or "SLACK_BOT_TOKEN is not set.")
    return settings.bot_token.get_secret_value()


def render_digest(
    digest: Digest, chart_png: bytes, *, detail: str = "full", trends: Sequence[CategoryTrend] = ()
) -> list[OutgoingMessage]:
    """Slack's layout of a digest (Block Kit), brief or full, imported when a digest is first posted."""
    from digestbot.adapters.slack.brief import render_brief
    from digestbot.adapters.slack.render import render_digest as render

    return render_brief(digest, chart_png, trends=tuple(trends)) if detail == "brief" else render(digest, chart_png)


PLATFORM = ChatPlatform(
    name="slack",
    settings=SlackSettings,
    create_adapter=create_adapter,
    create_transport=create_transport,
    render_digest=render_digest,
)
