"""Start-up time: `refund-bot console` against a bare aiogram bot, to the first prompt.

    python bench/bench_startup.py [--pairs N]

Each run is a fresh Python process on a pseudo-terminal; the clock stops when the process
has printed its answer to /start and waits at its input prompt (the output ends with "> "
and stays quiet). The bare bot is the least an aiogram console bot does: import aiogram,
build a Dispatcher with a /start handler and memory storage, feed it /start through a
session that prints, ask for input. The two run alternately (bot, bare, bare, bot, ...) so a
change of machine load hits both alike. The bot runs on a SQLite file created by a first,
unmeasured run (what a second `make run` sees).

Prints JSON: per side the wall seconds to the prompt (median, min, max) and the CPU seconds
the process had used by then (user + system, from /proc), the ratio of the medians (target
<= 1.3, issue 10), the per-pair ratios, and the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import select
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUIET = 0.4  # seconds of silence after "> " that mean the process waits for input

BARE = r"""
import asyncio
from datetime import datetime, UTC
from aiogram import Bot, Dispatcher, Router, F
from aiogram.client.session.base import BaseSession
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.methods import SendMessage
from aiogram.types import Chat, Message, Update, User


class Printing(BaseSession):
    async def close(self):
        pass

    async def make_request(self, bot, method, timeout=None):
        if isinstance(method, SendMessage):
            print(method.text, flush=True)
            return Message(message_id=1, date=datetime.now(UTC), chat=Chat(id=1, type="private"), text=method.text)
        return True

    async def stream_content(self, *args, **kwargs):
        yield b""


class Flow(StatesGroup):
    name = State()


router = Router()


@router.message(CommandStart())
async def start(message: Message, state: FSMContext) -> None:
    await state.set_state(Flow.name)
    await message.answer("Hello! What is your name?")


async def main() -> None:
    dp = Dispatcher(storage=MemoryStorage())
    dp.include_router(router)
    bot = Bot("42:bare", session=Printing())
    user = User(id=1, is_bot=False, first_name="A")
    update = Update(update_id=1, message=Message(message_id=1, date=datetime.now(UTC), chat=Chat(id=1, type="private"), from_user=user, text="/start"))
    await dp.feed_update(bot, update)
    while True:
        line = await asyncio.to_thread(input, "\n> ")
        if line.strip() == "/quit":
            break


asyncio.run(main())
"""


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a live process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def to_prompt(
    argv: list[str], env: dict[str, str], cwd: str, limit: float = 300.0
) -> dict[str, float]:
    """Start `argv` on a pseudo-terminal; seconds (wall, CPU) until it waits at "> "."""
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child
        os.chdir(cwd)
        os.execve(argv[0], argv, env)
    output = b""
    last_chunk = started
    prompt_at: float | None = None
    cpu = 0.0
    try:
        while time.perf_counter() - started < limit:
            ready, _, _ = select.select([fd], [], [], 0.05)
            now = time.perf_counter()
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
                last_chunk = now
                if output.rstrip(b"\r\n").endswith(b">") or output.endswith(b"> "):
                    prompt_at = now
                    cpu = cpu_seconds(pid)
                else:
                    prompt_at = None
            elif prompt_at is not None and now - last_chunk >= QUIET:
                break
        if prompt_at is None:
            tail = output[-400:].decode("utf-8", "replace")
            raise RuntimeError(f"{argv[-1]}: no prompt within {limit}s; output ends {tail!r}")
        os.write(fd, b"/quit\n")
        deadline = time.perf_counter() + 30
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    if not os.read(fd, 65536):
                        break
                except OSError:
                    break
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    return {
        "seconds": prompt_at - started,
        "cpu_seconds": cpu,
        "exit": os.waitstatus_to_exitcode(status),
    }


def summary(runs: list[dict[str, float]]) -> dict[str, float]:
    wall = [run["seconds"] for run in runs]
    cpu = [run["cpu_seconds"] for run in runs]
    return {
        "median_s": round(statistics.median(wall), 3),
        "min_s": round(min(wall), 3),
        "max_s": round(max(wall), 3),
        "cpu_median_s": round(statistics.median(cpu), 3),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=5)
    args = ap.parse_args(argv)
    python = sys.executable
    with tempfile.TemporaryDirectory() as work:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": work,
            "PYTHONPATH": str(ROOT),
            "LANG": "C.UTF-8",
            "TERM": "dumb",
            "DATABASE_URL": f"sqlite:///{work}/bot.sqlite3",
        }
        bot = [python, "-m", "bot", "console"]
        bare_file = Path(work) / "bare_bot.py"
        bare_file.write_text(BARE)
        bare = [python, str(bare_file)]
        load_before = os.getloadavg()
        to_prompt(bot, env, work)  # creates the database; compiles nothing new
        to_prompt(bare, env, work)
        sides: dict[str, list[dict[str, float]]] = {"bot": [], "bare": []}
        ratios = []
        for pair in range(args.pairs):
            order = ("bot", "bare") if pair % 2 == 0 else ("bare", "bot")
            result = {name: to_prompt(bot if name == "bot" else bare, env, work) for name in order}
            for name, run in result.items():
                sides[name].append(run)
            ratios.append(round(result["bot"]["seconds"] / result["bare"]["seconds"], 2))
        load_after = os.getloadavg()
    bot_s, bare_s = summary(sides["bot"]), summary(sides["bare"])
    print(
        json.dumps(
            {
                "bench": "startup",
                "pairs": args.pairs,
                "bot_console": bot_s,
                "bare_aiogram": bare_s,
                "ratio": round(bot_s["median_s"] / bare_s["median_s"], 2),
                "cpu_ratio": round(bot_s["cpu_median_s"] / bare_s["cpu_median_s"], 2),
                "target_ratio": 1.3,
                "pair_ratios": ratios,
                "load_average_before": [round(x, 2) for x in load_before],
                "load_average_after": [round(x, 2) for x in load_after],
                "cpus": os.cpu_count(),
                "python": sys.version.split()[0],
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
