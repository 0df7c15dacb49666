"""Cost per update: the bot against a bare aiogram bot, on the same storage kind, in the same
run. Prints one JSON object.

Scenarios (each in a process of its own, one after the other):

* in-process: `--buyers` concurrent buyers (default 50) file a refund case (14 updates
  each). The bot takes every update the way `refund-bot run` does (the durable inbox, then
  `Dispatcher.feed_update` inside the update's state scope); the bare bot is a plain aiogram
  Dispatcher with a 3-step FSM fed with `Dispatcher.feed_update`, 14 updates per buyer too.
* over HTTP in webhook mode: the same buyers post their updates to the webhook server (the
  bot's own webhook endpoint, or an aiohttp handler for the bare bot) running in another
  process; a reply is waited for before the buyer's next update.
* two instances against one, over HTTP on PostgreSQL + Redis (updates of a buyer go to the
  instances in turn), and 200 concurrent buyers in-process.

Each scenario is run twice: at saturation (every buyer sends the next update the moment the
reply came: throughput, CPU and the counts per update), then paced ("paced" in the JSON:
new buyers, as many, each pausing THINK_SECONDS before every update, as people do; the
latency a buyer sees at that load). At saturation a closed loop of N buyers waits N /
throughput on average whatever the bot does, so its latencies measure the queue.

Before the measured buyers, as many warm-up buyers (`--warmup`) go through the same steps,
not measured: the measured round starts with the connection pools full and every cache warm,
the steady state of a long-running process, for both bots alike. Each scenario is repeated
`--rounds` times (default 3), the bot's run and the bare bot's alternating (bot, bare, bare,
bot, ...): a single run of a few seconds on a shared machine varies by ±30 %. The JSON gives
each flavor's median run in full, every round's headline figures with its load, and the ratio
as the median of the rounds' own ratios.

Storage kinds: SQLite (a file; state in the database), PostgreSQL + Redis (state in Redis,
everything else in PostgreSQL; a database is created for the run and dropped after it).

Figures: updates/s, CPU ms per update (of the process(es) handling the updates), p50/p99
latency, SQL statements and commits per update (SQLAlchemy events, plus those SQLite runs
in one step: bot.storage.db.RAW_COUNTS), Bot API calls per update (by method), Redis
commands and round trips per update (client side), calls queued to aiosqlite's connection
threads per update (SQLite), peak RSS, load average before and after, and the ratio
bot/bare. The Bot API is answered in the
handling process (no network), as the console chat does.

    python bench/bench_scale.py [--buyers 50] [--rounds 3] [--warmup N] [--only SCENARIO ...]
        [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/test]
        [--redis-url redis://127.0.0.1:6379/14]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PNG = ROOT / "tests" / "data" / "evidence.png"
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
UPDATES_PER_BUYER = 14
# the paced run: every buyer waits this long (uniform, seconds) before each tap or message,
# a quick buyer on a phone; latency is then the bot's own, not the queue a closed loop of
# buyers who never pause builds in front of any bot (50 such buyers wait 50/throughput)
THINK_SECONDS = (0.5, 1.5)
PACED_BASE = 500
# the warm-up buyers (not measured) before the measured ones: by default as many as are
# measured, so that the measured round finds the pools full and every cache and lazily built
# table warm (a steady state, as in a long-running process), for both bots alike
WARM_BASE = 100_000

# buyers' ids: new ones in every run (aiogram's Redis keys name the chat and the user, not
# the bot: a conversation left by an earlier run must not be found)
BUYER_BASE = 1_000_000_000 + secrets.randbelow(10**9) // 1000 * 1000


def buyer_id(index: int) -> int:
    return BUYER_BASE + index


# --- counters --------------------------------------------------------------------------


@dataclass
class Counters:
    statements: int = 0
    commits: int = 0
    redis_commands: int = 0
    redis_round_trips: int = 0
    sqlite_hand_offs: int = 0
    api: Counter[str] = field(default_factory=Counter)

    def snapshot(self) -> dict[str, Any]:
        from bot.storage.db import RAW_COUNTS, SQLiteWriter  # SQLite's one-step units of work

        return {
            "statements": self.statements + RAW_COUNTS.statements,
            "commits": self.commits + RAW_COUNTS.commits,
            "redis_commands": self.redis_commands,
            "redis_round_trips": self.redis_round_trips,
            # aiosqlite's threads (the pool's connections) and the write connection's
            "sqlite_hand_offs": self.sqlite_hand_offs + SQLiteWriter.hand_offs,
            "api": dict(self.api),
        }


COUNTERS = Counters()


def count_sql(engine: Any) -> None:
    from sqlalchemy import event

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _statement(*_args: Any) -> None:
        COUNTERS.statements += 1

    @event.listens_for(engine.sync_engine, "commit")
    def _commit(*_args: Any) -> None:
        COUNTERS.commits += 1

    if engine.dialect.name == "sqlite":  # every call queued to aiosqlite's thread
        import aiosqlite

        queue = aiosqlite.Connection._execute

        async def _execute(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
            COUNTERS.sqlite_hand_offs += 1
            return await queue(self, fn, *args, **kwargs)

        aiosqlite.Connection._execute = _execute  # type: ignore[method-assign]


def count_redis() -> None:
    """Client-side: every command a Redis client of this process sends (a pipeline counts
    its commands, MULTI/EXEC included, and one round trip)."""
    from redis.asyncio.client import Pipeline, Redis

    plain = Redis.execute_command

    async def execute_command(self: Any, *args: Any, **options: Any) -> Any:
        COUNTERS.redis_commands += 1
        COUNTERS.redis_round_trips += 1
        return await plain(self, *args, **options)

    run = Pipeline.execute

    async def execute(self: Any, raise_on_error: bool = True) -> Any:
        COUNTERS.redis_commands += len(self.command_stack) + (2 if self.is_transaction else 0)
        COUNTERS.redis_round_trips += 1
        return await run(self, raise_on_error)

    Redis.execute_command = execute_command  # type: ignore[method-assign]
    Pipeline.execute = execute  # type: ignore[method-assign]
    # a pipeline's own immediate commands (WATCH) go through Redis.execute_command too


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_busy_seconds() -> float | None:
    """CPU seconds every core of the machine spent busy (not idle, not waiting for I/O)
    since boot, from /proc/stat; None where there is none. Over a run's measured phase it
    covers every process (the bot instances, the load generator, PostgreSQL, Redis, and
    anything else running: measure on a quiet machine)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    ticks = [int(f) for f in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --- the Bot API, answered in process --------------------------------------------------


def make_session(offset: int = 0) -> Any:
    from bot.telegram.console import ConsoleSession

    class BenchSession(ConsoleSession):
        """The console's Bot API answers, with the buttons kept per chat and every call
        counted."""

        def __init__(self) -> None:
            super().__init__(lambda _text: None, {"bench-png": PNG})
            import itertools

            self._ids = itertools.count(1000 + offset)
            self.chat_buttons: dict[int, list[tuple[Any, str, str | None]]] = {}

        def _show(self, message: Any, prefix: str = "") -> None:
            from aiogram.types import InlineKeyboardMarkup

            markup = message.reply_markup
            if isinstance(markup, InlineKeyboardMarkup) and markup.inline_keyboard:
                self.chat_buttons[message.chat.id] = [
                    (message, button.text, button.callback_data)
                    for row in markup.inline_keyboard
                    for button in row
                ]

        async def make_request(self, bot: Any, method: Any, timeout: int | None = None) -> Any:  # noqa: ASYNC109
            from aiogram.methods import EditMessageReplyMarkup, EditMessageText

            COUNTERS.api[type(method).__name__] += 1
            if isinstance(method, EditMessageText | EditMessageReplyMarkup):
                # a message another instance sent: known from here on, so its edit shows
                message_id = int(method.message_id or 0)
                if message_id and message_id not in self.messages and method.chat_id:
                    made = self._message(method.chat_id, getattr(method, "text", None) or "…", None)
                    del self.messages[made.message_id]
                    self.messages[message_id] = made.model_copy(update={"message_id": message_id})
            return await super().make_request(bot, method, timeout)

    return BenchSession()


# --- what buyers send ------------------------------------------------------------------

_update_ids = iter(range(int(time.time() * 1000) % 10**9 * 100, 10**15))


def _user(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "buyer", "language_code": "zh"}


def text_update(user_id: int, text: str, message_id: int) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private"},
        "from": _user(user_id),
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": next(_update_ids), "message": message}


def photo_update(user_id: int, message_id: int) -> dict[str, Any]:
    size = PNG.stat().st_size
    photo = [
        {
            "file_id": "bench-png",
            "file_unique_id": "bench-png",
            "width": 1280,
            "height": 960,
            "file_size": size,
        }
    ]
    message = {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private"},
        "from": _user(user_id),
        "photo": photo,
    }
    return {"update_id": next(_update_ids), "message": message}


def press_update(user_id: int, buttons: list[dict[str, Any]], label: str) -> dict[str, Any]:
    for button in buttons:
        if button["text"] == label:
            update_id = next(_update_ids)
            return {
                "update_id": update_id,
                "callback_query": {
                    "id": str(update_id),
                    "from": _user(user_id),
                    "chat_instance": str(user_id),
                    "message": button["message"],
                    "data": button["data"],
                },
            }
    raise RuntimeError(f"button {label!r} not shown; shown: {[b['text'] for b in buttons]}")


def bot_steps() -> list[tuple[str, str]]:
    """The refund wizard: ("say", text) | ("press", label) | ("photo", "")."""
    from bot.i18n import Translator

    t = Translator("zh")
    return [
        ("say", "/start"),
        ("press", t("menu.refund")),
        ("say", "KM20261121000123"),
        ("press", t("platform.aggregator")),
        ("press", t("status.paid_undelivered")),
        ("press", t("cause_group.merchant")),
        ("press", t("cause.delivery_timeout")),
        ("press", t("channel.alipay")),
        ("say", "100"),
        ("press", t("quick_time.now")),
        ("photo", ""),
        ("press", t("evidence.order_screenshot")),
        ("press", t("btn.evidence_done")),
        ("press", t("btn.confirm")),
    ]


def bare_steps() -> list[tuple[str, str]]:
    cycle = [("say", "/start"), ("press", "A"), ("say", "some words"), ("press", "OK")]
    return (cycle * 4)[:UPDATES_PER_BUYER]


def buttons_of(session: Any, chat_id: int) -> list[dict[str, Any]]:
    # the message under the buttons is dumped once, not once per button (the buyer's side of
    # the harness: a keyboard of eight buttons cost eight dumps of the same message)
    dumped: dict[int, dict[str, Any]] = {}
    found = []
    for message, text, data in session.chat_buttons.get(chat_id, []):
        if data is None:
            continue
        if id(message) not in dumped:
            dumped[id(message)] = message.model_dump(mode="json", by_alias=True, exclude_none=True)
        found.append({"message": dumped[id(message)], "text": text, "data": data})
    return found


def build_update(
    step: tuple[str, str], user_id: int, message_id: int, buttons: list[dict[str, Any]]
) -> dict[str, Any]:
    kind, value = step
    if kind == "say":
        return text_update(user_id, value, message_id)
    if kind == "photo":
        return photo_update(user_id, message_id)
    return press_update(user_id, buttons, value)


# --- the two bots ----------------------------------------------------------------------


def bare_dispatcher(storage: Any, isolation: Any) -> Any:
    """A plain aiogram bot with a 3-step FSM: /start -> pick (buttons) -> words -> confirm."""
    from aiogram import Dispatcher, F, Router
    from aiogram.filters import Command
    from aiogram.fsm.context import FSMContext
    from aiogram.fsm.state import State, StatesGroup
    from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

    class Form(StatesGroup):
        pick = State()
        words = State()
        confirm = State()

    router = Router()

    def keyboard(*labels: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=label, callback_data=f"b:{label}") for label in labels]
            ]
        )

    @router.message(Command("start"))
    async def start(message: Message, state: FSMContext) -> None:
        await state.set_state(Form.pick)
        await message.answer("Pick one", reply_markup=keyboard("A", "B"))

    @router.callback_query(Form.pick, F.data.startswith("b:"))
    async def pick(query: CallbackQuery, state: FSMContext) -> None:
        await state.update_data(choice=query.data)
        await state.set_state(Form.words)
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_text(f"Picked {query.data}; now a few words")

    @router.message(Form.words)
    async def words(message: Message, state: FSMContext) -> None:
        await state.update_data(words=message.text)
        await state.set_state(Form.confirm)
        await message.answer("Confirm?", reply_markup=keyboard("OK"))

    @router.callback_query(Form.confirm, F.data == "b:OK")
    async def confirm(query: CallbackQuery, state: FSMContext) -> None:
        data = await state.get_data()
        await state.clear()
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.answer(f"Done: {data.get('choice')} / {data.get('words')}")

    dp = Dispatcher(storage=storage, events_isolation=isolation)
    dp.include_router(router)
    return dp


