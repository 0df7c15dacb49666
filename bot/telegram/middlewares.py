"""Middlewares: pick the user's language, scan private messages, limit floods.

Repeated deliveries are dropped by the inbox (bot.telegram.inbox), before any middleware."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, User
from redis.asyncio import Redis

from bot.i18n import Translator, pick_language
from bot.services.users import Profile, UserService
from bot.telegram import keyboards
from bot.telegram.fraud import WARN_AT, picture_of, scan_checked, warning_text
from bot.telegram.states import LinkCheck

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


# the data key under which the inbox hands over the user's generation counter it read from
# Redis when it took the chat's lock: (user id, counter)
GENERATION_READ = "inbox_user_generation"


class Language(BaseMiddleware):
    """Records the user and injects `t` (a Translator) and `lang`."""

    def __init__(self, users: UserService, default_language: str) -> None:
        self.users = users
        self.default_language = default_language

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        chat = data.get("event_chat")
        profile: Profile | None = None
        # buyers are recorded from their private chats; group members are not stored
        if user is not None and not user.is_bot and (chat is None or chat.type == "private"):
            try:
                read = data.get(GENERATION_READ)  # (user id, counter): read with the chat's lock
                profile = await self.users.profile(
                    user_id=user.id,
                    first_name=user.first_name,
                    username=user.username,
                    generation=(read[1],) if read is not None and read[0] == user.id else None,
                )
            except Exception:  # noqa: BLE001 - the error handler tells the user; pick a language anyway
                log.warning("could not record user %s", user.id, exc_info=True)
        chosen = profile.language if profile is not None else None
        lang = chosen or pick_language(user.language_code if user else None, self.default_language)
        data["lang"] = lang
        data["t"] = Translator(lang)
        # the buyer's ban, read with their language (None: not known here, ask the database)
        data["profile"] = profile
        return await handler(event, data)


class ScanPrivateMessages(BaseMiddleware):
    """Every message a buyer sends or forwards in a private chat is scanned first; a risky
    one gets the warning instead of being handled as an answer (the conversation keeps its
    place). `/check` shows its own verdict, so its waiting step is left alone."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if not isinstance(event, Message) or event.chat.type != "private":
            return await handler(event, data)
        state = data.get("state")
        if state is not None and await state.get_state() == LinkCheck.waiting.state:
            return await handler(event, data)
        if data.get("image_scanner") is not None and picture_of(event) is not None:
            return await handler(event, data)  # a picture and its caption: ScanPictures
        verdict = await scan_checked(data.get("detector"), event, data.get("gateway"))
        if verdict is None or not verdict.at_least(WARN_AT):
            return await handler(event, data)
        t: Translator = data["t"]
        log.info("risky message from %s: %s", event.chat.id, verdict.checks)
        await event.reply(
            warning_text(t, verdict), reply_markup=keyboards.scam_warning(t, str(event.message_id))
        )
        # in the middle of the refund wizard: the step is asked again, with its buttons
        from bot.telegram.handlers.wizard import resume_from

        await resume_from(event, data)
        return None


# count an update in the user's window (the window starts with the first update and lasts
# `window` ms); past the limit, claim the one warning of that window. 0: go on; 1: over the
# limit; 2: over the limit, and the user is to be told. Also run by the inbox's chat-lock
# script (bot.telegram.inbox), which counts the update in the same round trip.
FLOOD_LUA = """
local function flood(counter, told, window, limit)
  local n = redis.call('INCR', counter)
  if n == 1 then redis.call('PEXPIRE', counter, window) end
  if n <= tonumber(limit) then return 0 end
  if redis.call('SET', told, '1', 'PX', window, 'NX') then return 2 end
  return 1
end
"""
_THROTTLE_SCRIPT = FLOOD_LUA + "return flood(KEYS[1], KEYS[2], ARGV[1], ARGV[2])"

# the data key under which the inbox hands over a verdict it counted already: (user id,
# verdict)
COUNTED = "inbox_flood_counted"


class Throttle(BaseMiddleware):
    """At most `limit` updates per user in `window` seconds; beyond that the user is told
    once to slow down and the rest of the burst is dropped (an album of ten screenshots
    stays well inside the limit).

    With Redis the count is shared by every instance (a buyer whose updates are spread over
    several instances meets the same limit); without it, it is kept in this process, which
    then is the only one."""

    def __init__(self, limit: int = 20, window: float = 10.0, redis: Redis | None = None) -> None:
        self.limit = limit
        self.window = window
        self.redis = redis
        self._script = redis.register_script(_THROTTLE_SCRIPT) if redis is not None else None
        self._hits: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    def redis_count(self, bot_id: int, user_id: int) -> tuple[list[str], list[int]] | None:
        """The keys and arguments of `FLOOD_LUA`'s `flood` for this user (None without
        Redis): for a caller that counts the update in a script of its own."""
        if self.redis is None:
            return None
        prefix = f"throttle:{bot_id}:{user_id}"
        return [prefix, f"{prefix}:told"], [max(1, int(self.window * 1000)), self.limit]

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        counted = data.get(COUNTED)
        if counted is not None and counted[0] == user.id:
            verdict = int(counted[1])  # the inbox counted it when it took the chat's lock
        else:
            verdict = await self._count(user.id, data)
        if verdict == 0:
            return await handler(event, data)
        if verdict == 2:
            await self._tell(event, data["t"])
        return None

    async def _count(self, user_id: int, data: dict[str, Any]) -> int:
        """0: go on; 1: over the limit; 2: over the limit, and the user is to be told."""
        bot = data.get("bot")
        counted = self.redis_count(bot.id if bot is not None else 0, user_id)
        if self._script is not None and counted is not None:
            keys, args = counted
            return int(await self._script(keys=keys, args=args))
        now = time.monotonic()
        hits = self._hits.setdefault(user_id, deque())
        while hits and now - hits[0] > self.window:
            hits.popleft()
        if len(hits) < self.limit:
            hits.append(now)
            return 0
        told = now - self._warned.get(user_id, 0.0) > self.window
        if told:
            self._warned[user_id] = now
        if len(self._hits) > 100_000:  # forget quiet users now and then
            self._hits = {
                uid: h for uid, h in self._hits.items() if h and now - h[-1] <= self.window
            }
            self._warned = {uid: at for uid, at in self._warned.items() if now - at <= self.window}
        return 2 if told else 1

    @staticmethod
    async def _tell(event: TelegramObject, t: Translator) -> None:
        if (
            isinstance(event, Message)
            and event.chat.type == "private"
            or isinstance(event, CallbackQuery)
        ):
            await event.answer(t("hint.slow_down"))
