"""The bot as its own process (`python -m bot run`, the real entry point) against the fake
Bot API of a test, with its own SQLite file: what the kill -9 and the SIGTERM tests share."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.conversation.conftest import TOKEN, Harness

ROOT = str(Path(__file__).resolve().parents[2])


def process_env(harness: Harness, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The process's whole environment (nothing of the host's but PATH), `extra` added."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONPATH": ROOT,  # the code under test, even in a copy of the tree
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": harness.base_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        "RATE_LIMIT": "10000",
        "TELEGRAM_RETRY_SECONDS": "5",
        **extra,
    }


@dataclass
class BotRun:
    """One bot process at a time, its output appended to `log`."""

    env: dict[str, str]
    cwd: Path
    log: Path
    process: asyncio.subprocess.Process | None = None

    async def start(self, harness: Harness) -> None:
        """Start the process and wait until it polls the fake Bot API."""
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                env=self.env,
                cwd=self.cwd,
                stdout=out,
                stderr=out,
            )
        await harness.tg.wait_polling(timeout=300)

    def output(self) -> str:
        return self.log.read_text(errors="replace")