@dataclass
class Target:
    """One bot in this process: takes an update (dict), tells when it has been handled."""

    flavor: str
    bot: Any
    session: Any
    take: Callable[[dict[str, Any]], Any]
    done: dict[int, asyncio.Future[None]] = field(default_factory=dict)
    close: Callable[[], Any] | None = None
    app: Any = None  # the webhook handler (HTTP mode)

    def waiter(self, update_id: int) -> asyncio.Future[None]:
        future = self.done.get(update_id)
        if future is None:
            future = self.done[update_id] = asyncio.get_running_loop().create_future()
        return future

    def finished(self, update_id: int) -> None:
        future = self.waiter(update_id)
        if not future.done():
            future.set_result(None)


@contextlib.asynccontextmanager
async def make_target(
    flavor: str, kind: str, database_url: str, redis_url: str | None, bot_id: int, offset: int = 0
) -> AsyncIterator[Target]:
    from aiogram import Bot
    from aiogram.types import Update

    session = make_session(offset)
    bot = Bot(token=f"{bot_id}:BENCH-TOKEN", session=session)
    if flavor == "bot":
        from bot.app import create_dispatcher, create_services
        from bot.config import load_settings
        from bot.telegram.inbox import InboxWorker

        settings = load_settings(
            database_url=database_url,
            redis_url=redis_url,
            rate_limit=10_000,
            _env_file=None,
        )
        services = await create_services(settings)
        count_sql(services.engine)
        dp = create_dispatcher(services)
        worker = InboxWorker(bot, dp, services.inbox)
        target = Target("bot", bot, session, take=lambda _u: None)
        inner_done = services.inbox.done

        async def done(bot_id: int, update_id: int, **kwargs: Any) -> None:
            await inner_done(bot_id, update_id, **kwargs)
            target.finished(update_id)

        services.inbox.done = done  # type: ignore[method-assign]

        async def take(update: dict[str, Any]) -> None:
            await worker.accept([Update.model_validate(update, context={"bot": bot})])

        target.take = take
        if kind == "http":
            from bot.commands.run import WebhookEndpoint

            target.app = WebhookEndpoint(bot, worker, "bench-secret-0123456789").handle
        try:
            yield target
        finally:
            await worker.close()
            await dp.storage.close()
            await services.close()
        return

    from aiogram.fsm.storage.base import DefaultKeyBuilder
    from aiogram.fsm.storage.memory import SimpleEventIsolation
    from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
    from redis.asyncio import Redis

    from bot.storage.db import create_engine, migrate
    from bot.telegram.fsm import SQLStorage

    engine = create_engine(database_url)
    await migrate(engine)
    count_sql(engine)
    redis = Redis.from_url(redis_url) if redis_url else None
    if redis is not None:
        storage: Any = RedisStorage(redis, key_builder=DefaultKeyBuilder(with_destiny=True))
        isolation: Any = RedisEventIsolation(redis)
    else:
        storage, isolation = SQLStorage(engine), SimpleEventIsolation()
    dp = bare_dispatcher(storage, isolation)
    target = Target("bare", bot, session, take=lambda _u: None)
    tasks: set[asyncio.Task[None]] = set()

    async def handle(update: dict[str, Any]) -> None:
        await dp.feed_update(bot, Update.model_validate(update, context={"bot": bot}))
        target.finished(int(update["update_id"]))

    async def take_bare(update: dict[str, Any]) -> None:
        # as aiogram's webhook handler in the background: answer at once, handle after
        task = asyncio.create_task(handle(update))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    target.take = take_bare
    if kind == "http":
        from aiohttp import web

        async def endpoint(request: web.Request) -> web.Response:
            await take_bare(await request.json())
            return web.json_response({})

        target.app = endpoint
    try:
        yield target
    finally:
        await asyncio.gather(*tasks, return_exceptions=True)
        await dp.storage.close()
        await engine.dispose()


