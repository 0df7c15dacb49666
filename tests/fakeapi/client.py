# The public API takes `timeout=` arguments on purpose (it mirrors the test contract).
# ruff: noqa: ASYNC109
"""User-side test client for :class:`~tests.fakeapi.server.FakeTelegramServer`.

It talks to the server's ``/_test/`` JSON endpoints over HTTP and keeps a local mirror of
what the bot did (messages, edits, deletions, API calls), refreshed by a background
long-poll, so that tests can both ``await`` bot replies and inspect state synchronously.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

__all__ = [
    "ApiCall",
    "BotMessage",
    "Button",
    "CallbackAnswer",
    "FakeGroup",
    "FakeTelegramClient",
    "FakeTelegramError",
    "FakeUser",
]

JSON = dict[str, Any]

# A 1x1 PNG.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
# Headers of a 1280x960 JPEG (SOI + SOF0 + EOI): a few bytes that report a realistic size, used
# when a test sends a photo without caring about its content.
SAMPLE_JPEG = bytes.fromhex(
    "ffd8ffc0001108 03c0 0500 03 012200 021101 031101 ffd9".replace(" ", "")
)


class _Unset:
    """Marker for "argument not given"."""


_UNSET = _Unset()


class FakeTelegramError(AssertionError):
    """A test-side action was impossible (no such button, bot did not answer in time, ...)."""


@dataclass
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None
    raw: JSON = field(default_factory=dict, repr=False, compare=False)


@dataclass
class CallbackAnswer:
    text: str | None
    show_alert: bool = False
    url: str | None = None
    cache_time: int = 0


@dataclass
class BotMessage:
    """A message of the bot as the user sees it (one event: sent, or edited)."""

    message_id: int
    chat_id: int
    text: str | None  # text, or the caption of a media message
    buttons: list[list[Button]] = field(default_factory=list)
    reply_keyboard: list[list[str]] | None = None  # reply keyboard sent with this message
    photo: str | None = None  # file_id of the largest photo size
    document: str | None = None  # file_id of the document
    edited: bool = False
    deleted: bool = False
    raw: JSON = field(default_factory=dict, repr=False)  # the Telegram Message object
    entities: list[JSON] = field(default_factory=list, repr=False)
    keyboard_removed: bool = False  # sent with ReplyKeyboardRemove
    seq: int = field(default=0, repr=False, compare=False)

    def button_texts(self) -> list[str]:
        """Texts of all inline buttons, row by row, flattened."""
        return [b.text for row in self.buttons for b in row]

    def button(self, text: str) -> Button:
        for row in self.buttons:
            for b in row:
                if b.text == text:
                    return b
        raise FakeTelegramError(
            f"no button {text!r} in message {self.message_id}; buttons: {self.button_texts()}"
        )

    def has_button(self, text: str) -> bool:
        return text in self.button_texts()

    @property
    def kind(self) -> str:
        for key in (
            "text",
            "photo",
            "document",
            "sticker",
            "voice",
            "video",
            "audio",
            "animation",
            "location",
            "contact",
            "dice",
            "poll",
            "video_note",
        ):
            if key in self.raw:
                return key
        return "unknown"

    @classmethod
    def from_event(cls, event: JSON) -> BotMessage:
        msg = event["message"]
        rows = (msg.get("reply_markup") or {}).get("inline_keyboard") or []
        buttons = [
            [
                Button(
                    text=b.get("text", ""),
                    callback_data=b.get("callback_data"),
                    url=b.get("url"),
                    raw=b,
                )
                for b in row
            ]
            for row in rows
        ]
        keyboard_info = event.get("keyboard") or {}
        reply_keyboard = None
        if "keyboard" in keyboard_info:
            reply_keyboard = [
                [b.get("text", "") for b in row] for row in keyboard_info["keyboard"]["keyboard"]
            ]
        photo = msg.get("photo")
        document = msg.get("document")
        return cls(
            message_id=int(msg["message_id"]),
            chat_id=int(msg["chat"]["id"]),
            text=msg.get("text", msg.get("caption")),
            buttons=buttons,
            reply_keyboard=reply_keyboard,
            photo=photo[-1]["file_id"] if photo else None,
            document=document["file_id"] if document else None,
            edited=bool(event.get("edited")),
            raw=msg,
            entities=list(msg.get("entities") or msg.get("caption_entities") or []),
            keyboard_removed=bool(keyboard_info.get("remove_keyboard")),
            seq=int(event["seq"]),
        )

    def short(self) -> str:
        text = (self.text or f"<{self.kind}>").replace("\n", "\\n")
        if len(text) > 120:
            text = text[:117] + "..."
        flags = "".join(
            f" [{f}]" for f, on in (("edited", self.edited), ("deleted", self.deleted)) if on
        )
        buttons = f" buttons={self.button_texts()}" if self.buttons else ""
        kb = f" keyboard={self.reply_keyboard}" if self.reply_keyboard else ""
        return f"#{self.message_id}{flags} {text!r}{buttons}{kb}"


class ApiCall(tuple):
    """A recorded Bot API call; unpacks as ``(method, params)``, plus attributes."""

    method: str
    params: JSON
    ok: bool
    error_code: int | None
    description: str | None
    result: Any
    files: JSON
    source: str

    def __new__(cls, record: JSON) -> ApiCall:
        obj = super().__new__(cls, (record["method"], record["params"]))
        obj.method = record["method"]
        obj.params = record["params"]
        obj.ok = bool(record.get("ok"))
        obj.error_code = record.get("error_code")
        obj.description = record.get("description")
        obj.result = record.get("result")
        obj.files = record.get("files") or {}
        obj.source = record.get("source", "http")
        return obj

    def short(self) -> str:
        """``method(key=value, ...)`` with long values shortened."""
        parts = []
        for key, value in self.params.items():
            text = repr(value)
            parts.append(f"{key}={text if len(text) <= 60 else text[:57] + '...'}")
        return f"{self.method}({', '.join(parts)})"

    def __repr__(self) -> str:
        status = "ok" if self.ok else f"{self.error_code} {self.description}"
        return f"ApiCall({self.method}, {self.params!r}, {status})"


class _ChatSide:
    """Waiting for / inspecting the bot's messages in one chat."""

    chat_id: int

    def __init__(self, tg: FakeTelegramClient, chat_id: int) -> None:
        self.tg = tg
        self.chat_id = chat_id

    async def wait_for_message(
        self, timeout: float = 5.0, predicate: Callable[[BotMessage], bool] | None = None
    ) -> BotMessage:
        """Next bot message event (new or edited) in this chat not yet returned by this client.

        Events that do not match ``predicate`` stay unconsumed.
        """
        result = await self.wait_for_messages(1, timeout=timeout, predicate=predicate)
        return result[0]

    async def wait_for_messages(
        self, n: int, timeout: float = 5.0, predicate: Callable[[BotMessage], bool] | None = None
    ) -> list[BotMessage]:
        """The next ``n`` unconsumed bot message events of this chat (waits for all of them)."""
        deadline = time.monotonic() + timeout
        synced = False
        while True:
            found = self._unconsumed(predicate)[:n]
            if len(found) >= n:
                for m in found:
                    self.tg._consumed.add(m.seq)
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if not synced:
                    await self.tg.sync()
                    synced = True
                    continue
                got = f"only {len(found)} of {n}" if n > 1 else "none"
                raise FakeTelegramError(
                    f"timed out after {timeout}s waiting for {n} bot message(s) in chat {self.chat_id} "
                    f"({got} arrived{' matching the predicate' if predicate else ''}).\n"
                    + self.tg._report(self.chat_id)
                )
            await self.tg._wait_change(remaining)

    async def wait_for_new_message(
        self, timeout: float = 5.0, predicate: Callable[[BotMessage], bool] | None = None
    ) -> BotMessage:
        """Like :meth:`wait_for_message` but only for newly sent messages (edits stay unconsumed)."""
        return await self.wait_for_message(
            timeout, lambda m: not m.edited and (predicate is None or predicate(m))
        )

    async def wait_for_edit(self, message: BotMessage | int, timeout: float = 5.0) -> BotMessage:
        """The next unconsumed edit of ``message`` (other events stay unconsumed)."""
        mid = message if isinstance(message, int) else message.message_id
        return await self.wait_for_message(timeout, lambda m: m.edited and m.message_id == mid)

    def pending(self) -> list[BotMessage]:
        """Unconsumed message events of this chat (does not consume them)."""
        return self._unconsumed(None)

    def _unconsumed(self, predicate: Callable[[BotMessage], bool] | None) -> list[BotMessage]:
        return [
            m
            for m in self.tg._chat_events.get(self.chat_id, [])
            if m.seq not in self.tg._consumed and (predicate is None or predicate(m))
        ]

    async def wait_idle(self, quiet: float = 0.3, timeout: float = 5.0) -> list[BotMessage]:
        """Wait until the bot is quiet; return (and consume) this chat's unconsumed events."""
        await self.tg.wait_idle(quiet=quiet, timeout=timeout)
        found = self._unconsumed(None)
        for m in found:
            self.tg._consumed.add(m.seq)
        return found

    async def expect_no_message(self, quiet: float = 0.3, timeout: float = 5.0) -> None:
        """Assert that the bot sends/edits nothing more in this chat (after becoming idle)."""
        extra = await self.wait_idle(quiet=quiet, timeout=timeout)
        if extra:
            raise FakeTelegramError(
                f"expected no bot message in chat {self.chat_id}, got: {[m.short() for m in extra]}"
            )

    def messages(self, include_deleted: bool = False) -> list[BotMessage]:
        """Every bot message in this chat, in order, in its current state (after edits)."""
        current = self.tg._current.get(self.chat_id, {})
        return [m for _, m in sorted(current.items()) if include_deleted or not m.deleted]

    def last_message(self) -> BotMessage | None:
        msgs = self.messages()
        return msgs[-1] if msgs else None

    def message(self, message_id: int) -> BotMessage:
        current = self.tg._current.get(self.chat_id, {})
        if message_id not in current:
            raise FakeTelegramError(f"no bot message {message_id} in chat {self.chat_id}")
        return current[message_id]

    async def wait_deleted(self, message: BotMessage | int, timeout: float = 5.0) -> None:
        mid = message if isinstance(message, int) else message.message_id
        deadline = time.monotonic() + timeout
        while True:
            current = self.tg._current.get(self.chat_id, {}).get(mid)
            if current is not None and current.deleted:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FakeTelegramError(
                    f"message {mid} in chat {self.chat_id} was not deleted within {timeout}s.\n"
                    + self.tg._report(self.chat_id)
                )
            await self.tg._wait_change(remaining)

    async def state(self) -> JSON:
        """Server-side state of the chat: all messages (users' too), current reply keyboard."""
        return await self.tg._call("chat", chat_id=self.chat_id)

    async def reply_keyboard(self) -> list[list[str]] | None:
        """The reply keyboard currently shown in this chat (None if none/removed)."""
        kb = (await self.state()).get("reply_keyboard")
        if not kb:
            return None
        return [[b.get("text", "") for b in row] for row in kb["keyboard"]]

    async def _press(
        self, user: FakeUser, message: BotMessage | int, text: str | None, callback_data: str | None
    ) -> int:
        if text is None and callback_data is None:
            raise FakeTelegramError("press() needs text= or callback_data=")
        mid = message if isinstance(message, int) else message.message_id
        result = await self.tg._call(
            "press",
            user=user.info,
            chat_id=self.chat_id,
            message_id=mid,
            text=text,
            callback_data=callback_data,
        )
        self.tg._presses.append(str(result["callback_query_id"]))
        return int(result["update_id"])

    async def _send(
        self, user: FakeUser, content: JSON, chat: JSON | None = None, **extra: Any
    ) -> int | None:
        body: JSON = {"user": user.info, "content": content, **extra}
        if chat is not None:
            body["chat"] = chat
        result = await self.tg._call("send", **body)
        user.last_sent_message_id = int(result["message_id"])
        uid = result["update_id"]
        return None if uid is None else int(uid)

    async def _upload(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        file_size: int | None = None,
        extra: JSON | None = None,
    ) -> Any:
        return await self.tg._call(
            "upload",
            kind=kind,
            data=base64.b64encode(data).decode(),
            file_name=file_name,
            mime_type=mime_type,
            file_size=file_size,
            extra=extra,
        )


