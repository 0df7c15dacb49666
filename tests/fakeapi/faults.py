"""Fault injection for the fake Bot API: what a real Telegram (or the road to it) does on a
bad day. Install with `server.faults = Faults()`; every rule applies to the next `times`
calls of one method (or of file downloads, method "file").

- `slow(method, seconds)`: answer late (a slow getFile, a file download that drags on);
- `hang(method, seconds)`: answer so late that the bot's request times out;
- `drop(method)`: close the connection without an answer;
- `echo_path(method)`: an error whose description quotes the request path, token included
  (some proxies and misconfigured servers do this);
- 429 with retry_after and 5xx errors: `FakeTelegramServer.fail_next`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class _Rule:
    kind: str
    seconds: float = 0.0
    times: int = 1


@dataclass
class Faults:
    rules: dict[str, list[_Rule]] = field(default_factory=dict)
    hits: list[tuple[str, str]] = field(default_factory=list)  # (method, fault kind) as applied
    started: dict[str, asyncio.Event] = field(default_factory=dict)

    def _add(self, method: str, rule: _Rule) -> None:
        self.rules.setdefault(method.lower(), []).append(rule)

    def slow(self, method: str, seconds: float, *, times: int = 1) -> None:
        self._add(method, _Rule("slow", seconds, times))

    def hang(self, method: str, seconds: float = 3600.0, *, times: int = 1) -> None:
        self._add(method, _Rule("hang", seconds, times))

    def drop(self, method: str, *, times: int = 1) -> None:
        self._add(method, _Rule("drop", 0.0, times))

    def echo_path(self, method: str, *, times: int = 1) -> None:
        self._add(method, _Rule("echo", 0.0, times))

    def clear(self) -> None:
        self.rules.clear()

    def reached(self, method: str) -> asyncio.Event:
        """Set when a fault of `method` starts applying (e.g. the bot waits on a slow getFile)."""
        return self.started.setdefault(method.lower(), asyncio.Event())

    def _take(self, method: str) -> _Rule | None:
        queue = self.rules.get(method.lower())
        if not queue:
            return None
        rule = queue[0]
        rule.times -= 1
        if rule.times <= 0:
            queue.pop(0)
        return rule

    async def before(self, method: str, request: web.Request) -> web.StreamResponse | None:
        """Called by the server before it handles a call: a response replaces the real one,
        None lets the call through (possibly late)."""
        rule = self._take(method)
        if rule is None:
            return None
        self.hits.append((method, rule.kind))
        self.reached(method).set()
        if rule.kind == "slow":
            await asyncio.sleep(rule.seconds)
            return None
        if rule.kind == "hang":  # the caller has given up by now; the call is not carried out
            await asyncio.sleep(rule.seconds)
            return web.json_response(
                {"ok": False, "error_code": 504, "description": "Gateway Timeout"}, status=504
            )
        if rule.kind == "drop":
            transport = request.transport
            if transport is not None:
                transport.close()
            raise ConnectionResetError("fault: connection dropped")
        body = {
            "ok": False,
            "error_code": 400,
            "description": f"Bad Request: cannot route {request.path}",
        }
        return web.json_response(body, status=400)