# --- one buyer -------------------------------------------------------------------------


async def drive(
    user_id: int,
    steps: list[tuple[str, str]],
    send: Callable[[int, dict[str, Any]], Any],
    latencies: list[float],
    errors: list[str],
    think: tuple[float, float] | None = None,
) -> None:
    """`send(step_index, update)` delivers one update and returns the chat's buttons once it
    has been handled. `think`: the buyer pauses between a reply and the next tap (seconds,
    uniform in the range), as a person does; None: at once (saturation)."""
    buttons: list[dict[str, Any]] = []
    pauses = random.Random(user_id)
    for index, step in enumerate(steps):
        if think is not None:
            await asyncio.sleep(pauses.uniform(*think))
        try:
            update = build_update(step, user_id, 10 + index, buttons)
        except RuntimeError as exc:
            errors.append(str(exc))
            return
        started = time.perf_counter()
        try:
            buttons = await send(index, update)
        except Exception as exc:  # noqa: BLE001 - counted, the figures say how many
            errors.append(f"{type(exc).__name__}: {exc}")
            return
        latencies.append(time.perf_counter() - started)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * share + 0.5) - 1))]


def per_update(before: dict[str, Any], after: dict[str, Any], updates: int) -> dict[str, Any]:
    n = max(updates, 1)
    api = Counter(after["api"])
    api.subtract(before["api"])
    return {
        "sql_statements_per_update": round((after["statements"] - before["statements"]) / n, 2),
        "sql_commits_per_update": round((after["commits"] - before["commits"]) / n, 2),
        "redis_commands_per_update": round(
            (after["redis_commands"] - before["redis_commands"]) / n, 2
        ),
        "redis_round_trips_per_update": round(
            (after["redis_round_trips"] - before["redis_round_trips"]) / n, 2
        ),
        "sqlite_hand_offs_per_update": round(
            (after.get("sqlite_hand_offs", 0) - before.get("sqlite_hand_offs", 0)) / n, 2
        ),
        "bot_api_calls_per_update": round(sum(api.values()) / n, 2),
        "bot_api_calls_by_method": {k: round(v / n, 3) for k, v in sorted(api.items()) if v},
    }


