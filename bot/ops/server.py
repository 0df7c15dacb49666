"""`/healthz` and `/metrics` over HTTP: on the webhook server, or on their own server
(`METRICS_PORT`: always in polling mode, in webhook mode when set)."""

from __future__ import annotations

from aiohttp import web

from bot.ops.health import Health
from bot.ops.metrics import CONTENT_TYPE, Metrics

HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"


def add_routes(app: web.Application, health: Health, metrics: Metrics) -> None:
    async def healthz(request: web.Request) -> web.Response:
        healthy, body = await health.check()
        return web.json_response(body, status=200 if healthy else 503)

    async def metrics_page(request: web.Request) -> web.Response:
        body = await metrics.render()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    app.router.add_get(HEALTH_PATH, healthz)
    app.router.add_get(METRICS_PATH, metrics_page)


async def start_server(host: str, port: int, health: Health, metrics: Metrics) -> web.AppRunner:
    """A small server for the two pages; `await runner.cleanup()` stops it."""
    app = web.Application()
    add_routes(app, health, metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner
