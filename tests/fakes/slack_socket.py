"""A local Slack Socket Mode endpoint: the WebSocket that ``apps.connections.open`` points to.

Run it in the test's event loop and hand its URL to :class:`~tests.fakes.slack_api.FakeSlackApi`::

    async with FakeSocketMode() as socket:
        slack.socket_url = socket.url

On connection it sends Slack's ``hello``. :meth:`push` sends an envelope (``slash_commands``,
``events_api``) and returns its ``envelope_id``; :meth:`ack_for` waits for the client's
acknowledgement of it (``{"envelope_id": …, "payload": …}``), which is what Slack waits for
within 3 seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from types import TracebackType
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer


class FakeSocketMode:
    def __init__(self) -> None:
        self.acks: dict[str, dict[str, Any]] = {}
        self.connections = 0
        self._socket: web.WebSocketResponse | None = None
        self._connected = asyncio.Event()
        self._ids = itertools.count(1)
        app = web.Application()
        app.router.add_get("/link", self._handle)
        self._server = TestServer(app, host="127.0.0.1", port=0)

    @property
    def url(self) -> str:
        return str(self._server.make_url("/link")).replace("http://", "ws://")

    async def push(self, kind: str, payload: dict[str, Any]) -> str:
        """Send one envelope once the client is connected; returns its ``envelope_id``."""
        await asyncio.wait_for(self._connected.wait(), timeout=5)
        assert self._socket is not None
        envelope_id = f"env-{next(self._ids)}"
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload, "accepts_response_payload": True}
        await self._socket.send_str(json.dumps(envelope))
        return envelope_id

    async def ack_for(self, envelope_id: str, *, timeout: float = 5.0) -> dict[str, Any]:
        async def arrived() -> dict[str, Any]:
            while envelope_id not in self.acks:
                await asyncio.sleep(0.01)
            return self.acks[envelope_id]

        return await asyncio.wait_for(arrived(), timeout=timeout)

    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self.connections += 1
        self._socket = socket
        await socket.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        self._connected.set()
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                data = json.loads(message.data)
                self.acks[data["envelope_id"]] = data
        return socket

    async def __aenter__(self) -> FakeSocketMode:
        await self._server.start_server()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._socket is not None:
            await self._socket.close()
        await self._server.close()