# --- in-process scenario ---------------------------------------------------------------


async def run_inprocess(
    flavor: str, database_url: str, redis_url: str | None, buyers: int, warmup: int
) -> dict[str, Any]:
    if redis_url:
        count_redis()
    bot_id = 7_000_000 + secrets.randbelow(1_000_000)
    steps = bot_steps() if flavor == "bot" else bare_steps()
    async with make_target(flavor, "inprocess", database_url, redis_url, bot_id) as target:

        async def send(_index: int, update: dict[str, Any]) -> list[dict[str, Any]]:
            waiter = target.waiter(int(update["update_id"]))
            await target.take(update)
            await asyncio.wait_for(waiter, 60)
            chat = update.get("message", update.get("callback_query", {}).get("message", {}))
            return buttons_of(target.session, int(chat["chat"]["id"]))

        # warm-up (not measured), so first-call costs are not counted
        await asyncio.gather(
            *(drive(buyer_id(WARM_BASE + i), steps, send, [], []) for i in range(warmup))
        )
        latencies: list[float] = []
        errors: list[str] = []
        before = COUNTERS.snapshot()
        cpu = cpu_seconds()
        started = time.perf_counter()
        await asyncio.gather(
            *(drive(buyer_id(i), steps, send, latencies, errors) for i in range(buyers))
        )
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds() - cpu
        after = COUNTERS.snapshot()
        paced = await run_paced(lambda user_id: send, steps, buyers)
    updates = len(latencies)
    return {
        "updates": updates,
        "errors": len(errors),
        "first_errors": errors[:3],
        "elapsed_s": round(elapsed, 3),
        "updates_per_second": round(updates / elapsed, 1),
        "cpu_ms_per_update": round(cpu * 1000 / max(updates, 1), 3),
        "latency_ms_p50": round(percentile(latencies, 0.50) * 1000, 2),
        "latency_ms_p99": round(percentile(latencies, 0.99) * 1000, 2),
        **per_update(before, after, updates),
        "peak_rss_mb": peak_rss_mb(),
        "paced": paced,
    }