def _reply_id(reply_to: BotMessage | int | None) -> int | None:
    if reply_to is None:
        return None
    return reply_to if isinstance(reply_to, int) else reply_to.message_id


class FakeUser(_ChatSide):
    """A Telegram user in a private chat with the bot (chat id == user id)."""

    def __init__(
        self,
        tg: FakeTelegramClient,
        user_id: int,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        is_premium: bool | None = None,
    ) -> None:
        super().__init__(tg, user_id)
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.is_premium = is_premium
        self.last_sent_message_id: int | None = None

    @property
    def info(self) -> JSON:
        """The Telegram ``User`` object of this user."""
        data: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code", "is_premium"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data

    # ---- sending

    async def send_text(
        self,
        text: str,
        *,
        entities: list[JSON] | None = None,
        reply_to: BotMessage | int | None = None,
    ) -> int | None:
        """Send a text message; returns the update_id (bot_command/url/... entities are added)."""
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        return await self._send(self, content, reply_to_message_id=_reply_id(reply_to))

    async def send_photo(
        self,
        data: bytes = SAMPLE_JPEG,
        caption: str | None = None,
        *,
        reply_to: BotMessage | int | None = None,
        file_size: int | None = None,
    ) -> int | None:
        """Send a photo (stored as a ladder of PhotoSize objects sharing these bytes)."""
        sizes = await self._upload("photo", data, file_size=file_size)
        return await self._send(
            self, {"photo": sizes, "caption": caption}, reply_to_message_id=_reply_id(reply_to)
        )

    async def send_document(
        self,
        data: bytes,
        file_name: str = "file.pdf",
        mime_type: str | None = None,
        caption: str | None = None,
        *,
        file_size: int | None = None,
        reply_to: BotMessage | int | None = None,
    ) -> int | None:
        """Send a document. ``file_size`` may claim a bigger size (e.g. > 20 MB for getFile)."""
        doc = await self._upload(
            "document", data, file_name=file_name, mime_type=mime_type, file_size=file_size
        )
        return await self._send(
            self, {"document": doc, "caption": caption}, reply_to_message_id=_reply_id(reply_to)
        )

    async def send_sticker(self, emoji: str = "👍", data: bytes | None = None) -> int | None:
        sticker = await self._upload("sticker", data or b"RIFF\0\0\0\0WEBP", extra={"emoji": emoji})
        return await self._send(self, {"sticker": sticker})

    async def send_voice(self, data: bytes | None = None, duration: int = 2) -> int | None:
        voice = await self._upload(
            "voice",
            data or b"OggS\0" + bytes(64),
            mime_type="audio/ogg",
            extra={"duration": duration},
        )
        return await self._send(self, {"voice": voice})

    async def send_location(self, latitude: float, longitude: float) -> int | None:
        return await self._send(self, {"location": {"latitude": latitude, "longitude": longitude}})

    async def send_contact(
        self,
        phone_number: str = "+8613800000000",
        first_name: str | None = None,
        last_name: str | None = None,
        user_id: int | None = None,
    ) -> int | None:
        """Share a contact; without ``first_name`` it is the user's own contact (with user_id)."""
        contact: JSON = {"phone_number": phone_number, "first_name": first_name or self.first_name}
        if last_name:
            contact["last_name"] = last_name
        if first_name is None and user_id is None:
            user_id = self.id
        if user_id is not None:
            contact["user_id"] = user_id
        return await self._send(self, {"contact": contact})

    async def forward_text(
        self,
        text: str,
        *,
        from_name: str | None = None,
        from_user: FakeUser | JSON | None = None,
        from_channel: str | None = None,
        entities: list[JSON] | None = None,
        reply_markup: JSON | None = None,
        date: int | None = None,
    ) -> int | None:
        """Forward a text message written by someone else (``forward_origin`` is set)."""
        when = date or int(time.time()) - 3600
        origin: JSON
        if from_user is not None:
            sender = from_user.info if isinstance(from_user, FakeUser) else from_user
            origin = {"type": "user", "sender_user": sender, "date": when}
        elif from_channel is not None:
            origin = {
                "type": "channel",
                "chat": {"id": -1001000000001, "type": "channel", "title": from_channel},
                "message_id": 1,
                "date": when,
            }
        else:
            origin = {
                "type": "hidden_user",
                "sender_user_name": from_name or "Unknown",
                "date": when,
            }
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        return await self._send(self, content, forward_origin=origin, reply_markup=reply_markup)

    async def edit_text(self, message_id: int | None, text: str) -> int | None:
        """Edit one of the user's own messages (default: the last one); an edited_message update."""
        mid = message_id if message_id is not None else self.last_sent_message_id
        result = await self.tg._call(
            "edit", user=self.info, chat_id=self.chat_id, message_id=mid, text=text
        )
        return result["update_id"]

    async def open_chat(self) -> None:
        """Make the private chat known to the server without sending anything (no update)."""
        await self.tg._call("open_chat", user=self.info)

    async def tap(self, text: str) -> int | None:
        """Tap a button of the reply keyboard currently shown (contact/location buttons share)."""
        state = await self.state()
        kb = state.get("reply_keyboard")
        if not kb:
            raise FakeTelegramError(f"no reply keyboard is shown in chat {self.chat_id}")
        for row in kb["keyboard"]:
            for b in row:
                if b.get("text") == text:
                    if b.get("request_contact"):
                        return await self.send_contact()
                    if b.get("request_location"):
                        return await self.send_location(31.2304, 121.4737)
                    return await self.send_text(text)
        texts = [[b.get("text") for b in row] for row in kb["keyboard"]]
        raise FakeTelegramError(f"no reply keyboard button {text!r}; keyboard: {texts}")

    # ---- callbacks

    async def press(
        self,
        message: BotMessage | int,
        text: str | None = None,
        *,
        callback_data: str | None = None,
    ) -> int:
        """Press an inline button (by visible text or callback_data); returns the update_id."""
        return await self._press(self, message, text, callback_data)

    async def last_callback_answer(self, timeout: float = 2.0) -> CallbackAnswer | None:
        """The bot's answerCallbackQuery for this user's last press (None if not answered)."""
        result = await self.tg._call("callback_answer", user_id=self.id, timeout=timeout)
        answer = result.get("answer")
        if answer is None:
            return None
        return CallbackAnswer(
            text=answer.get("text"),
            show_alert=bool(answer.get("show_alert")),
            url=answer.get("url"),
            cache_time=int(answer.get("cache_time") or 0),
        )

    # ---- chat membership

    async def block(self) -> None:
        """Block the bot: sendMessage then fails with 403; the bot gets a my_chat_member update."""
        await self.tg._call("block", user=self.info, blocked=True)

    async def unblock(self) -> None:
        await self.tg._call("block", user=self.info, blocked=False)


