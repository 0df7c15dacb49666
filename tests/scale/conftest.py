"""Several `refund-bot run` processes in webhook mode on one PostgreSQL database and one
Redis, behind a round-robin proxy (what a load balancer in front of the instances does),
against the project's fake Telegram Bot API.

The fake server delivers every update to the proxy (the webhook URL both instances give to
setWebhook); the proxy hands them to the instances in turn, so one buyer's updates land
alternately on both. A test can also post an update straight to one instance.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from tests.fakeapi import FakeTelegramClient, FakeTelegramServer
from tests.services.conftest import (  # noqa: F401 - fixtures used by the tests here
    migrated_url,
    pg_template,
    postgres_admin,
    redis_scope,
    redis_server,
)
from tests.services.support import RedisScope

ROOT = str(Path(__file__).resolve().parents[2])
SECRET = "scale-test-webhook-secret-0123456789"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RoundRobin:
    """The load balancer: each webhook call goes to the next instance."""

    def __init__(self, targets: list[str]) -> None:
        self.targets = targets
        self.turn = 0
        self.routed: list[tuple[int, int]] = []  # (update_id, instance index)
        self.port = free_port()
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhook"

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._client is not None
        body = await request.read()
        index = self.turn % len(self.targets)
        self.turn += 1
        headers = {"Content-Type": "application/json"}
        if SECRET_HEADER in request.headers:
            headers[SECRET_HEADER] = request.headers[SECRET_HEADER]
        async with self._client.post(self.targets[index], data=body, headers=headers) as answer:
            text = await answer.text()
            if answer.status == 200:
                self.routed.append((int(json.loads(body)["update_id"]), index))
            return web.Response(status=answer.status, text=text, content_type="application/json")

    async def start(self) -> None:
        self._client = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_post("/webhook", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()


@dataclass
class Instance:
    """One `python -m bot run` process (the code path of `refund-bot run`)."""

    index: int
    env: dict[str, str]
    port: int
    log: Path
    process: asyncio.subprocess.Process | None = None

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhook"

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=self.env, stdout=out, stderr=out
            )

    async def wait_listening(self, within: float = 120.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.returncode is not None:
                raise AssertionError(
                    f"instance {self.index} exited: {self.log.read_text()[-2000:]}"
                )
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            await writer.wait_closed()
            return
        raise AssertionError(
            f"instance {self.index} never listened: {self.log.read_text()[-2000:]}"
        )

    async def post(self, session: aiohttp.ClientSession, update: dict[str, object]) -> int:
        async with session.post(
            self.webhook, json=update, headers={SECRET_HEADER: SECRET}
        ) as answer:
            return answer.status

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        self.process = None


@dataclass
class Cluster:
    server: FakeTelegramServer
    tg: FakeTelegramClient
    proxy: RoundRobin
    instances: list[Instance]
    database_url: str
    redis_url: str
    bot_id: int
    logs: list[Path] = field(default_factory=list)


@asynccontextmanager
async def start_cluster(
    tmp_path: Path,
    database_url: str,
    scope: RedisScope,
    *,
    instances: int = 2,
    **settings: str,
) -> AsyncIterator[Cluster]:
    server = FakeTelegramServer(token=scope.token)
    base_url = await server.start()
    ports = [free_port() for _ in range(instances)]
    proxy = RoundRobin([f"http://127.0.0.1:{port}/webhook" for port in ports])
    await proxy.start()
    running: list[Instance] = []
    try:
        async with FakeTelegramClient(base_url) as tg:
            for index, port in enumerate(ports):
                env = {
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "HOME": str(tmp_path),
                    "PYTHONPATH": ROOT,
                    "BOT_TOKEN": scope.token,
                    "TELEGRAM_API_URL": base_url,
                    "DATABASE_URL": database_url,
                    "REDIS_URL": scope.url,
                    "WEBHOOK_URL": proxy.url,
                    "WEBHOOK_HOST": "127.0.0.1",
                    "WEBHOOK_PORT": str(port),
                    "WEBHOOK_SECRET": SECRET,
                    "TELEGRAM_RETRY_SECONDS": "5",
                    "RATE_LIMIT": "10000",
                    "KNOWLEDGE_CACHE_DIR": str(tmp_path / "cache"),
                    **settings,
                }
                instance = Instance(index, env, port, tmp_path / f"instance-{index}.log")
                await instance.start()
                running.append(instance)
            for instance in running:
                await instance.wait_listening()
            yield Cluster(server, tg, proxy, running, database_url, scope.url, scope.bot_id)
    finally:
        for instance in running:
            await instance.stop()
        await proxy.stop()
        await server.stop()


@pytest.fixture
def cluster_args(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, str, RedisScope]:
    """A migrated database of this test's own and a Redis scope (random bot id)."""
    return (
        tmp_path,
        request.getfixturevalue("migrated_url"),
        request.getfixturevalue("redis_scope"),
    )