async def run_paced(
    sender: Callable[[int], Callable[[int, dict[str, Any]], Any]],
    steps: list[tuple[str, str]],
    buyers: int,
) -> dict[str, Any]:
    """The same number of buyers (new ones), each pausing THINK_SECONDS before every update:
    the latency a buyer sees at that load."""
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    await asyncio.gather(
        *(
            drive(
                buyer_id(PACED_BASE + i),
                steps,
                sender(buyer_id(PACED_BASE + i)),
                latencies,
                errors,
                THINK_SECONDS,
            )
            for i in range(buyers)
        )
    )
    elapsed = time.perf_counter() - started
    return {
        "think_s": list(THINK_SECONDS),
        "updates": len(latencies),
        "errors": len(errors),
        "offered_updates_per_second": round(len(latencies) / elapsed, 1),
        "latency_ms_p50": round(percentile(latencies, 0.50) * 1000, 2),
        "latency_ms_p99": round(percentile(latencies, 0.99) * 1000, 2),
    }


# --- HTTP scenario: servers in their own processes --------------------------------------


async def serve(args: argparse.Namespace) -> None:
    """A webhook server (bot or bare) with the bench's own endpoints: `/_bench/wait` (an
    update has been handled: the chat's buttons) and `/_bench/stats` (counters, CPU)."""
    from aiohttp import web

    if args.state_redis:
        count_redis()
    async with make_target(
        args.flavor, "http", args.database_url, args.state_redis, args.bot_id, args.offset
    ) as target:

        async def wait(request: web.Request) -> web.Response:
            update_id, chat_id = int(request.query["update"]), int(request.query["chat"])
            await asyncio.wait_for(target.waiter(update_id), 60)
            target.done.pop(update_id, None)
            return web.json_response(buttons_of(target.session, chat_id))

        async def stats(_request: web.Request) -> web.Response:
            return web.json_response(
                {**COUNTERS.snapshot(), "cpu_s": cpu_seconds(), "peak_rss_mb": peak_rss_mb()}
            )

        app = web.Application()
        app.router.add_post("/webhook", target.app)
        app.router.add_get("/_bench/wait", wait)
        app.router.add_get("/_bench/stats", stats)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", args.port).start()
        print("ready", flush=True)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(15, stop.set)
        await stop.wait()
        await runner.cleanup()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def run_http(
    flavor: str,
    database_url: str,
    redis_url: str | None,
    buyers: int,
    instances: int,
    warmup: int,
) -> dict[str, Any]:
    import aiohttp

    bot_id = 7_000_000 + secrets.randbelow(1_000_000)
    ports = [free_port() for _ in range(instances)]
    servers = []
    for index, port in enumerate(ports):
        command = [
            sys.executable,
            __file__,
            "--serve",
            "--flavor",
            flavor,
            "--port",
            str(port),
            "--bot-id",
            str(bot_id),
            "--offset",
            str(index * 100_000_000),
            "--database-url",
            database_url,
        ]
        if redis_url:
            command += ["--state-redis", redis_url]
        servers.append(
            await asyncio.create_subprocess_exec(*command, stdout=subprocess.PIPE, cwd=ROOT)
        )
    try:
        for server in servers:
            assert server.stdout is not None
            line = await asyncio.wait_for(server.stdout.readline(), 300)
            if line.strip() != b"ready":
                raise RuntimeError("a webhook server did not start")
        steps = bot_steps() if flavor == "bot" else bare_steps()
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as client:
            headers = {"X-Telegram-Bot-Api-Secret-Token": "bench-secret-0123456789"}

            def sender(user_id: int) -> Callable[[int, dict[str, Any]], Any]:
                async def send(index: int, update: dict[str, Any]) -> list[dict[str, Any]]:
                    port = ports[(user_id + index) % len(ports)]
                    base = f"http://127.0.0.1:{port}"
                    async with client.post(f"{base}/webhook", json=update, headers=headers) as r:
                        if r.status != 200:
                            raise RuntimeError(f"webhook answered {r.status}")
                    query = {"update": str(update["update_id"]), "chat": str(user_id)}
                    async with client.get(f"{base}/_bench/wait", params=query) as r:
                        found: list[dict[str, Any]] = await r.json()
                        return found

                return send

            async def stats() -> list[dict[str, Any]]:
                found = []
                for port in ports:
                    async with client.get(f"http://127.0.0.1:{port}/_bench/stats") as r:
                        found.append(await r.json())
                return found

            await asyncio.gather(
                *(
                    drive(buyer_id(WARM_BASE + i), steps, sender(buyer_id(WARM_BASE + i)), [], [])
                    for i in range(warmup)
                )
            )
            latencies: list[float] = []
            errors: list[str] = []
            before = await stats()
            driver_cpu = cpu_seconds()
            machine_busy = machine_busy_seconds()
            started = time.perf_counter()
            await asyncio.gather(
                *(
                    drive(buyer_id(i), steps, sender(buyer_id(i)), latencies, errors)
                    for i in range(buyers)
                )
            )
            elapsed = time.perf_counter() - started
            driver_cpu = cpu_seconds() - driver_cpu
            busy_after = machine_busy_seconds()
            after = await stats()
            paced = await run_paced(sender, steps, buyers)
    finally:
        for server in servers:
            if server.returncode is None:
                server.terminate()
        for server in servers:
            await server.wait()
    updates = len(latencies)

    def total(snapshots: list[dict[str, Any]]) -> dict[str, Any]:
        api: Counter[str] = Counter()
        for snap in snapshots:
            api.update(snap["api"])
        keys = (
            "statements",
            "commits",
            "redis_commands",
            "redis_round_trips",
            "sqlite_hand_offs",
            "cpu_s",
        )
        return {**{k: sum(s[k] for s in snapshots) for k in keys}, "api": dict(api)}

    b, a = total(before), total(after)
    return {
        "instances": instances,
        "updates": updates,
        "errors": len(errors),
        "first_errors": errors[:3],
        "elapsed_s": round(elapsed, 3),
        "updates_per_second": round(updates / elapsed, 1),
        "cpu_ms_per_update": round((a["cpu_s"] - b["cpu_s"]) * 1000 / max(updates, 1), 3),
        "driver_cpu_ms_per_update": round(driver_cpu * 1000 / max(updates, 1), 3),
        "latency_ms_p50": round(percentile(latencies, 0.50) * 1000, 2),
        "latency_ms_p99": round(percentile(latencies, 0.99) * 1000, 2),
        **per_update(b, a, updates),
        "peak_rss_mb": max(s["peak_rss_mb"] for s in after),
        **machine_figures(machine_busy, busy_after, elapsed, updates),
        "paced": paced,
    }