class FakeGroup(_ChatSide):
    """A group/supergroup chat in which users write and the bot is a member."""

    def __init__(
        self,
        tg: FakeTelegramClient,
        chat_id: int,
        title: str | None = None,
        *,
        chat_type: str | None = None,
        owner: FakeUser | None = None,
    ) -> None:
        super().__init__(tg, chat_id)
        self.title = title or f"Group {chat_id}"
        self.type = chat_type or ("supergroup" if str(chat_id).startswith("-100") else "group")
        self.owner = owner
        self._registered = False

    @property
    def info(self) -> JSON:
        return {"id": self.chat_id, "type": self.type, "title": self.title}

    async def ensure(self) -> None:
        if not self._registered:
            await self.tg._call(
                "group",
                chat_id=self.chat_id,
                title=self.title,
                type=self.type,
                owner=self.owner.info if self.owner else None,
            )
            self._registered = True

    async def send_text(
        self,
        user: FakeUser,
        text: str,
        *,
        entities: list[JSON] | None = None,
        reply_to: BotMessage | int | None = None,
    ) -> int | None:
        """``user`` writes in the group; returns the update_id (None if privacy mode hid it)."""
        await self.ensure()
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        return await self._send(
            user, content, chat=self.info, reply_to_message_id=_reply_id(reply_to)
        )

    async def send_photo(
        self, user: FakeUser, data: bytes = SAMPLE_JPEG, caption: str | None = None
    ) -> int | None:
        await self.ensure()
        sizes = await self._upload("photo", data)
        return await self._send(user, {"photo": sizes, "caption": caption}, chat=self.info)

    async def press(
        self,
        user: FakeUser,
        message: BotMessage | int,
        text: str | None = None,
        *,
        callback_data: str | None = None,
    ) -> int:
        return await self._press(user, message, text, callback_data)

    async def set_member(self, user: FakeUser, status: str = "member") -> None:
        """Set a user's status: creator / administrator / member / restricted / left / kicked."""
        await self.ensure()
        await self.tg._call("member", chat_id=self.chat_id, user=user.info, status=status)

    async def set_bot_admin(self, is_admin: bool = True, **rights: bool) -> None:
        await self.ensure()
        await self.tg.set_bot_admin(self.chat_id, is_admin, **rights)

    async def remove_bot(self) -> None:
        """The bot is no longer a member: sending there fails with 403."""
        await self.ensure()
        await self.tg._call("group", chat_id=self.chat_id, bot_member=False)


