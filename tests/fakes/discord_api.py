"""A local Discord REST API over real HTTP, for driving the real ``discord.py`` client offline.

Point the client at it with ``discord.http.Route.BASE = fake.api_url`` (what our adapter does with
``DISCORD_API_URL``); interaction callbacks and follow-up webhooks build on the same base, so the
whole command path runs against it without a gateway.

Served under ``/api/v10`` (every response ``Content-Type: application/json`` exactly, because
discord.py only parses bodies whose header is that exact string):

- ``GET /users/@me``, ``GET /oauth2/applications/@me`` — what ``Client.login`` asks; the token must
  be ``Bot <FakeDiscord.token>``, else 401.
- ``GET /gateway`` and ``GET /gateway/bot`` — ``ws://…/ws`` on this server: a minimal gateway
  (HELLO, IDENTIFY → READY, heartbeat ACKs, uncompressed JSON text frames) that records what the
  client sent in :attr:`FakeDiscord.gateway_received` and pushes events with
  :meth:`FakeDiscord.push`; with ``privileged_intents=False`` an IDENTIFY asking for Message Content
  is closed with code 4014, as Discord does when the intent is not enabled for the application.
- ``GET /channels/{id}`` — a channel added with :meth:`FakeDiscord.add_channel` or a thread.
- ``POST /channels/{id}/messages`` — JSON or multipart (``payload_json`` + ``files[n]``). With
  ``enforce_nonce`` a repeated ``nonce`` from the same author returns the SAME message, as Discord
  does (the fake remembers nonces forever; Discord for "a few minutes").
- ``GET /channels/{id}/messages?after=&before=&limit=`` — history, newest first like Discord.
  History never carries ``nonce`` (Discord keeps it only briefly), so markers must be elsewhere.
- ``GET /channels/{id}/messages/{mid}``.
- ``POST /channels/{id}/messages/{mid}/threads`` — a public thread whose id is the message's id;
  a second one for the same message is refused with code 160004, like Discord.
- ``POST /channels/{id}/typing``.
- ``POST /interactions/{id}/{token}/callback`` — types 4 (message), 5 (deferred: a "thinking"
  original), 8 (autocomplete); a second callback is refused with code 40060. Register the
  interaction first (:meth:`FakeDiscord.interaction`) so the fake knows its channel.
- ``POST /webhooks/{app}/{token}`` — follow-ups; the first one after a deferral fills the
  loading original instead of creating a message, as Discord does. Flag 64 = ephemeral
  (kept out of channel history).
- ``GET|PATCH|DELETE /webhooks/{app}/{token}/messages/{mid|@original}``.
- ``GET|PUT /applications/{app}/commands`` and ``/applications/{app}/guilds/{guild}/commands``;
  a PUT is checked as Discord does (names, descriptions, at most 25 options or subcommands per
  level, unique names) and refused with 400 code 50035 otherwise.

Unknown channels answer 404 code 10003; channels added with ``forbidden=True`` answer 403 code
50001 (Missing Access). Scripted faults: :meth:`FakeDiscord.fail` (any status and body),
:meth:`FakeDiscord.rate_limit` (429 with ``retry_after`` JSON, ``Retry-After``/``X-RateLimit-*``
headers and the ``Via`` header that tells discord.py it is Discord, not a Cloudflare ban).

Every request is recorded in :attr:`FakeDiscord.requests` with its decoded JSON payload (the
``payload_json`` part for multipart), the uploaded files and its arrival time (``time.monotonic()``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from aiohttp import web

API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1_420_070_400_000
EPHEMERAL = 1 << 6
LOADING = 1 << 7
HAS_THREAD = 1 << 5
MANAGE_CHANNELS = 1 << 4
MESSAGE_CONTENT = 1 << 15  # the privileged gateway intent
DEFAULT_MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 38)


@dataclass(frozen=True)
class UploadedFile:
    field: str
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake saw it. ``payload`` is the decoded JSON (``None`` without a body)."""

    method: str
    path: str
    query: dict[str, str]
    payload: Any
    files: tuple[UploadedFile, ...]
    authorized: bool
    at: float

    @property
    def creates_message(self) -> bool:
        """A request whose payload becomes a visible message (the ones ``allowed_mentions`` matters for)."""
        if self.method == "POST" and re.fullmatch(r"/channels/\d+/messages|/webhooks/\d+/[^/]+", self.path):
            return True
        if self.method == "PATCH" and self.path.startswith("/webhooks/"):
            return True
        return self.path.endswith("/callback") and isinstance(self.payload, dict) and self.payload.get("type") == 4


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: Any
    headers: dict[str, str]
    times: int


