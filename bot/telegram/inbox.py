"""Feeding the durable inbox to the dispatcher.

`InboxWorker.accept` cleans incoming updates (NUL, control characters, lone surrogates),
stores them (the caller acknowledges them to Telegram only after that) and queues them.
Updates of one chat are handled one after the other, in update order; chats go side by
side. Each update runs inside a conversation-state scope: its state writes are committed in
the same transaction that marks it done, so a crash at any point leaves it to be handled
again, once, from the same state.

Several instances (state in Redis): an update is handled under its chat's lock in Redis,
taken before its conversation state is read (the script that takes it reads that state in
the same step, once the lock is held) and released after the state and the inbox row are
committed, so the next update of that chat, on any instance, starts from this one's
state. A sweep or a start-up picks up pending rows, which another instance may hold too:
such a recovered update is handled only if its row is still pending once the lock is held,
and taking the lock for it raises the bot's "recovery under way" flag in Redis for
RECOVERY_FLAG_SECONDS. An update this instance stored itself skips that read of its row
(no extra round trip) unless the flag was up when it took the lock, or it was stored more
than OWN_FRESH_SECONDS ago. Why that is enough: another instance can only have handled the
update before us after recovering it from the database, so after it was stored here, and it
raised the flag when it took the lock; we take the lock after it released it, so either the
flag is still up or more than RECOVERY_FLAG_SECONDS, longer than OWN_FRESH_SECONDS, have
passed since the update was stored.

A failed update stays at the head of its chat's queue: an outage (database, network,
Telegram) is retried with growing pauses, or at once when the buyer writes again; a bug is
tried `max_attempts` times and then parked with its error, and the chat goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import secrets
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import Update
from redis.asyncio import Redis

from bot.domain.textclean import clean_payload
from bot.services.inbox import PARKED, PENDING, InboxItem, InboxService
from bot.services.users import UserService
from bot.telegram.delivery import CallbackAnswers, is_transient, tell_unavailable
from bot.telegram.fsm import Scope, ScopedIsolation, ScopedStorage, redis_decode, redis_names
from bot.telegram.middlewares import COUNTED, FLOOD_LUA, GENERATION_READ, Throttle

log = logging.getLogger(__name__)

TRANSIENT_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
BUG_DELAYS = (0.2, 0.5, 1.0, 2.0)
SWEEP_SECONDS = 20.0
START_WAIT_SECONDS = 2.0
# a chat's lock expires after this (an instance that died holding it); far longer than one
# update takes, Bot API retries included
CHAT_LOCK_SECONDS = 120.0
CHAT_LOCK_POLL_SECONDS = 0.005
RECOVERY_FLAG_SECONDS = 120.0
OWN_FRESH_SECONDS = 60.0

# KEYS: the chat's lock, the bot's recovery flag, then (each optional, as ARGV[5..7] say)
# the update's conversation state and data keys, the user's generation counter, and the
# user's flood-limit counter and "told" key; ARGV: token, lock ms, recovered (1/0), flag ms,
# state wanted (1/0), generation wanted (1/0), flood counted (1/0), flood window ms, flood
# limit. The answer: [taken, state, data, generation, flood verdict]; taken is -1 when the
# lock is held by someone else (nothing else is done then), 0 when taken, 1 when taken
# while a recovery is on. Once the lock is taken, and only then, the reads and the flood
# count follow: the update needs them first thing, and this saves each a round trip of its
# own (flood verdict -1: not counted here).
_ACQUIRE = (
    FLOOD_LUA
    + """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {-1} end
local taken
if ARGV[3] == '1' then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[4])
  taken = 1
else
  taken = redis.call('EXISTS', KEYS[2])
end
local answer = {taken, false, false, false, -1}
local k = 3
if ARGV[5] == '1' then
  answer[2] = redis.call('GET', KEYS[k])
  answer[3] = redis.call('GET', KEYS[k + 1])
  k = k + 2
end
if ARGV[6] == '1' then
  answer[4] = redis.call('GET', KEYS[k])
  k = k + 1