class FakeTelegramClient:
    """Test-side client of the fake server (an async context manager)."""

    def __init__(self, base_url: str, *, poll_timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.poll_timeout = poll_timeout
        self._session: aiohttp.ClientSession | None = None
        self._sync_task: asyncio.Task[None] | None = None
        self._seq = 0
        self._changed = asyncio.Event()
        self._users: dict[int, FakeUser] = {}
        self._groups: dict[int, FakeGroup] = {}
        self._chat_events: dict[int, list[BotMessage]] = {}
        self._current: dict[int, dict[int, BotMessage]] = {}
        self._consumed: set[int] = set()
        self._requests: list[ApiCall] = []
        self._deliveries: list[JSON] = []
        self._events: list[JSON] = []
        self._presses: list[str] = []

    # ---- lifecycle

    async def start(self) -> FakeTelegramClient:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
            await self.sync()
            self._sync_task = asyncio.create_task(self._sync_loop())
        return self

    async def close(self) -> None:
        task, self._sync_task = self._sync_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def __aenter__(self) -> FakeTelegramClient:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---- transport

    async def _call(self, action: str, **body: Any) -> Any:
        if self._session is None:
            await self.start()
        assert self._session is not None
        payload = {k: v for k, v in body.items() if v is not None}
        async with self._session.post(f"{self.base_url}/_test/{action}", json=payload) as resp:
            data = await resp.json()
        if not data.get("ok"):
            raise FakeTelegramError(f"{action}: {data.get('error')}")
        return data["result"]

    async def _pull(self, timeout: float) -> None:
        result = await self._call("events", after=self._seq, timeout=timeout)
        for event in result["events"]:
            self._apply(event)

    async def _sync_loop(self) -> None:
        while True:
            try:
                await self._pull(self.poll_timeout)
            except (aiohttp.ClientError, FakeTelegramError, ValueError):
                await asyncio.sleep(0.05)

    async def sync(self) -> None:
        """Fetch every event that already happened on the server (no waiting)."""
        await self._pull(0)

    def _apply(self, event: JSON) -> None:
        seq = int(event["seq"])
        if seq <= self._seq:
            return
        self._seq = seq
        self._events.append(event)
        kind = event["type"]
        if kind in ("message", "edit"):
            msg = BotMessage.from_event(event)
            self._chat_events.setdefault(msg.chat_id, []).append(msg)
            current = self._current.setdefault(msg.chat_id, {})
            if kind == "edit" and msg.message_id in current:
                previous = current[msg.message_id]
                msg_state = BotMessage.from_event(event)
                msg_state.reply_keyboard = previous.reply_keyboard
                msg_state.keyboard_removed = previous.keyboard_removed
                current[msg.message_id] = msg_state
            else:
                current[msg.message_id] = BotMessage.from_event(event)
        elif kind == "delete":
            current = self._current.get(int(event["chat_id"]), {})
            mid = int(event["message_id"])
            if mid in current:
                current[mid].deleted = True
            for m in self._chat_events.get(int(event["chat_id"]), []):
                if m.message_id == mid:
                    m.deleted = True
        elif kind == "request":
            self._requests.append(ApiCall(event["request"]))
        elif kind == "webhook_delivery":
            self._deliveries.append(event["delivery"])
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_change(self, timeout: float) -> None:
        changed = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), timeout)

    def _report(self, chat_id: int | None = None) -> str:
        lines: list[str] = []
        if chat_id is not None:
            events = self._chat_events.get(chat_id, [])
            lines.append(f"Bot messages in chat {chat_id} ({len(events)} event(s)):")
            for m in events[-15:]:
                consumed = "consumed" if m.seq in self._consumed else "NEW"
                lines.append(f"  [{consumed}] {m.short()}")
            if not events:
                lines.append("  (none)")
        failed = [r for r in self._requests if not r.ok][-10:]
        if failed:
            lines.append("Failed bot API calls:")
            lines.extend(f"  {r.short()}: {r.error_code} {r.description}" for r in failed)
        recent = [r for r in self._requests if r.method != "getUpdates"][-10:]
        lines.append("Recent bot API calls: " + (", ".join(r.method for r in recent) or "(none)"))
        polls = [r for r in self._requests if r.method == "getUpdates"]
        if not polls and not self._deliveries:
            lines.append(
                "The bot never called getUpdates and no webhook delivery happened: is it running?"
            )
        skipped = [e for e in self._events if e["type"] in ("update_dropped", "update_skipped")][
            -5:
        ]
        for e in skipped:
            lines.append(
                f"Update not delivered: {e.get('update_type') or e.get('message_id')}: {e.get('reason')}"
            )
        return "\n".join(lines)

    # ---- factories

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None | _Unset = _UNSET,
        username: str | None | _Unset = _UNSET,
        language_code: str | None | _Unset = _UNSET,
        is_premium: bool | None | _Unset = _UNSET,
    ) -> FakeUser:
        """A user, cached per id: a later call returns the same object, updating the profile
        fields it names (defaults: first_name "Test", language_code "en")."""
        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = FakeUser(self, user_id, first_name or "Test")
        elif first_name is not None:
            user.first_name = first_name
        for key, value in (
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
            ("is_premium", is_premium),
        ):
            if not isinstance(value, _Unset):
                setattr(user, key, value)
        return user

    def group(
        self,
        chat_id: int,
        title: str | None = None,
        *,
        chat_type: str | None = None,
        owner: FakeUser | None = None,
    ) -> FakeGroup:
        """A group chat with the bot as a member (cached per id)."""
        if chat_id not in self._groups:
            self._groups[chat_id] = FakeGroup(
                self, chat_id, title, chat_type=chat_type, owner=owner
            )
        return self._groups[chat_id]

    # ---- server-side actions

    async def raw_update(self, update: JSON) -> int:
        """Inject an exact update (a repeated update_id is delivered again)."""
        result = await self._call("update", update=update)
        return int(result["update_id"])

    async def set_bot_admin(self, chat_id: int, is_admin: bool = True, **rights: bool) -> None:
        """Make the bot an admin of a group (all usual rights unless overridden, e.g.
        ``can_delete_messages=False``); admins see every group message despite privacy mode."""
        group = self._groups.get(chat_id)
        if group is not None and not group._registered:
            await group.ensure()
        await self._call("bot_admin", chat_id=chat_id, is_admin=is_admin, rights=rights)

    async def fail_next(
        self,
        method: str,
        error_code: int = 500,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the bot's next ``times`` calls of ``method`` fail (429 gets ``retry_after``)."""
        await self._call(
            "fail",
            method=method,
            error_code=error_code,
            description=description,
            retry_after=retry_after,
            times=times,
        )

    def unanswered_callback_queries(self) -> list[str]:
        """Ids of callback queries (button presses) the bot never answered."""
        answered = {e["callback_query_id"] for e in self._events if e["type"] == "callback_answer"}
        return [cq for cq in self._presses if cq not in answered]

    async def wait_idle(self, quiet: float = 0.3, timeout: float = 5.0) -> None:
        """Wait until all updates were delivered and the bot made no API call for ``quiet`` s."""
        result = await self._call("wait_idle", quiet=quiet, timeout=timeout)
        while self._seq < int(result["seq"]):
            await self.sync()
        if not result["idle"]:
            raise FakeTelegramError(
                f"the bot did not become idle within {timeout}s: {result.get('reason')}.\n"
                + self._report()
            )

    async def wait_confirmed(self, timeout: float = 5.0) -> None:
        """Wait until every update was delivered and confirmed (next getUpdates offset / 2xx)."""
        result = await self._call("wait_confirmed", timeout=timeout)
        if not result["confirmed"]:
            raise FakeTelegramError(
                f"updates still unconfirmed after {timeout}s: {result['queued']}"
            )

    async def wait_polling(self, timeout: float = 5.0) -> None:
        """Wait until the bot is long-polling (a getUpdates request is waiting) or uses a webhook."""
        result = await self._call("wait_polling", timeout=timeout)
        if not (result["polling"] or result["webhook"]):
            raise FakeTelegramError(
                f"the bot did not start polling within {timeout}s.\n" + self._report()
            )

    async def wait_for_request(
        self,
        method: str,
        timeout: float = 5.0,
        predicate: Callable[[ApiCall], bool] | None = None,
    ) -> ApiCall:
        """Wait for a (past or future) recorded bot API call of ``method``."""
        deadline = time.monotonic() + timeout
        while True:
            for call in self.requests(method):
                if predicate is None or predicate(call):
                    return call
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FakeTelegramError(
                    f"the bot never called {method} within {timeout}s.\n" + self._report()
                )
            await self._wait_change(remaining)

    async def state(self) -> JSON:
        """Server state: webhook, pending updates, allowed_updates, whether the bot polls."""
        return await self._call("state")

    async def download(self, file_id: str) -> bytes:
        """Bytes of any stored file (sent by the bot or by a user)."""
        if self._session is None:
            await self.start()
        assert self._session is not None
        async with self._session.get(f"{self.base_url}/_test/file/{file_id}") as resp:
            if resp.status != 200:
                raise FakeTelegramError(f"unknown file_id {file_id!r}")
            return await resp.read()

    # ---- synchronous inspection (local mirror)

    def requests(self, method: str | None = None) -> list[ApiCall]:
        """Recorded bot API calls (in order), optionally only of one method (case-insensitive)."""
        if method is None:
            return list(self._requests)
        wanted = method.lower()
        return [r for r in self._requests if r.method.lower() == wanted]

    def failed_requests(self) -> list[ApiCall]:
        return [r for r in self._requests if not r.ok]

    def webhook_deliveries(self) -> list[JSON]:
        """Webhook POSTs made by the server: update_id, attempt, status, body, error, ..."""
        return list(self._deliveries)

    def events(self, types: Iterable[str] | None = None) -> list[JSON]:
        """Raw server events (message, edit, delete, request, callback_answer, ...)."""
        if types is None:
            return list(self._events)
        wanted = set(types)
        return [e for e in self._events if e["type"] in wanted]
