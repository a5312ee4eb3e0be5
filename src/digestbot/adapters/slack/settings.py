"""Slack's variables (``SLACK_*``) and what a usable combination of them is."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from digestbot.bot.config import PlatformSettings

BOT_TOKEN_HELP = "copy the Bot User OAuth Token (xoxb-…) from your Slack app's OAuth & Permissions page"


class SlackSettings(PlatformSettings):
    """Socket Mode when ``SLACK_APP_TOKEN`` is set, else HTTP mode with ``SLACK_SIGNING_SECRET``."""

    model_config = SettingsConfigDict(env_prefix="SLACK_")

    bot_token: SecretStr | None = None
    app_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    api_url: str = "https://slack.com/api/"

    def bot_token_problem(self) -> str | None:
        """Why the bot token cannot post (missing, or another kind of token), if it cannot."""
        if self.bot_token is None:
            return f"SLACK_BOT_TOKEN is not set; {BOT_TOKEN_HELP}."
        token = self.bot_token.get_secret_value()
        if not token.startswith("xoxb-"):
            kind = " (this is an app-level xapp- token)" if token.startswith("xapp-") else ""
            return f"SLACK_BOT_TOKEN must be a bot token starting with xoxb-{kind}."
        return None

    def problems(self) -> list[str]:
        found = [problem] if (problem := self.bot_token_problem()) else []
        app_token = self.app_token.get_secret_value() if self.app_token else None
        if app_token is not None and not app_token.startswith("xapp-"):
            kind = " (this is a bot xoxb- token)" if app_token.startswith("xoxb-") else ""
            found.append(
                f"SLACK_APP_TOKEN must be an app-level token starting with xapp- (scope connections:write){kind}."
            )
        if app_token is None and self.signing_secret is None:
            found.append(
                "Slack needs SLACK_APP_TOKEN (Socket Mode, no public URL) or SLACK_SIGNING_SECRET "
                "(HTTP mode: Slack calls /slack/events on PORT)."
            )
        return found