def machine_figures(
    before: float | None, after: float | None, elapsed: float, updates: int
) -> dict[str, Any]:
    """What the whole machine spent on the measured phase (every process): the cores it kept
    busy, its CPU per update, and the throughput at which this mix would keep every core
    busy (the ceiling any number of instances can reach on this machine)."""
    if before is None or after is None or not updates:
        return {}
    busy = after - before
    cores = os.cpu_count() or 1
    return {
        "machine_cores": cores,
        "machine_busy_cores": round(busy / elapsed, 2),
        "machine_cpu_ms_per_update": round(busy * 1000 / updates, 3),
        "machine_ceiling_updates_per_second": round(cores * updates / busy, 1) if busy else None,
    }


# --- the run ---------------------------------------------------------------------------

SCENARIOS = {
    # name: (mode, storage, buyers multiplier (None: --buyers), instances)
    "inprocess_sqlite": ("inprocess", "sqlite", None, 1),
    "inprocess_pg_redis": ("inprocess", "pg_redis", None, 1),
    "http_sqlite": ("http", "sqlite", None, 1),
    "http_pg_redis": ("http", "pg_redis", None, 1),
    "http_pg_redis_two_instances": ("http", "pg_redis", None, 2),
    "inprocess_pg_redis_200_buyers": ("inprocess", "pg_redis", 200, 1),
}


