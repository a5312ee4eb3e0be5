"""Connecting the Bolt app to Slack: Socket Mode or HTTP mode (``POST /slack/events``).

Socket Mode (``SLACK_APP_TOKEN``) dials out over a WebSocket, so a bot behind a firewall
needs no public URL. HTTP mode (``SLACK_SIGNING_SECRET``) serves ``/slack/events`` on the
runtime's web server (which also serves ``/healthz``). Every request is checked on its raw
bytes before Bolt parses it (:mod:`digestbot.adapters.slack.inbound`): too large → 413, not
signed by Slack within five minutes → 401, a malformed timestamp or body → 400; none of them
reaches a listener or logs more than one line.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from digestbot.adapters.slack.app import SlackBot
from digestbot.adapters.slack.transport import NETWORK_ERRORS, PERMANENT_ERRORS, SlackTransport
from digestbot.bot.config import ConfigError

if TYPE_CHECKING:
    from aiohttp import web
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


class SlackAdapter:
    """``bot.ports.ChatAdapter`` for Slack."""

    platform = "slack"

    def __init__(self, *, bot: SlackBot, app_token: str | None, signing_secret: str | None) -> None:
        self.bot = bot
        self.transport: SlackTransport = bot.transport
        self._app_token = app_token
        # HTTP mode needs the secret (create_adapter says so by name); an empty one raises here.
        self._verifier = None if app_token else SignatureVerifier(signing_secret or "")
        self._socket: AsyncSocketModeHandler | None = None

    @property
    def mode(self) -> str:
        return "socket" if self._app_token else "http"

    def install_routes(self, app: web.Application) -> None:
        if self.mode == "http":
            app.router.add_post(EVENTS_PATH, self.handle_http)

    async def handle_http(self, request: web.Request) -> web.Response:
        from aiohttp import web
        from slack_bolt.adapter.aiohttp import to_aiohttp_response

        from digestbot.adapters.slack.inbound import Rejection, checked_request

        assert self._verifier is not None, "the route exists in HTTP mode only"
        checked = await checked_request(request, verifier=self._verifier)
        if isinstance(checked, Rejection):
            log.info("Refused a request to %s with HTTP %d: %s", EVENTS_PATH, checked.status, checked.reason)
            return web.Response(status=checked.status, text=checked.reason)
        return await to_aiohttp_response(await self.bot.app.async_dispatch(checked))

    async def start(self) -> None:
        """Check the bot token (a wrong one fails here, naming the variable), then connect."""
        await self._check_token()
        if self._app_token:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.bot.app, self._app_token)
            await self._socket.connect_async()
        log.info("Slack adapter started in %s mode.", self.mode)

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        await self.bot.drain()

    async def _check_token(self) -> None:
        try:
            await self.bot.client.auth_test()
        except SlackApiError as error:
            code = error.response.get("error") if isinstance(error.response.data, dict) else None
            if code in PERMANENT_ERRORS:
                raise ConfigError(
                    f"SLACK_BOT_TOKEN was rejected by Slack ({code}); copy the Bot User OAuth Token (xoxb-…) "
                    "from the app's OAuth & Permissions page."
                ) from None
            log.warning("Slack auth.test failed (%s); continuing, the next calls will retry.", code)
        except NETWORK_ERRORS as error:
            log.warning("Slack is unreachable (%s); continuing, the next calls will retry.", type(error).__name__)