end
if ARGV[7] == '1' then answer[5] = flood(KEYS[k], KEYS[k + 1], ARGV[8], ARGV[9]) end
return answer
"""
)
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


_heap_settled = False


def settle_heap() -> None:
    """After start-up: what was built so far (settings, policy, knowledge index, fraud
    dictionaries, aiogram's types: hundreds of thousands of objects that live as long as the
    process) leaves the collector's view, and young collections run less often, so a full
    collection no longer walks all of it while buyers wait."""
    global _heap_settled
    if _heap_settled:
        return
    _heap_settled = True
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(20_000, middle, old)


@dataclass
class Outcome:
    """Filled by the error handler: the exception an update ended with, if any."""

    error: BaseException | None = None


@dataclass
class _Chat:
    items: deque[InboxItem] = field(default_factory=deque)
    ids: set[int] = field(default_factory=set)
    attempts: dict[int, int] = field(default_factory=dict)
    uncommitted: dict[int, Scope] = field(default_factory=dict)
    outages: dict[int, int] = field(default_factory=dict)
    recovered: set[int] = field(default_factory=set)
    accepted_at: dict[int, float] = field(default_factory=dict)
    started: dict[int, asyncio.Event] = field(default_factory=dict)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


async def _mark_started(handler: Any, event: Any, data: dict[str, Any]) -> Any:
    started = data.get("inbox_started")
    if isinstance(started, asyncio.Event):
        started.set()
    return await handler(event, data)


def payload_of(update: Update) -> dict[str, Any]:
    """An update as Telegram sent it (JSON), cleaned of characters nothing downstream takes."""
    raw = update.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=False)
    cleaned: dict[str, Any] = clean_payload(raw)
    return cleaned


class InboxWorker:
    def __init__(
        self,
        bot: Bot,
        dp: Dispatcher,
        inbox: InboxService,
        *,
        answers: CallbackAnswers | None = None,
    ) -> None:
        self.bot = bot
        self.dp = dp
        self.inbox = inbox
        self.answers = answers
        storage: BaseStorage = dp.storage
        self.storage = storage if isinstance(storage, ScopedStorage) else None
        # state in Redis means other instances may take this chat's updates: lock per chat
        self.redis: Redis | None = None
        self._redis_storage: RedisStorage | None = None
        if self.storage is not None and isinstance(self.storage.inner, RedisStorage):
            self._redis_storage = self.storage.inner
            self.redis = self.storage.inner.redis
            if not isinstance(dp.fsm.events_isolation, ScopedIsolation):
                dp.fsm.events_isolation = ScopedIsolation(dp.fsm.events_isolation)
        self.skipped = 0
        self.rechecked = 0
        # read and counted in the chat-lock script for the middlewares (see _ACQUIRE)
        users = dp.workflow_data.get("users")
        self._users = users if isinstance(users, UserService) else None
        throttle = dp.workflow_data.get("throttle")
        self._throttle = throttle if isinstance(throttle, Throttle) else None
        if self.redis is not None:
            self._acquire = self.redis.register_script(_ACQUIRE)
            self._release = self.redis.register_script(_RELEASE)
        self._chats: dict[int, _Chat] = {}
        self._told: set[int] = set()
        # updates taken in and not handled yet whose stored payload is what they hold
        self._parsed: dict[int, Update] = {}
        self._closing = False
        self.handled = 0
        self.parked = 0
        settle_heap()
        # innermost update middleware so far: the dispatcher's own and the observers (metrics,
        # a test's tracker) have seen the update when it runs
        dp.update.outer_middleware(_mark_started)

    # --- taking updates in -----------------------------------------------------------

    async def accept(self, updates: Sequence[Update]) -> int:
        """Store updates, then queue the new ones. Raises when they cannot be stored: the
        caller must not acknowledge them then."""
        payloads = []
        for update in updates:
            raw = update.model_dump(
                mode="json", by_alias=True, exclude_none=True, exclude_defaults=False
            )
            cleaned: dict[str, Any] = clean_payload(raw)
            payloads.append(cleaned)
            if cleaned == raw:  # nothing to clean: handle this very object, not a re-read
                self._parsed[update.update_id] = update
        before = time.monotonic()
        try:
            new = await self.inbox.store(self.bot.id, payloads)
        except BaseException:
            for update in updates:
                self._parsed.pop(update.update_id, None)
            raise
        fresh = {item.update_id for item in new}
        for update in updates:
            if update.update_id not in fresh:  # a repeated delivery: not handled again
                self._parsed.pop(update.update_id, None)
        started = [self.submit(item, stored_at=before) for item in new]
        # let the handling begin before Telegram hears the updates arrived (an observer of
        # the dispatcher then sees them in flight); a chat busy with an earlier update is
        # not waited for long
        waiting = [event.wait() for event in started if event is not None]
        if waiting:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*waiting), START_WAIT_SECONDS)
        return len(new)

    async def tell_unavailable(self, updates: Sequence[Update]) -> None:
        """Updates that could not even be stored: the buyer hears once that we are down
        (Telegram delivers them again, and they are handled when storage is back)."""
        for update in updates:
            if update.update_id in self._told:
                continue
            self._told.add(update.update_id)
            if len(self._told) > 100_000:
                self._told.clear()
            await tell_unavailable(self.bot, update, answers=self.answers)

    async def recover(self) -> int:
        """Queue what was stored but not handled (after a crash, or retried by the operator)."""
        items = await self.inbox.pending(self.bot.id)
        for item in items:
            self.submit(item, recovered=True)
        return len(items)

    def submit(
        self, item: InboxItem, *, recovered: bool = False, stored_at: float | None = None
    ) -> asyncio.Event | None:
        """Queue an update; the event is set once its handling has begun."""
        if self._closing:
            return None
        key = item.chat_id if item.chat_id is not None else -item.update_id
        chat = self._chats.get(key)
        if chat is None:
            chat = self._chats[key] = _Chat()
        if item.update_id in chat.ids:
            return None
        chat.ids.add(item.update_id)
        if recovered or stored_at is None:
            chat.recovered.add(item.update_id)
        else:
            chat.accepted_at[item.update_id] = stored_at
        started = chat.started[item.update_id] = asyncio.Event()
        chat.attempts.setdefault(item.update_id, item.attempts)
        chat.items.append(item)
        chat.wake.set()
        if chat.task is None or chat.task.done():
            chat.task = asyncio.create_task(self._run(key, chat), name=f"inbox-chat-{key}")
        return started

    # --- handling ----------------------------------------------------------------------

    async def _run(self, key: int, chat: _Chat) -> None:
        try:
            while chat.items and not self._closing:
                item = chat.items[0]
                finished, delay = await self._handle(item, chat)
                if finished:
                    chat.items.popleft()
                    chat.ids.discard(item.update_id)
                    chat.attempts.pop(item.update_id, None)
                    chat.outages.pop(item.update_id, None)
                    chat.recovered.discard(item.update_id)
                    chat.accepted_at.pop(item.update_id, None)
                    self._parsed.pop(item.update_id, None)
                    continue
                chat.wake.clear()
                await self._tell_waiting(chat)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(chat.wake.wait(), delay)
                await self._tell_waiting(chat)
        finally:
            if not chat.items and self._chats.get(key) is chat:
                del self._chats[key]

    async def _tell_waiting(self, chat: _Chat) -> None:
        """Updates queued behind one that cannot finish yet: each buyer hears once that we
        are down, instead of silence (they are handled, in order, once it passes)."""
        waiting = [item for item in list(chat.items)[1:] if item.update_id not in self._told]
        updates = []
        for item in waiting:
            with contextlib.suppress(Exception):
                updates.append(Update.model_validate(item.payload or {}, context={"bot": self.bot}))
        if updates:
            await self.tell_unavailable(updates)

    async def _handle(self, item: InboxItem, chat: _Chat) -> tuple[bool, float]:
        """(finished, pause before the next try)."""
        if self.redis is None:
            return await self._handle_here(item, chat)
        key = item.chat_id if item.chat_id is not None else -item.update_id
        lock_key = f"inbox:lock:{item.bot_id}:{key}"
        token = secrets.token_hex(8)
        recovered = item.update_id in chat.recovered
        keys = [lock_key, f"inbox:recovering:{item.bot_id}"]
        storage = self._redis_storage
        state_key = self._state_key(item) if storage is not None else None
        if storage is not None and state_key is not None:
            keys.extend(redis_names(storage, state_key))
        user_id = self._user_of(item)
        if user_id is not None and self._users is not None:
            keys.append(self._users.generation_key(user_id))
        flood = None
        # a commit being retried is not fed to the dispatcher again: not counted again either
        if (
            self._throttle is not None
            and user_id is not None
            and item.update_id not in chat.uncommitted
        ):
            flood = self._throttle.redis_count(item.bot_id, user_id)
        flood_keys, flood_args = flood if flood is not None else ([], [])
        keys.extend(flood_keys)
        read: dict[StorageKey, tuple[str | None, dict[str, Any]]] = {}
        given: dict[str, Any] = {}
        try:
            while True:
                answer = await self._acquire(
                    keys=keys,
                    args=[
                        token,
                        int(CHAT_LOCK_SECONDS * 1000),
                        "1" if recovered else "0",
                        int(RECOVERY_FLAG_SECONDS * 1000),
                        "1" if state_key is not None else "0",
                        "1" if user_id is not None and self._users is not None else "0",
                        "1" if flood_keys else "0",
                        *(flood_args or [0, 0]),
                    ],
                )
                taken = int(answer[0])
                if taken >= 0:
                    break
                await asyncio.sleep(CHAT_LOCK_POLL_SECONDS)
            if storage is not None and state_key is not None:
                read[state_key] = redis_decode(storage, answer[1], answer[2])
            if user_id is not None and self._users is not None:
                counter = answer[3]
                given[GENERATION_READ] = (user_id, counter if isinstance(counter, bytes) else None)
            if flood_keys:
                given[COUNTED] = (user_id, int(answer[4]))
        except Exception as exc:  # noqa: BLE001 - Redis is down: an outage, try again
            log.warning("update %s: chat lock unavailable (%s)", item.update_id, type(exc).__name__)
            return await self._outage(item, chat)
        try:
            age = time.monotonic() - chat.accepted_at.get(item.update_id, float("-inf"))
            if item.update_id not in chat.uncommitted and (taken == 1 or age > OWN_FRESH_SECONDS):
                self.rechecked += 1
                try:
                    status = await self.inbox.status(item.bot_id, item.update_id)
                except Exception as exc:  # noqa: BLE001 - the database is down: try again
                    log.warning(
                        "update %s: inbox unreadable (%s)", item.update_id, type(exc).__name__
                    )
                    return await self._outage(item, chat)
                if status != PENDING:
                    # handled (or parked, or forgotten) by another instance meanwhile
                    self.skipped += 1
                    chat.started.pop(item.update_id, asyncio.Event()).set()
                    return True, 0.0
            return await self._handle_here(item, chat, locked=True, read=read, given=given)
        finally:
            with contextlib.suppress(Exception):  # expired or Redis gone: it frees itself
                await self._release(keys=[lock_key], args=[token])

    async def _outage(self, item: InboxItem, chat: _Chat) -> tuple[bool, float]:
        """Redis or the database is down before the update could even start: the buyer
        hears once that we are down; it is tried again with growing pauses."""
        failures = chat.outages[item.update_id] = chat.outages.get(item.update_id, 0) + 1
        chat.started.pop(item.update_id, asyncio.Event()).set()
        with contextlib.suppress(Exception):
            update = Update.model_validate(item.payload or {}, context={"bot": self.bot})
            await self.tell_unavailable([update])
        return False, TRANSIENT_DELAYS[min(failures - 1, len(TRANSIENT_DELAYS) - 1)]

    @staticmethod
    def _user_of(item: InboxItem) -> int | None:
        """The user whose flood limit and profile the middlewares check for this update:
        the sender of a message or a button press (what aiogram calls `event_from_user`)."""
        payload = item.payload or {}
        for kind in ("message", "callback_query"):
            event = payload.get(kind)
            if isinstance(event, dict):
                sender = event.get("from")
                found = sender.get("id") if isinstance(sender, dict) else None
                return found if isinstance(found, int) else None
        return None

    def _state_key(self, item: InboxItem) -> StorageKey | None:
        """The conversation state key the dispatcher will use for this update (aiogram's
        own resolution), when the update is at hand already parsed; else None."""
        update = self._parsed.get(item.update_id)
        if update is None:
            return None
        event = UserContextMiddleware.resolve_event_context(update)
        context = self.dp.fsm.resolve_context(
            self.bot,
            chat_id=event.chat_id,
            user_id=event.user_id,
            thread_id=event.thread_id,
            business_connection_id=event.business_connection_id,
        )
        return context.key if context is not None else None

    async def _handle_here(
        self,
        item: InboxItem,
        chat: _Chat,
        *,
        locked: bool = False,
        read: dict[StorageKey, tuple[str | None, dict[str, Any]]] | None = None,
        given: dict[str, Any] | None = None,
    ) -> tuple[bool, float]:
        update_id = item.update_id
        scope = chat.uncommitted.get(update_id)
        if scope is None:  # handle it (again)
            attempt = chat.attempts.get(update_id, 0) + 1
            chat.attempts[update_id] = attempt
            started = chat.started.pop(update_id, None) or asyncio.Event()
            try:
                error, scope = await self._feed(
                    item, attempt, started, locked=locked, read=read, given=given
                )
            finally:
                started.set()
            if error is not None:
                return await self._failed(item, error, attempt)
        try:
            await self._commit(item, scope)
        except Exception as exc:  # noqa: BLE001 - handled, not yet recorded: retry the record
            log.warning(
                "update %s handled but not marked done (%s); trying again",
                update_id,
                type(exc).__name__,
            )
            chat.uncommitted[update_id] = scope
            return False, TRANSIENT_DELAYS[min(len(chat.uncommitted), len(TRANSIENT_DELAYS) - 1)]
        chat.uncommitted.pop(update_id, None)
        self.handled += 1
        return True, 0.0

    async def _feed(
        self,
        item: InboxItem,
        attempt: int,
        started: asyncio.Event,
        *,
        locked: bool = False,
        read: dict[StorageKey, tuple[str | None, dict[str, Any]]] | None = None,
        given: dict[str, Any] | None = None,
    ) -> tuple[BaseException | None, Scope]:
        update = self._parsed.pop(item.update_id, None) if attempt == 1 else None
        if update is None:
            try:
                update = Update.model_validate(item.payload or {}, context={"bot": self.bot})
            except Exception as exc:  # noqa: BLE001 - a payload aiogram cannot read: park it
                return exc, Scope()
        outcome = Outcome()
        scope_cm = (
            self.storage.scope(locked=locked, read=read)
            if self.storage is not None
            else contextlib.nullcontext(Scope())
        )
        with scope_cm as scope:
            try:
                # a buyer already told we are down is not told again by the error handler
                told = attempt if item.update_id not in self._told else max(attempt, 2)
                await self.dp.feed_update(
                    self.bot,
                    update,
                    inbox_outcome=outcome,
                    inbox_attempt=told,
                    inbox_started=started,
                    **(given or {}),
                )
            except Exception as exc:  # noqa: BLE001 - no error handler took it
                outcome.error = outcome.error or exc
        return outcome.error, scope

    async def _commit(self, item: InboxItem, scope: Scope) -> None:
        storage = self.storage
        if storage is None or not scope.dirty:
            await self.inbox.done(self.bot.id, item.update_id)
        elif storage.shares_database:
            await self.inbox.done(self.bot.id, item.update_id, writes=storage.writes(scope))
            storage.committed(scope)
        else:
            await storage.commit(scope)
            await self.inbox.done(self.bot.id, item.update_id)

    async def _failed(
        self, item: InboxItem, error: BaseException, attempt: int
    ) -> tuple[bool, float]:
        transient = is_transient(error)
        kind = type(error).__name__
        if transient:
            log.warning(
                "update %s failed on attempt %d (%s); will try again", item.update_id, attempt, kind
            )
            with contextlib.suppress(Exception):
                await self.inbox.failed(
                    self.bot.id,
                    item.update_id,
                    error,
                    attempts=min(attempt, self.inbox.max_attempts - 1),
                )
            return False, TRANSIENT_DELAYS[min(attempt - 1, len(TRANSIENT_DELAYS) - 1)]
        try:
            status = await self.inbox.failed(self.bot.id, item.update_id, error, attempts=attempt)
        except Exception:  # noqa: BLE001 - cannot record it now: try again later
            return False, TRANSIENT_DELAYS[min(attempt - 1, len(TRANSIENT_DELAYS) - 1)]
        if status == PARKED:
            self.parked += 1
            log.error(
                "update %s parked after %d attempts (%s); `refund-bot inbox` lists it",
                item.update_id,
                attempt,
                kind,
            )
            return True, 0.0
        log.warning("update %s failed on attempt %d (%s)", item.update_id, attempt, kind)
        return False, BUG_DELAYS[min(attempt - 1, len(BUG_DELAYS) - 1)]

    # --- running -----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return any(chat.items for chat in self._chats.values())

    async def sweep_forever(self, every: float = SWEEP_SECONDS) -> None:
        """Pick up pending updates no queue holds (retried by the operator, or stored by
        another instance that stopped)."""
        while not self._closing:
            await asyncio.sleep(every)
            try:
                await self.recover()
            except Exception as exc:  # noqa: BLE001 - the database is down: next round
                log.warning("inbox sweep failed (%s)", type(exc).__name__)

    async def close(self, grace: float = 10.0) -> None:
        """Let running updates finish (up to `grace` seconds), then stop; what is left stays
        pending in the database for the next start."""
        tasks = [
            chat.task
            for chat in self._chats.values()
            if chat.task is not None and not chat.task.done()
        ]
        self._closing = True
        self._parsed.clear()
        for chat in self._chats.values():
            chat.wake.set()
        if tasks:
            _, running = await asyncio.wait(tasks, timeout=grace)
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