@contextlib.contextmanager
def pg_database(admin_url: str) -> Any:
    """A database of the run's own on the PostgreSQL server; dropped afterwards."""
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(admin_url)
    name = f"refundbot_bench_{secrets.token_hex(5)}"
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run_one(
    name: str, flavor: str, args: argparse.Namespace, tmp: Path, buyers: int, round_: int
) -> dict[str, Any]:
    mode, storage, _, instances = SCENARIOS[name]
    with contextlib.ExitStack() as stack:
        if storage == "sqlite":
            database_url = f"sqlite+aiosqlite:///{tmp / f'{name}-{flavor}-{round_}.sqlite3'}"
            redis_url = None
        else:
            database_url = stack.enter_context(pg_database(args.postgres_url))
            redis_url = args.redis_url  # the state in Redis
        command = [
            sys.executable,
            __file__,
            "--scenario",
            name,
            "--flavor",
            flavor,
            "--buyers",
            str(buyers),
            "--warmup",
            str(buyers if args.warmup is None else args.warmup),
            "--database-url",
            database_url,
        ]
        if redis_url:
            command += ["--state-redis", redis_url]
        load = os.getloadavg()
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
        if done.returncode != 0:
            return {"error": done.stderr.strip().splitlines()[-3:]}
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        result["load_average_before"] = [round(x, 2) for x in load]
        result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        return result


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median throughput (the lower middle one of an even number), whole:
    its figures belong together."""
    measured = [run for run in runs if "updates_per_second" in run]
    if not measured:
        return runs[0]
    ordered = sorted(measured, key=lambda run: float(run["updates_per_second"]))
    return ordered[(len(ordered) - 1) // 2]


def summarise_rounds(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Each flavor's median run in full, every round's headline figures, and the ratios
    bot ÷ bare as the median of the rounds' own ratios (each round's two runs were measured
    next to each other, under the same load)."""
    summary: dict[str, Any] = {flavor: median_run(found) for flavor, found in runs.items()}
    rounds = []
    for index, bot in enumerate(runs["bot"]):
        row: dict[str, Any] = {}
        for flavor in runs:
            run = runs[flavor][index]
            if "updates_per_second" not in run:
                continue
            row[flavor] = {
                "updates_per_second": run["updates_per_second"],
                "cpu_ms_per_update": run["cpu_ms_per_update"],
                "load_average_before": run["load_average_before"][0],
            }
        bare = runs.get("bare", [{}] * len(runs["bot"]))[index]
        if "updates_per_second" in bot and "updates_per_second" in bare:
            row["ratio"] = round(bot["updates_per_second"] / bare["updates_per_second"], 2)
            row["cpu_ratio"] = round(bare["cpu_ms_per_update"] / bot["cpu_ms_per_update"], 2)
        rounds.append(row)
    summary["rounds"] = rounds
    ratios = sorted(row["ratio"] for row in rounds if "ratio" in row)
    if ratios:
        summary["ratio_bot_bare"] = round(statistics.median(ratios), 2)
        summary["cpu_ratio_bare_bot"] = round(
            statistics.median(row["cpu_ratio"] for row in rounds if "cpu_ratio" in row), 2
        )
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--buyers", type=int, default=50)
    parser.add_argument("--only", action="append", choices=sorted(SCENARIOS))
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="runs of each scenario; the bot's and the bare bot's alternate (default 3)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        help="buyers served before the measured ones, not measured (default: as many as measured)",
    )
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    # internal: one scenario of one flavor in this process, or one webhook server
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--flavor", choices=("bot", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--state-redis", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--bot-id", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--offset", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.serve:
        asyncio.run(serve(args))
        return 0
    if args.scenario:
        if args.warmup is None:
            args.warmup = args.buyers
        mode, _storage, _, instances = SCENARIOS[args.scenario]
        if mode == "inprocess":
            result = asyncio.run(
                run_inprocess(
                    args.flavor, args.database_url, args.state_redis, args.buyers, args.warmup
                )
            )
        else:
            result = asyncio.run(
                run_http(
                    args.flavor,
                    args.database_url,
                    args.state_redis,
                    args.buyers,
                    instances,
                    args.warmup,
                )
            )
        print(json.dumps(result))
        return 0

    results: dict[str, Any] = {
        "benchmark": "scale",
        "buyers": args.buyers,
        "updates_per_buyer": UPDATES_PER_BUYER,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only or list(SCENARIOS):
            mode, storage, fixed_buyers, instances = SCENARIOS[name]
            buyers = fixed_buyers or args.buyers
            entry: dict[str, Any] = {"mode": mode, "storage": storage, "buyers": buyers}
            flavors = ("bot",) if instances > 1 or fixed_buyers else ("bot", "bare")
            runs: dict[str, list[dict[str, Any]]] = {flavor: [] for flavor in flavors}
            for round_ in range(max(1, args.rounds)):
                # alternate which bot goes first (bot, bare, bare, bot, ...) so that a drift
                # of the machine's speed during the run weighs on both alike
                order = flavors if round_ % 2 == 0 else tuple(reversed(flavors))
                for flavor in order:
                    runs[flavor].append(run_one(name, flavor, args, Path(tmp), buyers, round_))
            entry.update(summarise_rounds(runs))
            results[name] = entry
    one = results.get("http_pg_redis", {}).get("bot", {})
    two = results.get("http_pg_redis_two_instances", {}).get("bot", {})
    if "updates_per_second" in one and "updates_per_second" in two:
        results["two_instances_vs_one"] = round(
            two["updates_per_second"] / one["updates_per_second"], 2
        )
    results["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