@dataclass
class _Interaction:
    id: str
    token: str
    channel_id: str
    guild_id: str | None
    responded: bool = False
    original_id: str | None = None


@dataclass
class _Channel:
    data: dict[str, Any]
    forbidden: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)
    nonces: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


class FakeDiscord:
    """The fake Discord REST API; use it as a context manager (it serves from its own thread)."""

    def __init__(
        self,
        *,
        token: str = "discord-test-token",
        bot_id: int = 900_000_000_000_000_001,
        application_id: int = 900_000_000_000_000_002,
        bot_name: str = "digestbot",
        privileged_intents: bool = True,
    ) -> None:
        self.token = token
        self.bot_id = str(bot_id)
        self.application_id = str(application_id)
        self.bot_name = bot_name
        self.requests: list[RecordedRequest] = []
        self.channels: dict[str, _Channel] = {}
        self.commands: dict[str | None, list[dict[str, Any]]] = {}
        self.interactions: dict[str, _Interaction] = {}
        self.privileged_intents = privileged_intents
        self.gateway_received: list[dict[str, Any]] = []
        self._sockets: list[web.WebSocketResponse] = []
        self._sequence = itertools.count(1)
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-discord", daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> FakeDiscord:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    async def _start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/ws", self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def push(self, event: str, data: dict[str, Any]) -> None:
        """Send a dispatch (``op`` 0) such as ``INTERACTION_CREATE`` to every connected client."""
        frame = {"op": 0, "t": event, "s": next(self._sequence), "d": data}
        for socket in list(self._sockets):
            asyncio.run_coroutine_threadsafe(socket.send_json(frame), self._loop).result(timeout=5)

    # -- set-up and scripting ----------------------------------------------------------------

    def add_channel(
        self,
        channel_id: int,
        *,
        guild_id: int | None = 700_000_000_000_000_001,
        name: str = "papers",
        forbidden: bool = False,
    ) -> str:
        """A guild text channel (or a DM channel with ``guild_id=None``)."""
        key = str(channel_id)
        data: dict[str, Any] = {
            "id": key,
            "type": 0 if guild_id else 1,
            "name": name,
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "rate_limit_per_user": 0,
            "topic": None,
            "last_message_id": None,
        }
        if guild_id:
            data["guild_id"] = str(guild_id)
        else:
            data["recipients"] = []
        self.channels[key] = _Channel(data=data, forbidden=forbidden)
        return key

    def fail(
        self,
        method: str,
        path_pattern: str,
        *,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests matching ``method`` and the path regex with ``status``."""
        self._faults.append(_Fault(method, re.compile(path_pattern), status, body, headers or {}, times))

    def rate_limit(self, method: str, path_pattern: str, *, retry_after: float = 0.05, times: int = 1) -> None:
        """Discord's per-route 429, with the JSON body and headers discord.py reads."""
        headers = {
            "Retry-After": str(retry_after),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": str(retry_after),
            "X-RateLimit-Bucket": "fake-bucket",
            "X-RateLimit-Scope": "user",
            "Via": "1.1 google",
        }
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
        self.fail(method, path_pattern, status=429, body=body, headers=headers, times=times)

    def interaction(
        self,
        *,
        channel_id: int,
        guild_id: int | None = 700_000_000_000_000_001,
        user_id: int = 500_000_000_000_000_001,
        permissions: int = DEFAULT_MEMBER_PERMISSIONS,
        command: str = "digest",
        options: list[dict[str, Any]] | None = None,
        autocomplete: bool = False,
        channel_type: int = 0,
        parent_id: int | None = None,
        created_at: dt.datetime | None = None,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload for an application command, registered with the fake."""
        interaction_id = str(self.snowflake(created_at))
        token = f"interaction-token-{interaction_id}"
        # Discord sends the channel the command was used in, with the member's permissions there.
        channel: dict[str, Any] = {
            "id": str(channel_id),
            "type": channel_type,
            "name": "papers",
            "permissions": str(permissions),
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "rate_limit_per_user": 0,
            "topic": None,
            "last_message_id": None,
            "flags": 0,
        }
        if guild_id:
            channel["guild_id"] = str(guild_id)
        if parent_id is not None:
            channel.update(
                parent_id=str(parent_id),
                owner_id=self.bot_id,
                message_count=0,
                member_count=1,
                thread_metadata={
                    "archived": False,
                    "auto_archive_duration": 1440,
                    "locked": False,
                    "archive_timestamp": _iso(dt.datetime.now(dt.UTC)),
                },
            )
        user = {"id": str(user_id), "username": "reader", "discriminator": "0", "global_name": "Reader", "avatar": None}
        payload: dict[str, Any] = {
            "id": interaction_id,
            "application_id": self.application_id,
            "type": 4 if autocomplete else 2,
            "token": token,
            "version": 1,
            "channel_id": str(channel_id),
            "channel": channel,
            "data": {"id": "800000000000000001", "name": command, "type": 1, "options": options or []},
            "app_permissions": str(DEFAULT_MEMBER_PERMISSIONS),
            "locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id or 0)},
            "context": 0 if guild_id else 1,
            "attachment_size_limit": 26_214_400,
        }
        if guild_id:
            payload["guild_id"] = str(guild_id)
            payload["guild_locale"] = "en-US"
            payload["member"] = {
                "user": user,
                "roles": [],
                "joined_at": _iso(dt.datetime.now(dt.UTC)),
                "deaf": False,
                "mute": False,
                "flags": 0,
                "permissions": str(permissions),
            }
        else:
            payload["user"] = user
        self.interactions[token] = _Interaction(
            interaction_id, token, str(channel_id), str(guild_id) if guild_id else None
        )
        return payload

    def message_event(
        self,
        *,
        channel_id: int,
        content: str,
        guild_id: int | None = 700_000_000_000_000_001,
        author_id: int = 500_000_000_000_000_001,
        bot: bool = False,
        mentions_bot: bool = False,
    ) -> dict[str, Any]:
        """A MESSAGE_CREATE payload as the gateway would deliver it (also stored in the channel)."""
        author = {
            "id": str(author_id),
            "username": "reader",
            "discriminator": "0",
            "global_name": "Reader",
            "avatar": None,
            "bot": bot,
        }
        mentions = [self._bot_user()] if mentions_bot else []
        message = self._message(str(channel_id), author=author, content=content)
        message["mentions"] = mentions
        if guild_id:
            message["guild_id"] = str(guild_id)
            message["member"] = {
                "roles": [],
                "joined_at": _iso(dt.datetime.now(dt.UTC)),
                "deaf": False,
                "mute": False,
                "flags": 0,
            }
        self.channels.setdefault(str(channel_id), _Channel(data={"id": str(channel_id), "type": 0}))
        self.channels[str(channel_id)].messages.append(message)
        return message

    def snowflake(self, at: dt.datetime | None = None) -> int:
        """A Discord id for ``at`` (now by default); ids grow with time, as find-by-time relies on."""
        moment = at or dt.datetime.now(dt.UTC)
        milliseconds = int(moment.timestamp() * 1000) - DISCORD_EPOCH_MS
        return (milliseconds << 22) | (next(self._counter) & 0x3FFFFF)

    # -- reading what happened ---------------------------------------------------------------

    def requests_to(self, method: str, path_pattern: str) -> list[RecordedRequest]:
        pattern = re.compile(path_pattern)
        with self._lock:
            return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]

    def messages_in(self, channel_id: int | str) -> list[dict[str, Any]]:
        channel = self.channels.get(str(channel_id))
        return list(channel.messages) if channel else []

    # -- the HTTP side -----------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        path = request.path.removeprefix(API_PREFIX)
        payload, files = await _read_body(request)
        authorized = request.headers.get("Authorization") == f"Bot {self.token}"
        recorded = RecordedRequest(
            request.method, path, dict(request.query), payload, files, authorized, time.monotonic()
        )
        with self._lock:
            self.requests.append(recorded)
        fault = self._take_fault(request.method, path)
        if fault is not None:
            return _json(fault.body, status=fault.status, headers=fault.headers)
        public = path.startswith(("/webhooks/", "/interactions/"))
        if not public and not authorized:
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        for method, pattern, handler in self._routes():
            match = pattern.fullmatch(path)
            if method == request.method and match:
                return handler(recorded, *match.groups())
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _routes(self) -> list[tuple[str, re.Pattern[str], Any]]:
        table = [
            ("GET", r"/users/@me", lambda r: _json(self._bot_user())),
            ("GET", r"/oauth2/applications/@me", lambda r: _json(self._application())),
            ("GET", r"/gateway", lambda r: _json({"url": self.gateway_url})),
            ("GET", r"/gateway/bot", self._gateway_bot),
            ("GET", r"/channels/(\d+)", self._get_channel),
            ("POST", r"/channels/(\d+)/messages", self._create_message),
            ("GET", r"/channels/(\d+)/messages", self._history),
            ("GET", r"/channels/(\d+)/messages/(\d+)", self._get_message),
            ("POST", r"/channels/(\d+)/messages/(\d+)/threads", self._create_thread),
            ("POST", r"/channels/(\d+)/typing", lambda r, c: web.Response(status=204)),
            ("POST", r"/interactions/(\d+)/([^/]+)/callback", self._callback),
            ("POST", r"/webhooks/(\d+)/([^/]+)", self._followup),
            ("GET", r"/webhooks/(\d+)/([^/]+)/messages/([^/]+)", self._get_webhook_message),
            ("PATCH", r"/webhooks/(\d+)/([^/]+)/messages/([^/]+)", self._edit_webhook_message),
            ("DELETE", r"/webhooks/(\d+)/([^/]+)/messages/([^/]+)", self._delete_webhook_message),
            ("GET", r"/applications/(\d+)/commands", lambda r, a: _json(self.commands.get(None, []))),
            ("PUT", r"/applications/(\d+)/commands", lambda r, a: self._put_commands(r, None)),
            ("GET", r"/applications/(\d+)/guilds/(\d+)/commands", lambda r, a, g: _json(self.commands.get(g, []))),
            ("PUT", r"/applications/(\d+)/guilds/(\d+)/commands", lambda r, a, g: self._put_commands(r, g)),
        ]
        return [(method, re.compile(pattern), handler) for method, pattern, handler in table]

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 41_250}, "s": None, "t": None})
        async for frame in socket:
            message = json.loads(frame.data)
            self.gateway_received.append(message)
            if message["op"] == 1:
                await socket.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif message["op"] == 2 and message["d"]["intents"] & MESSAGE_CONTENT and not self.privileged_intents:
                await socket.close(code=4014, message=b"Disallowed intent(s).")
            elif message["op"] == 2:
                self._sockets.append(socket)
                ready = {
                    "v": 10,
                    "user": self._bot_user(),
                    "guilds": [],
                    "session_id": "fake-session",
                    "resume_gateway_url": self.gateway_url,
                    "application": {"id": self.application_id, "flags": 0},
                }
                await socket.send_json({"op": 0, "t": "READY", "s": next(self._sequence), "d": ready})
        if socket in self._sockets:
            self._sockets.remove(socket)
        return socket

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method == method and fault.pattern.fullmatch(path) and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    def _gateway_bot(self, _: RecordedRequest) -> web.Response:
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    def _channel(self, channel_id: str) -> _Channel | web.Response:
        channel = self.channels.get(channel_id)
        if channel is None:
            return _json({"message": "Unknown Channel", "code": 10003}, status=404)
        if channel.forbidden:
            return _json({"message": "Missing Access", "code": 50001}, status=403)
        return channel

    def _get_channel(self, _: RecordedRequest, channel_id: str) -> web.Response:
        channel = self._channel(channel_id)
        return channel if isinstance(channel, web.Response) else _json(channel.data)

    def _create_message(self, request: RecordedRequest, channel_id: str) -> web.Response:
        channel = self._channel(channel_id)
        if isinstance(channel, web.Response):
            return channel
        body = request.payload or {}
        nonce = body.get("nonce")
        key = (self.bot_id, str(nonce))
        if nonce is not None and body.get("enforce_nonce") and key in channel.nonces:
            return _json(channel.nonces[key])
        message = self._message(channel_id, author=self._bot_user(), content=body.get("content") or "")
        message.update(embeds=body.get("embeds") or [], attachments=self._attachments(request), nonce=nonce)
        channel.messages.append(message)
        if nonce is not None:
            channel.nonces[key] = message
        return _json(message)

    def _history(self, request: RecordedRequest, channel_id: str) -> web.Response:
        channel = self._channel(channel_id)
        if isinstance(channel, web.Response):
            return channel
        visible = [m for m in channel.messages if not m["flags"] & EPHEMERAL]
        limit = int(request.query.get("limit", "50"))
        if "after" in request.query:
            after = int(request.query["after"])
            chosen = [m for m in visible if int(m["id"]) > after][:limit]
        else:
            before = int(request.query.get("before", str(2**63)))
            chosen = [m for m in visible if int(m["id"]) < before][-limit:]
        return _json([{k: v for k, v in m.items() if k != "nonce"} for m in reversed(chosen)])

    def _get_message(self, _: RecordedRequest, channel_id: str, message_id: str) -> web.Response:
        channel = self._channel(channel_id)
        if isinstance(channel, web.Response):
            return channel
        found = next((m for m in channel.messages if m["id"] == message_id), None)
        return _json(found) if found else _json({"message": "Unknown Message", "code": 10008}, status=404)

    def _create_thread(self, request: RecordedRequest, channel_id: str, message_id: str) -> web.Response:
        channel = self._channel(channel_id)
        if isinstance(channel, web.Response):
            return channel
        parent = next((m for m in channel.messages if m["id"] == message_id), None)
        if parent is None:
            return _json({"message": "Unknown Message", "code": 10008}, status=404)
        if message_id in self.channels:
            return _json({"message": "A thread has already been created for this message", "code": 160004}, status=400)
        body = request.payload or {}
        thread = {
            "id": message_id,
            "type": 11,
            "guild_id": channel.data.get("guild_id"),
            "parent_id": channel_id,
            "owner_id": self.bot_id,
            "name": body.get("name", ""),
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "rate_limit_per_user": 0,
            "flags": 0,
            "last_message_id": None,
            "thread_metadata": {
                "archived": False,
                "locked": False,
                "auto_archive_duration": body.get("auto_archive_duration", 4320),
                "archive_timestamp": _iso(dt.datetime.now(dt.UTC)),
            },
        }
        self.channels[message_id] = _Channel(data=thread)
        parent["flags"] |= HAS_THREAD
        parent["thread"] = thread
        return _json(thread, status=201)

    def _callback(self, request: RecordedRequest, interaction_id: str, token: str) -> web.Response:
        interaction = self.interactions.get(token)
        if interaction is None or interaction.id != interaction_id:
            return _json({"message": "Unknown interaction", "code": 10062}, status=404)
        if interaction.responded:
            return _json({"message": "Interaction has already been acknowledged.", "code": 40060}, status=400)
        interaction.responded = True
        body = request.payload or {}
        kind, data = body.get("type"), body.get("data") or {}
        result: dict[str, Any] = {"interaction": {"id": interaction_id, "type": 2}, "resource": {"type": kind}}
        if kind in (4, 5):
            flags = (data.get("flags") or 0) | (LOADING if kind == 5 else 0)
            message = self._message(
                interaction.channel_id, author=self._bot_user(), content=data.get("content") or "", flags=flags
            )
            message.update(
                embeds=data.get("embeds") or [], attachments=self._attachments(request), webhook_id=self.application_id
            )
            self._store(interaction.channel_id, message)
            interaction.original_id = message["id"]
            result["interaction"].update(
                response_message_id=message["id"],
                response_message_loading=kind == 5,
                response_message_ephemeral=bool(flags & EPHEMERAL),
            )
            result["resource"]["message"] = message
        return _json(result)

    def _followup(self, request: RecordedRequest, _: str, token: str) -> web.Response:
        interaction = self.interactions.get(token)
        if interaction is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, status=404)
        body = request.payload or {}
        original = self._original(interaction)
        if original is not None and original["flags"] & LOADING:
            message = original
            message["flags"] &= ~LOADING
        else:
            message = self._message(
                interaction.channel_id, author=self._bot_user(), content="", flags=body.get("flags") or 0
            )
            message["webhook_id"] = self.application_id
            self._store(interaction.channel_id, message)
        message.update(
            content=body.get("content") or "", embeds=body.get("embeds") or [], attachments=self._attachments(request)
        )
        return _json(message)

    def _original(self, interaction: _Interaction) -> dict[str, Any] | None:
        if interaction.original_id is None:
            return None
        return next((m for m in self.messages_in(interaction.channel_id) if m["id"] == interaction.original_id), None)

    def _webhook_message(self, token: str, message_id: str) -> dict[str, Any] | web.Response:
        interaction = self.interactions.get(token)
        if interaction is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, status=404)
        wanted = interaction.original_id if message_id == "@original" else message_id
        found = next((m for m in self.messages_in(interaction.channel_id) if m["id"] == wanted), None)
        return found or _json({"message": "Unknown Message", "code": 10008}, status=404)

    def _get_webhook_message(self, _: RecordedRequest, __: str, token: str, message_id: str) -> web.Response:
        found = self._webhook_message(token, message_id)
        return found if isinstance(found, web.Response) else _json(found)

    def _edit_webhook_message(self, request: RecordedRequest, _: str, token: str, message_id: str) -> web.Response:
        found = self._webhook_message(token, message_id)
        if isinstance(found, web.Response):
            return found
        body = request.payload or {}
        found["flags"] &= ~LOADING
        for key in ("content", "embeds"):
            if key in body:
                found[key] = body[key]
        if request.files:
            found["attachments"] = self._attachments(request)
        return _json(found)

    def _delete_webhook_message(self, _: RecordedRequest, __: str, token: str, message_id: str) -> web.Response:
        found = self._webhook_message(token, message_id)
        if isinstance(found, web.Response):
            return found
        channel = self.channels[found["channel_id"]]
        channel.messages = [m for m in channel.messages if m is not found]
        return web.Response(status=204)

    def _put_commands(self, request: RecordedRequest, guild_id: str | None) -> web.Response:
        problems = [p for command in request.payload or [] for p in command_problems(command)]
        if problems:
            return _json({"message": "Invalid Form Body", "code": 50035, "errors": problems}, status=400)
        stored = []
        for command in request.payload or []:
            entry = {**command, "id": str(self.snowflake()), "application_id": self.application_id, "version": "1"}
            if guild_id:
                entry["guild_id"] = guild_id
            stored.append(entry)
        self.commands[guild_id] = stored
        return _json(stored)

    # -- object builders ---------------------------------------------------------------------

    def _store(self, channel_id: str, message: dict[str, Any]) -> None:
        self.channels.setdefault(channel_id, _Channel(data={"id": channel_id, "type": 0})).messages.append(message)

    def _message(self, channel_id: str, *, author: dict[str, Any], content: str, flags: int = 0) -> dict[str, Any]:
        return {
            "id": str(self.snowflake()),
            "channel_id": channel_id,
            "type": 0,
            "content": content,
            "author": author,
            "attachments": [],
            "embeds": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": _iso(dt.datetime.now(dt.UTC)),
            "edited_timestamp": None,
            "flags": flags,
            "components": [],
        }

    def _attachments(self, request: RecordedRequest) -> list[dict[str, Any]]:
        return [
            {
                "id": str(self.snowflake()),
                "filename": f.filename,
                "size": f.size,
                "content_type": f.content_type,
                "url": f"https://cdn.example.invalid/{f.filename}",
                "proxy_url": f"https://cdn.example.invalid/{f.filename}",
            }
            for f in request.files
        ]

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "username": self.bot_name,
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": True,
            "flags": 0,
            "verified": True,
            "mfa_enabled": False,
        }

    def _application(self) -> dict[str, Any]:
        return {
            "id": self.application_id,
            "name": self.bot_name,
            "icon": None,
            "description": "",
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self._bot_user(),
            "summary": "",
            "verify_key": "0" * 64,
            "team": None,
            "flags": 0,
            "interactions_endpoint_url": None,
        }


async def _read_body(request: web.Request) -> tuple[Any, tuple[UploadedFile, ...]]:
    """The JSON payload (``payload_json`` for multipart, as discord.py sends files) and the files."""
    if request.content_type.startswith("multipart/"):
        payload: Any = None
        files: list[UploadedFile] = []
        reader = await request.multipart()
        async for part in reader:
            data = await part.read()  # type: ignore[union-attr]
            if part.name == "payload_json":
                payload = json.loads(data)
            else:
                content_type = part.headers.get("Content-Type", "application/octet-stream")
                files.append(UploadedFile(part.name or "", part.filename or "", content_type, len(data)))
        return payload, tuple(files)
    raw = await request.read()
    return (json.loads(raw) if raw else None), ()


def _json(body: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response whose Content-Type is exactly ``application/json`` (no charset), as discord.py needs."""
    response = web.Response(status=status, body=json.dumps(body).encode(), headers=headers)
    response.headers["Content-Type"] = "application/json"
    return response


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat()


_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
_MAX_OPTIONS = 25


def command_problems(command: dict[str, Any], path: str = "") -> list[str]:
    """What Discord would refuse in a command or option, recursively (empty: valid)."""
    name = str(command.get("name", ""))
    where = f"{path}{name}"
    problems = []
    if not _COMMAND_NAME.match(name) or name != name.lower():
        problems.append(f"{where}: name must be 1-32 lower-case letters, digits, - or _")
    if not 1 <= len(command.get("description", "")) <= 100:
        problems.append(f"{where}: description must be 1-100 characters")
    options = command.get("options") or []
    if len(options) > _MAX_OPTIONS:
        problems.append(f"{where}: {len(options)} options; at most {_MAX_OPTIONS}")
    names = [option.get("name") for option in options]
    if len(names) != len(set(names)):
        problems.append(f"{where}: option names must be unique")
    for option in options:
        problems += command_problems(option, f"{where} ")
    return problems


@contextlib.contextmanager
def running_fake(**options: Any) -> Iterator[FakeDiscord]:
    """A started fake with discord.py's REST base pointed at it; the base is restored afterwards."""
    from discord.http import Route

    original = Route.BASE
    with FakeDiscord(**options) as fake:
        Route.BASE = fake.api_url
        try:
            yield fake
        finally:
            Route.BASE = original
