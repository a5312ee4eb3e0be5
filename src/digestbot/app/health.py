"""``GET /healthz`` of ``digestbot run``: what orchestrators and ``digestbot health`` ask.

The same aiohttp server carries the adapters' routes (Slack's HTTP mode adds ``/slack/events``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from digestbot.bot.ports import ChatAdapter


@dataclass
class Health:
    """What ``GET /healthz`` says. The endpoint is public (Docker, Kubernetes and load balancers
    call it without credentials), so it says whether the bot is up and nothing else: no channel,
    platform, schedule or back end that would tell a stranger about the team using it."""

    ready: bool = False

    def report(self) -> dict[str, str]:
        return {"status": "ok" if self.ready else "starting"}


async def start_web(health: Health, adapters: list[ChatAdapter], port: int) -> Any:
    """Serve ``/healthz`` and the adapters' routes on ``port``; returns the runner to clean up."""
    from aiohttp import web

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response(health.report(), status=200 if health.ready else 503)

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    for adapter in adapters:
        adapter.install_routes(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host="0.0.0.0", port=port).start()
    return runner
