"""A fake Telegram Bot API server for end-to-end tests of a real aiogram bot.

The bot talks to it exactly as to ``api.telegram.org`` (``POST /bot{token}/{method}``);
tests play users through the JSON endpoints under ``/_test/`` (see ``client.py``).
Behaviour follows the public Bot API closely, including its error descriptions, so a bug
that Telegram would reject (unescaped HTML, editing with identical content, answering a
callback query twice, ...) fails the test too.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import json
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import aiohttp
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web

from .formatting import EntityParseError, detect_entities, parse_formatted, strip_text, utf16_len
from .forum import ForumMixin
from .media import (
    MAX_DOWNLOAD_SIZE,
    StoredFile,
    file_path_for,
    guess_mime,
    image_size,
    new_file_id,
    photo_ladder,
    unique_id_for,
)

__all__ = ["FakeTelegramServer", "TelegramError"]

JSON = dict[str, Any]

# Update types delivered when allowed_updates is empty / never set.
DEFAULT_UPDATE_TYPES_EXCLUDED = {"chat_member", "message_reaction", "message_reaction_count"}

MAX_UPLOAD_SIZE = 50 * 1024 * 1024  # multipart uploads of the public Bot API
MESSAGE_TOO_LONG = 4096
CAPTION_TOO_LONG = 1024
CALLBACK_ANSWER_TOO_LONG = 200

CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}

# Parameters whose form values are JSON-serialized objects / arrays.
JSON_PARAMS = {
    "reply_markup",
    "entities",
    "caption_entities",
    "allowed_updates",
    "media",
    "reply_parameters",
    "link_preview_options",
    "commands",
    "scope",
    "menu_button",
    "permissions",
    "rights",
    "message_ids",
    "reaction",
    "options",
    "explanation_entities",
    "question_entities",
    "results",
}
INT_PARAMS = {
    "message_id",
    "offset",
    "limit",
    "timeout",
    "reply_to_message_id",
    "message_thread_id",
    "user_id",
    "cache_time",
    "max_connections",
    "duration",
    "width",
    "height",
    "length",
    "live_period",
    "heading",
    "proximity_alert_radius",
    "until_date",
    "open_period",
    "close_date",
    "correct_option_id",
    "business_connection_id_int",
}
FLOAT_PARAMS = {"latitude", "longitude", "horizontal_accuracy"}
BOOL_PARAMS = {
    "disable_notification",
    "protect_content",
    "allow_sending_without_reply",
    "disable_web_page_preview",
    "show_alert",
    "drop_pending_updates",
    "has_spoiler",
    "show_caption_above_media",
    "disable_content_type_detection",
    "supports_streaming",
    "is_big",
    "revoke_messages",
    "only_if_banned",
    "is_anonymous",
    "allows_multiple_answers",
    "is_closed",
    "for_channels",
    "allow_paid_broadcast",
}
CHAT_ID_PARAMS = {"chat_id", "from_chat_id"}

MEDIA_KINDS = ("photo", "document", "video", "audio", "voice", "animation", "sticker", "video_note")
COPYABLE_KEYS = (
    "text",
    "entities",
    "link_preview_options",
    "caption",
    "caption_entities",
    "show_caption_above_media",
    "has_media_spoiler",
    *MEDIA_KINDS,
    "location",
    "venue",
    "contact",
    "dice",
    "poll",
)

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


class TelegramError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, error_code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad(description: str) -> TelegramError:
    return TelegramError(400, f"Bad Request: {description}")


def forbidden(description: str) -> TelegramError:
    return TelegramError(403, f"Forbidden: {description}")


class _TestError(Exception):
    """An error of a /_test/ endpoint (a mistake in the test, not in the bot)."""


@dataclass
class _Chat:
    info: JSON
    messages: dict[int, JSON] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    next_message_id: int = 1
    reply_keyboard: JSON | None = None
    members: dict[int, str] = field(default_factory=dict)  # user id -> status
    admins: set[int] = field(default_factory=set)
    owner_id: int | None = None
    bot_admin: bool = False
    bot_rights: dict[str, bool] = field(default_factory=dict)  # overrides of admin rights
    bot_member: bool = True
    blocked: bool = False
    menu_button: JSON | None = None

    @property
    def id(self) -> int:
        return int(self.info["id"])

    @property
    def is_private(self) -> bool:
        return self.info["type"] == "private"


@dataclass
class _Queued:
    update: JSON
    delivered: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])

    @property
    def kind(self) -> str:
        return next((k for k in self.update if k != "update_id"), "")


@dataclass
class _CallbackQuery:
    id: str
    user_id: int
    chat_id: int | None
    message_id: int | None
    created: float
    answer: JSON | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)


Handler = Callable[[JSON, dict[str, tuple[str, bytes, str]]], Awaitable[Any]]


def _now() -> int:
    return int(time.time())


def _coerce(name: str, value: Any) -> Any:
    """Convert a form-data string to the type Telegram expects for that parameter."""
    if not isinstance(value, str):
        return value
    try:
        if name in JSON_PARAMS:
            return json.loads(value)
        if name in CHAT_ID_PARAMS:
            return int(value) if re.fullmatch(r"-?\d+", value) else value
        if name in INT_PARAMS:
            return int(value)
        if name in FLOAT_PARAMS:
            return float(value)
        if name in BOOL_PARAMS:
            return value.lower() in ("true", "1")
    except ValueError as exc:
        raise bad(f"can't parse parameter {name}") from exc
    return value


class FakeTelegramServer(ForumMixin):
    """In-process fake of the Telegram Bot API (see the package README)."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        *,
        bot_username: str = "refund_test_bot",
        bot_name: str = "Refund Test Bot",
        privacy_mode: bool = True,
        callback_query_timeout: float = 15.0,
        webhook_max_attempts: int = 3,
        webhook_retry_delay: float = 0.05,
        webhook_timeout: float = 60.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user: JSON = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self.privacy_mode = privacy_mode
        self.callback_query_timeout = callback_query_timeout
        self.webhook_max_attempts = webhook_max_attempts
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_timeout = webhook_timeout
        self.host = host
        self.port = port
        self.base_url = ""

        self.users: dict[int, JSON] = {}
        self.chats: dict[int, _Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.requests: list[JSON] = []
        self.events: list[JSON] = []
        self.webhook_deliveries: list[JSON] = []
        self.commands: dict[str, list[JSON]] = {}
        self.bot_settings: dict[str, Any] = {}
        self.default_menu_button: JSON = {"type": "default"}

        self._queue: list[_Queued] = []
        self._next_update_id = random.randint(100_000_000, 900_000_000)
        self._allowed_updates: list[str] | None = None
        self._callbacks: dict[str, _CallbackQuery] = {}
        self._last_press: dict[int, str] = {}
        self._file_counter = 0
        self._poll_generation = 0
        self._polling_waiters = 0

        self.webhook: JSON | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._webhook_inflight = 0
        self._webhook_last_error: tuple[int, str] | None = None

        self._updates_changed = asyncio.Event()
        self._events_changed = asyncio.Event()
        self._last_activity = time.monotonic()
        self._stopping = False
        self._runner: web.AppRunner | None = None
        self._failures: dict[str, list[TelegramError]] = {}
        self.faults: Any = None  # a tests.fakeapi.faults.Faults: slow, hanging, dropped calls

        self._methods: dict[str, tuple[str, Handler]] = {}
        for attr in dir(self):
            if attr.startswith("_m_"):
                name = attr[3:]
                self._methods[name.lower()] = (name, getattr(self, attr))
        for name in (
            "setMyDescription",
            "setMyShortDescription",
            "setMyName",
            "setMyDefaultAdministratorRights",
            "pinChatMessage",
            "unpinChatMessage",
            "unpinAllChatMessages",
            "setMessageReaction",
            "banChatMember",
            "unbanChatMember",
            "restrictChatMember",
            "promoteChatMember",
            "setChatTitle",
            "setChatDescription",
            "setChatPermissions",
            "approveChatJoinRequest",
            "declineChatJoinRequest",
        ):
            self._methods.setdefault(name.lower(), (name, self._generic_ok(name)))

    # ------------------------------------------------------------------ lifecycle

    def api_server(self) -> TelegramAPIServer:
        """aiogram's ``TelegramAPIServer`` for this fake (after ``start()``)."""
        if not self.base_url:
            raise RuntimeError("the fake server is not started")
        return TelegramAPIServer.from_base(self.base_url)

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/_test/{action}", self._handle_test)
        app.router.add_get("/_test/file/{file_id}", self._handle_test_file)
        return app

    async def start(self) -> str:
        """Bind to ``host:port`` (a free port by default) and return the base URL."""
        self._stopping = False
        self._updates_changed = asyncio.Event()
        self._events_changed = asyncio.Event()
        self._runner = web.AppRunner(
            self.build_app(), handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.port = port
        self.base_url = f"http://{host}:{port}"
        return self.base_url

    async def stop(self) -> None:
        self._stopping = True
        self._wake_updates()
        self._wake_events()
        await self._stop_webhook_worker()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegramServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ notifications

    def _wake_updates(self) -> None:
        self._updates_changed.set()
        self._updates_changed = asyncio.Event()

    def _wake_events(self) -> None:
        self._events_changed.set()
        self._events_changed = asyncio.Event()

    def _touch(self) -> None:
        self._last_activity = time.monotonic()

    def _emit(self, kind: str, **data: Any) -> JSON:
        event = {"seq": len(self.events) + 1, "type": kind, "time": time.time(), **data}
        self.events.append(event)
        self._wake_events()
        return event

    # ------------------------------------------------------------------ HTTP: Bot API

    async def _read_params(
        self, request: web.Request
    ) -> tuple[JSON, dict[str, tuple[str, bytes, str]]]:
        params: JSON = dict(request.query)
        files: dict[str, tuple[str, bytes, str]] = {}
        if request.method == "POST" and request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                try:
                    body = await request.json()
                except json.JSONDecodeError as exc:
                    raise bad("can't parse JSON object") from exc
                if not isinstance(body, dict):
                    raise bad("can't parse JSON object")
                params.update(body)
            elif ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = (
                            value.filename or key,
                            value.file.read(),
                            value.content_type or "application/octet-stream",
                        )
                    else:
                        params[key] = value
                # A file field that no "attach://<name>" refers to is a direct upload of that
                # parameter (e.g. a multipart field "photo" holding the file).
                texts = [v for v in params.values() if isinstance(v, str)]
                for key in files:
                    if not any(f"attach://{key}" in text for text in texts):
                        params.setdefault(key, f"attach://{key}")
        return {k: _coerce(k, v) for k, v in params.items()}, files

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if (
            self.faults is not None
            and (faulty := await self.faults.before(method, request)) is not None
        ):
            return faulty
        try:
            params, files = await self._read_params(request)
        except TelegramError as exc:
            return web.json_response(exc.payload(), status=exc.error_code)
        if request.match_info["token"] != self.token:
            error = TelegramError(401, "Unauthorized")
            self._record(method, params, files, error=error, source="http")
            return web.json_response(error.payload(), status=401)
        payload, status = await self._execute(method, params, files, source="http")
        return web.json_response(payload, status=status)

    async def _execute(
        self,
        method: str,
        params: JSON,
        files: dict[str, tuple[str, bytes, str]],
        *,
        source: str,
    ) -> tuple[JSON, int]:
        entry = self._methods.get(method.lower())
        if entry is None:
            error = TelegramError(404, "Not Found")
            self._record(method, params, files, error=error, source=source)
            return error.payload(), 404
        name, handler = entry
        if name != "getUpdates":
            self._touch()
        injected = self._take_failure(name)
        if injected is not None:
            self._record(name, params, files, error=injected, source=source)
            return injected.payload(), injected.error_code
        try:
            result = await handler(params, files)
        except TelegramError as exc:
            self._record(name, params, files, error=exc, source=source)
            return exc.payload(), exc.error_code
        finally:
            if name != "getUpdates":
                self._touch()
        self._record(name, params, files, result=result, source=source)
        payload: JSON = {"ok": True, "result": result}
        if name == "setWebhook":
            payload["description"] = (
                "Webhook was set" if params.get("url") else "Webhook is already deleted"
            )
        elif name == "deleteWebhook":
            payload["description"] = "Webhook was deleted"
        return payload, 200

    def fail_next(
        self,
        method: str,
        error_code: int = 500,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with this error (e.g. 429 flood wait)."""
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {retry_after or 1}",
                403: "Forbidden: bot was blocked by the user",
                400: "Bad Request: chat not found",
                502: "Bad Gateway",
            }.get(error_code, "Internal Server Error")
        parameters = {"retry_after": int(retry_after)} if retry_after is not None else None
        if error_code == 429 and parameters is None:
            parameters = {"retry_after": 1}
        self._failures.setdefault(method.lower(), []).extend(
            [TelegramError(error_code, description, parameters)] * times
        )

    def _take_failure(self, name: str) -> TelegramError | None:
        queue = self._failures.get(name.lower())
        return queue.pop(0) if queue else None

    def _record(
        self,
        method: str,
        params: JSON,
        files: dict[str, tuple[str, bytes, str]],
        *,
        result: Any = None,
        error: TelegramError | None = None,
        source: str,
    ) -> None:
        record: JSON = {
            "method": method,
            "params": params,
            "files": {k: {"file_name": v[0], "size": len(v[1])} for k, v in files.items()},
            "ok": error is None,
            "source": source,
            "time": time.time(),
        }
        if error is not None:
            record["error_code"] = error.error_code
            record["description"] = error.description
        elif method != "getUpdates":
            record["result"] = result
        self.requests.append(record)
        self._emit("request", request=record)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if (
            self.faults is not None
            and (faulty := await self.faults.before("file", request)) is not None
        ):
            return faulty
        if request.match_info["token"] != self.token:
            return web.json_response(TelegramError(401, "Unauthorized").payload(), status=401)
        stored = self.files_by_path.get(request.match_info["path"])
        if stored is None:
            return web.json_response(TelegramError(404, "Not Found").payload(), status=404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    # ------------------------------------------------------------------ helpers: chats, users

    def _register_user(self, user: JSON) -> JSON:
        clean = {k: v for k, v in user.items() if v is not None}
        clean.setdefault("is_bot", False)
        self.users[int(clean["id"])] = clean
        return clean

    def _private_chat(self, user: JSON) -> _Chat:
        uid = int(user["id"])
        info = {"id": uid, "type": "private", "first_name": user["first_name"]}
        for key in ("last_name", "username"):
            if user.get(key):
                info[key] = user[key]
        chat = self.chats.get(uid)
        if chat is None:
            chat = self.chats[uid] = _Chat(info=info)
        else:
            chat.info = info
        return chat

    def _group_chat(self, info: JSON) -> _Chat:
        chat_id = int(info["id"])
        chat = self.chats.get(chat_id)
        if chat is None:
            kind = info.get("type") or (
                "supergroup" if str(chat_id).startswith("-100") else "group"
            )
            clean = {"id": chat_id, "type": kind, "title": info.get("title") or f"Group {chat_id}"}
            if info.get("username"):
                clean["username"] = info["username"]
            chat = self.chats[chat_id] = _Chat(info=clean)
        elif info.get("title"):
            chat.info["title"] = info["title"]
        return chat

    def _chat(self, chat_id: Any, *, for_sending: bool = False) -> _Chat:
        if chat_id is None or chat_id == "":
            raise bad("chat_id is empty")
        if isinstance(chat_id, str):
            if chat_id.startswith("@"):
                for chat in self.chats.values():
                    if chat.info.get("username", "").lower() == chat_id[1:].lower():
                        return self._check_chat(chat, for_sending)
                raise bad("chat not found")
            try:
                chat_id = int(chat_id)
            except ValueError as exc:
                raise bad("chat not found") from exc
        chat = self.chats.get(int(chat_id))
        if chat is None:
            if int(chat_id) in self.users:
                # Known (e.g. from a group) but never opened a private chat with the bot.
                raise forbidden("bot can't initiate conversation with a user")
            raise bad("chat not found")
        return self._check_chat(chat, for_sending)

    @staticmethod
    def _check_chat(chat: _Chat, for_sending: bool) -> _Chat:
        if for_sending:
            if chat.is_private and chat.blocked:
                raise forbidden("bot was blocked by the user")
            if not chat.is_private and not chat.bot_member:
                raise forbidden(f"bot was kicked from the {chat.info['type']} chat")
        return chat

    def _message(self, chat: _Chat, message_id: Any) -> JSON | None:
        try:
            mid = int(message_id)
        except (TypeError, ValueError):
            return None
        if mid in chat.deleted:
            return None
        return chat.messages.get(mid)

    def _is_bot_message(self, msg: JSON) -> bool:
        return msg.get("from", {}).get("id") == self.bot_id

    def _store_message(self, chat: _Chat, sender: JSON | None, content: JSON) -> JSON:
        mid = chat.next_message_id
        chat.next_message_id += 1
        msg: JSON = {"message_id": mid}
        if sender is not None:
            msg["from"] = sender
        msg["chat"] = dict(chat.info)
        msg["date"] = _now()
        msg.update({k: v for k, v in content.items() if v is not None})
        chat.messages[mid] = msg
        return msg

    @staticmethod
    def _snapshot(msg: JSON) -> JSON:
        return copy.deepcopy(msg)

    @staticmethod
    def _reply_snapshot(msg: JSON) -> JSON:
        snap = copy.deepcopy(msg)
        snap.pop("reply_to_message", None)
        return snap

    # ------------------------------------------------------------------ helpers: text & markup

    @staticmethod
    def _format(
        text: Any, parse_mode: Any, entities: Any, *, caption: bool = False
    ) -> tuple[str, list[JSON]]:
        text = "" if text is None else str(text)
        try:
            plain, ents = parse_formatted(text, parse_mode, entities)
        except EntityParseError as exc:
            raise bad(str(exc)) from exc
        plain, ents = strip_text(plain, ents)
        if not caption and not plain:
            raise bad("message text is empty")
        limit = CAPTION_TOO_LONG if caption else MESSAGE_TOO_LONG
        if utf16_len(plain) > limit:
            raise bad("message caption is too long" if caption else "message is too long")
        taken = [(e["offset"], e["offset"] + e["length"]) for e in ents]
        for auto in detect_entities(plain):
            s, e = auto["offset"], auto["offset"] + auto["length"]
            if not any(s < te and ts < e for ts, te in taken):
                ents.append(auto)
        ents.sort(key=lambda e: (e["offset"], -e["length"]))
        return plain, ents

    def _text_content(self, params: JSON) -> JSON:
        text, entities = self._format(
            params.get("text"), params.get("parse_mode"), params.get("entities")
        )
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        lpo = params.get("link_preview_options")
        if params.get("disable_web_page_preview"):
            lpo = {"is_disabled": True}
        if (
            isinstance(lpo, dict)
            and lpo
            and any(e["type"] in ("url", "text_link") for e in entities)
        ):
            content["link_preview_options"] = lpo
        return content

    def _caption_content(self, params: JSON) -> JSON:
        if params.get("caption") is None:
            return {}
        caption, entities = self._format(
            params.get("caption"),
            params.get("parse_mode"),
            params.get("caption_entities"),
            caption=True,
        )
        content: JSON = {}
        if caption:
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        if params.get("show_caption_above_media"):
            content["show_caption_above_media"] = True
        return content

    @staticmethod
    def _validate_inline_keyboard(markup: JSON) -> JSON:
        rows = markup.get("inline_keyboard")
        if not isinstance(rows, list):
            raise bad('can\'t parse inline keyboard: field "inline_keyboard" must be an Array')
        clean_rows: list[list[JSON]] = []
        for row in rows:
            if not isinstance(row, list):
                raise bad("can't parse inline keyboard: inline keyboard row must be an Array")
            clean_row: list[JSON] = []
            for button in row:
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise bad(
                        'can\'t parse inline keyboard button: Field "text" must be of type String'
                    )
                clean = {k: v for k, v in button.items() if v is not None}
                actions = set(clean) - {"text", "style", "icon_custom_emoji_id"}
                if not actions:
                    raise bad(
                        "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                    )
                if "callback_data" in clean:
                    size = len(str(clean["callback_data"]).encode("utf-8"))
                    if size == 0 or size > 64:
                        raise bad("BUTTON_DATA_INVALID")
                if "url" in clean:
                    url = str(clean["url"])
                    if not re.match(r"^(https?|tg|ton)://\S+$", url, re.IGNORECASE):
                        raise bad(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
                clean_row.append(clean)
            clean_rows.append(clean_row)
        return {"inline_keyboard": clean_rows}

    def _apply_markup(self, chat: _Chat, markup: Any) -> tuple[JSON | None, JSON | None]:
        """Return (inline markup for the message, reply-keyboard info for the test events)."""
        if markup is None or markup == {}:
            return None, None
        if not isinstance(markup, dict):
            raise bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            return self._validate_inline_keyboard(markup), None
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list):
                raise bad("can't parse reply keyboard markup JSON object")
            norm_rows = [
                [b if isinstance(b, dict) else {"text": str(b)} for b in row] for row in rows
            ]
            kb = {**{k: v for k, v in markup.items() if v is not None}, "keyboard": norm_rows}
            chat.reply_keyboard = kb
            return None, {"keyboard": kb}
        if markup.get("remove_keyboard"):
            chat.reply_keyboard = None
            return None, {"remove_keyboard": True}
        if markup.get("force_reply"):
            return None, {"force_reply": markup}
        raise bad("can't parse reply keyboard markup JSON object")

    def _reply_to(self, chat: _Chat, params: JSON) -> JSON | None:
        rp = params.get("reply_parameters")
        mid = None
        allow_missing = bool(params.get("allow_sending_without_reply"))
        target_chat = chat
        if isinstance(rp, dict) and rp.get("message_id") is not None:
            mid = rp["message_id"]
            allow_missing = allow_missing or bool(rp.get("allow_sending_without_reply"))
            if rp.get("chat_id") not in (None, chat.id):
                target_chat = self._chat(rp["chat_id"])
        elif params.get("reply_to_message_id") is not None:
            mid = params["reply_to_message_id"]
        if mid is None:
            return None
        replied = self._message(target_chat, mid)
        if replied is None:
            if allow_missing:
                return None
            raise bad("message to be replied not found")
        return self._reply_snapshot(replied)

    def _bot_send(self, params: JSON, content: JSON) -> JSON:
        chat = self._chat(params.get("chat_id"), for_sending=True)
        reply = self._reply_to(chat, params)
        inline, keyboard = self._apply_markup(chat, params.get("reply_markup"))
        return self._finish_bot_message(
            chat, content, reply=reply, inline=inline, keyboard=keyboard, params=params
        )

    def _finish_bot_message(
        self,
        chat: _Chat,
        content: JSON,
        *,
        reply: JSON | None,
        inline: JSON | None,
        keyboard: JSON | None,
        params: JSON,
    ) -> JSON:
        full = dict(content)
        if reply is not None:
            full["reply_to_message"] = reply
        if inline is not None:
            full["reply_markup"] = inline
        if params.get("protect_content"):
            full["has_protected_content"] = True
        if params.get("message_thread_id"):
            full["message_thread_id"] = params["message_thread_id"]
            self._forum_outgoing(chat, full, params)
        msg = self._store_message(chat, self.bot_user, full)
        snap = self._snapshot(msg)
        self._emit(
            "message",
            chat_id=chat.id,
            message_id=msg["message_id"],
            message=snap,
            keyboard=keyboard,
            edited=False,
        )
        return self._snapshot(msg)

    # ------------------------------------------------------------------ helpers: files

    def _next_path(self, kind: str, file_name: str | None) -> str:
        self._file_counter += 1
        return file_path_for(kind, self._file_counter, file_name)

    def _save(self, stored: StoredFile) -> StoredFile:
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    def store_upload(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        file_size: int | None = None,
        strict: bool = True,
        extra: JSON | None = None,
    ) -> Any:
        """Store bytes as a Telegram file; return the object for a Message field.

        ``photo`` returns a list of PhotoSize dicts (a size ladder sharing the same bytes);
        other kinds return a single dict (Document, Voice, Sticker, ...).
        """
        size = len(data) if file_size is None else int(file_size)
        extra = dict(extra or {})
        if kind == "photo":
            dims = image_size(data)
            if dims is None:
                if strict:
                    raise bad("IMAGE_PROCESS_FAILED")
                dims = (int(extra.get("width", 1280)), int(extra.get("height", 960)))
            width, height = dims
            ladder = photo_ladder(width, height)
            sizes: list[JSON] = []
            path = self._next_path("photo", None)
            for idx, (variant, w, h) in enumerate(ladder):
                last = idx == len(ladder) - 1
                part_size = size if last else max(1, int(size * (w * h) / max(1, width * height)))
                stored = self._save(
                    StoredFile(
                        file_id=new_file_id("photo"),
                        file_unique_id=unique_id_for(data, variant),
                        kind="photo",
                        data=data,
                        file_size=part_size,
                        file_path=path if last else self._next_path("photo", None),
                        mime_type="image/jpeg",
                        width=w,
                        height=h,
                    )
                )
                sizes.append(
                    {
                        "file_id": stored.file_id,
                        "file_unique_id": stored.file_unique_id,
                        "width": w,
                        "height": h,
                        "file_size": part_size,
                    }
                )
            return sizes
        mime = mime_type or guess_mime(file_name)
        stored = self._save(
            StoredFile(
                file_id=new_file_id(kind),
                file_unique_id=unique_id_for(data, kind),
                kind=kind,
                data=data,
                file_size=size,
                file_path=self._next_path(kind, file_name),
                file_name=file_name,
                mime_type=mime,
            )
        )
        obj: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": size,
        }
        if kind in ("document", "audio", "video", "animation") and file_name:
            obj["file_name"] = file_name
        if kind in ("document", "audio", "video", "animation", "voice"):
            obj["mime_type"] = mime
        if kind in ("video", "animation"):
            obj.update(width=extra.get("width", 640), height=extra.get("height", 360))
        if kind in ("video", "animation", "audio", "voice", "video_note"):
            obj["duration"] = int(extra.get("duration", 1))
        if kind == "video_note":
            obj["length"] = int(extra.get("length", 240))
        if kind == "sticker":
            dims = image_size(data) or (512, 512)
            obj.update(
                type="regular",
                width=dims[0],
                height=dims[1],
                is_animated=False,
                is_video=False,
                emoji=extra.get("emoji", "👍"),
            )
        stored.extra = obj
        return obj

    def _media_from_file_id(self, kind: str, file_id: str) -> Any:
        stored = self.files.get(file_id)
        if stored is None:
            raise bad("wrong file identifier/HTTP URL specified")
        if stored.kind != kind and not (kind == "document" and stored.kind != "photo"):
            raise bad(f"can't use file of type {stored.kind.capitalize()} as {kind.capitalize()}")
        if kind == "photo":
            # Return the whole ladder the file belongs to (same bytes, same upload).
            sizes = [
                f
                for f in self.files.values()
                if f.kind == "photo" and f.data is stored.data and f.width is not None
            ]
            sizes.sort(key=lambda f: (f.width or 0) * (f.height or 0))
            return [
                {
                    "file_id": f.file_id,
                    "file_unique_id": f.file_unique_id,
                    "width": f.width,
                    "height": f.height,
                    "file_size": f.file_size,
                }
                for f in sizes
            ]
        if kind == "document" and stored.kind != "document":
            obj = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": stored.file_size,
            }
            if stored.file_name:
                obj["file_name"] = stored.file_name
            if stored.mime_type:
                obj["mime_type"] = stored.mime_type
            return obj
        return copy.deepcopy(stored.extra)

    def _input_file(
        self, kind: str, value: Any, files: dict[str, tuple[str, bytes, str]], params: JSON
    ) -> Any:
        if value is None or value == "":
            raise bad(f"there is no {kind} in the request")
        if isinstance(value, str) and value.startswith("attach://"):
            key = value[len("attach://") :]
            if key not in files:
                raise bad(f"wrong remote file identifier specified: can't find attached file {key}")
            file_name, data, content_type = files[key]
            if not data:
                raise bad("file must be non-empty")
            if len(data) > MAX_UPLOAD_SIZE:
                raise TelegramError(413, "Request Entity Too Large")
            mime = None if content_type in ("application/octet-stream", "") else content_type
            extra = {
                k: params[k]
                for k in ("duration", "width", "height", "length")
                if params.get(k) is not None
            }
            return self.store_upload(kind, data, file_name=file_name, mime_type=mime, extra=extra)
        if isinstance(value, str) and re.match(r"^https?://", value):
            raise bad("failed to get HTTP URL content")
        return self._media_from_file_id(kind, str(value))

    # ------------------------------------------------------------------ helpers: updates

    def enqueue_update(self, update: JSON) -> int:
        """Queue an update for the bot (kept even if its update_id repeats)."""
        update = copy.deepcopy(update)
        if update.get("update_id") is None:
            update = {"update_id": self._next_update_id, **update}
        uid = int(update["update_id"])
        self._next_update_id = max(self._next_update_id, uid + 1)
        self._queue.append(_Queued(update=update))
        self._touch()
        self._emit(
            "update", update_id=uid, update_type=next((k for k in update if k != "update_id"), "")
        )
        self._wake_updates()
        return uid

    def _allowed(self, kind: str) -> bool:
        allowed = self._allowed_updates
        if not allowed:
            return kind not in DEFAULT_UPDATE_TYPES_EXCLUDED
        return kind in allowed

    def _drop_disallowed(self) -> None:
        kept: list[_Queued] = []
        for entry in self._queue:
            if entry.delivered or self._allowed(entry.kind):
                kept.append(entry)
            else:
                self._emit(
                    "update_dropped",
                    update_id=entry.update_id,
                    update_type=entry.kind,
                    reason=f"not in allowed_updates {self._allowed_updates}",
                )
        self._queue = kept

    def pending_update_count(self) -> int:
        return sum(1 for e in self._queue if not e.delivered)

    # ------------------------------------------------------------------ Bot API: updates & webhook

    async def _m_getMe(self, params: JSON, files: Any) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_logOut(self, params: JSON, files: Any) -> bool:
        return True

    async def _m_close(self, params: JSON, files: Any) -> bool:
        return True

    async def _m_getUpdates(self, params: JSON, files: Any) -> list[JSON]:
        if self.webhook is not None:
            raise TelegramError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0.0, float(params.get("timeout") or 0))
        allowed = params.get("allowed_updates")
        if allowed is not None:
            self._allowed_updates = list(allowed) or None
        if offset is not None:
            offset = int(offset)
            if offset > 0:
                self._queue = [e for e in self._queue if not (e.delivered and e.update_id < offset)]
            elif offset < 0:
                self._queue = self._queue[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake_updates()
        deadline = time.monotonic() + timeout
        self._polling_waiters += 1
        try:
            while True:
                if generation != self._poll_generation:
                    raise TelegramError(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
                if self.webhook is not None:
                    raise TelegramError(409, "Conflict: terminated by setWebhook request")
                self._drop_disallowed()
                batch = self._queue[:limit]
                remaining = deadline - time.monotonic()
                if batch or remaining <= 0 or self._stopping:
                    for entry in batch:
                        entry.delivered = True
                    if batch:
                        self._touch()
                    return [copy.deepcopy(e.update) for e in batch]
                changed = self._updates_changed
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), remaining)
        finally:
            self._polling_waiters -= 1

    async def _m_setWebhook(self, params: JSON, files: Any) -> bool:
        url = params.get("url") or ""
        if not url:
            return await self._m_deleteWebhook(params, files)
        if not re.match(r"^https?://", url):
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._queue.clear()
        allowed = params.get("allowed_updates")
        if allowed is not None:
            self._allowed_updates = list(allowed) or None
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": int(params.get("max_connections") or 40),
            "ip_address": params.get("ip_address"),
        }
        self._webhook_last_error = None
        self._poll_generation += 1
        self._wake_updates()
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._webhook_worker())
        return True

    async def _m_deleteWebhook(self, params: JSON, files: Any) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._queue.clear()
        await self._stop_webhook_worker()
        # Updates that were being delivered go back to the queue for getUpdates.
        for entry in self._queue:
            entry.delivered = False
        return True

    async def _m_getWebhookInfo(self, params: JSON, files: Any) -> JSON:
        info: JSON = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
            if self.webhook.get("ip_address"):
                info["ip_address"] = self.webhook["ip_address"]
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
            if self._webhook_last_error:
                info["last_error_date"], info["last_error_message"] = self._webhook_last_error
        return info

    async def _stop_webhook_worker(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is asyncio.current_task():
            return  # deleteWebhook returned in a webhook reply: the worker loop ends by itself
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _webhook_worker(self) -> None:
        async with aiohttp.ClientSession() as session:
            while self.webhook is not None and not self._stopping:
                self._drop_disallowed()
                entry = next((e for e in self._queue if not e.delivered), None)
                if entry is None:
                    changed = self._updates_changed
                    await changed.wait()
                    continue
                entry.delivered = True
                self._webhook_inflight += 1
                try:
                    await self._deliver(session, entry)
                finally:
                    self._webhook_inflight -= 1
                    self._touch()
                with contextlib.suppress(ValueError):
                    self._queue.remove(entry)

    async def _deliver(self, session: aiohttp.ClientSession, entry: _Queued) -> None:
        assert self.webhook is not None
        url = self.webhook["url"]
        headers = {"Content-Type": "application/json"}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        body = json.dumps(entry.update, ensure_ascii=False).encode("utf-8")
        for attempt in range(1, self.webhook_max_attempts + 1):
            record: JSON = {"update_id": entry.update_id, "attempt": attempt, "url": url}
            reply: tuple[str, JSON, dict[str, tuple[str, bytes, str]]] | None = None
            try:
                async with session.post(
                    url,
                    data=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
                ) as resp:
                    record["status"] = resp.status
                    if 200 <= resp.status < 300:
                        reply = await self._read_webhook_reply(resp, record)
                    else:
                        record["body"] = (await resp.text(errors="replace"))[:2000]
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                record["status"] = None
                record["error"] = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            ok = record["status"] is not None and 200 <= record["status"] < 300
            record["ok"] = ok
            self.webhook_deliveries.append(record)
            self._emit("webhook_delivery", delivery=record)
            if ok:
                if reply is not None:
                    method, params, files = reply
                    payload, _ = await self._execute(method, params, files, source="webhook_reply")
                    record["reply_result"] = payload
                return
            if record["status"] is not None:
                try:
                    reason = HTTPStatus(record["status"]).phrase
                except ValueError:
                    reason = ""
                message = f"Wrong response from the webhook: {record['status']} {reason}".strip()
            else:
                message = (
                    "Connection refused" if "onnect" in record.get("error", "") else record["error"]
                )
            self._webhook_last_error = (_now(), message)
            if attempt < self.webhook_max_attempts:
                await asyncio.sleep(self.webhook_retry_delay * attempt)

    async def _read_webhook_reply(
        self, resp: aiohttp.ClientResponse, record: JSON
    ) -> tuple[str, JSON, dict[str, tuple[str, bytes, str]]] | None:
        ctype = resp.content_type
        params: JSON = {}
        files: dict[str, tuple[str, bytes, str]] = {}
        if ctype == "multipart/form-data":
            reader = aiohttp.MultipartReader(resp.headers, resp.content)
            while True:
                part = await reader.next()
                if part is None:
                    break
                if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                    continue
                if part.filename:
                    data = bytes(await part.read(decode=True))
                    files[part.name] = (
                        part.filename,
                        data,
                        part.headers.get("Content-Type", "application/octet-stream"),
                    )
                else:
                    params[part.name] = await part.text()
        else:
            text = await resp.text(errors="replace")
            record["body"] = text[:2000]
            if ctype == "application/json" and text.strip():
                with contextlib.suppress(json.JSONDecodeError):
                    data = json.loads(text)
                    if isinstance(data, dict):
                        params = data
        method = params.pop("method", None)
        if not method:
            return None
        record["reply_method"] = method
        return str(method), {k: _coerce(k, v) for k, v in params.items()}, files

    # ------------------------------------------------------------------ Bot API: messages

    async def _m_sendMessage(self, params: JSON, files: Any) -> JSON:
        self._chat(params.get("chat_id"), for_sending=True)
        return self._bot_send(params, self._text_content(params))

    async def _send_media(
        self, kind: str, params: JSON, files: dict[str, tuple[str, bytes, str]]
    ) -> JSON:
        chat = self._chat(params.get("chat_id"), for_sending=True)
        caption = self._caption_content(params) if kind not in ("sticker", "video_note") else {}
        self._reply_to(chat, params)
        media = self._input_file(kind, params.get(kind), files, params)
        content: JSON = {kind: media, **caption}
        if params.get("has_spoiler"):
            content["has_media_spoiler"] = True
        return self._bot_send(params, content)

    async def _m_sendPhoto(self, params: JSON, files: Any) -> JSON:
        return await self._send_media("photo", params, files)

    async def _m_sendDocument(self, params: JSON, files: Any) -> JSON:
        return await self._send_media("document", params, files)

    async def _m_sendVideo(self, params: JSON, files: Any) -> JSON:
        return await self._send_media("video", params, files)

    async def _m_sendAudio(self, params: JSON, files: Any) -> JSON:
        return await self._send_media("audio", params, files)

    async def _m_sendVoice(self, params: JSON, files: Any) -> JSON:
        return await self._send_media("voice", params, files)

    async def _m_sendAnimation(self, params: JSON, files: Any) -> JSON:
        return await self._send_media("animation", params, files)

    async def _m_sendSticker(self, params: JSON, files: Any) -> JSON:
        return await self._send_media("sticker", params, files)

    async def _m_sendVideoNote(self, params: JSON, files: Any) -> JSON:
        return await self._send_media("video_note", params, files)

    async def _m_sendLocation(self, params: JSON, files: Any) -> JSON:
        if params.get("latitude") is None or params.get("longitude") is None:
            raise bad("latitude and longitude are required")
        return self._bot_send(
            params, {"location": {"latitude": params["latitude"], "longitude": params["longitude"]}}
        )

    async def _m_sendContact(self, params: JSON, files: Any) -> JSON:
        contact = {
            k: params[k]
            for k in ("phone_number", "first_name", "last_name", "vcard")
            if params.get(k) is not None
        }
        if not contact.get("phone_number") or not contact.get("first_name"):
            raise bad("phone_number and first_name are required")
        return self._bot_send(params, {"contact": contact})

    async def _m_sendDice(self, params: JSON, files: Any) -> JSON:
        emoji = params.get("emoji") or "🎲"
        top = {"🎰": 64, "🎯": 6, "🏀": 5, "⚽": 5, "🎳": 6}.get(emoji, 6)
        return self._bot_send(params, {"dice": {"emoji": emoji, "value": random.randint(1, top)}})

    async def _m_sendPoll(self, params: JSON, files: Any) -> JSON:
        options = params.get("options") or []
        if not 2 <= len(options) <= 12:
            raise bad("poll must have 2-12 options")
        poll = {
            "id": str(random.randint(10**17, 10**18)),
            "question": params.get("question") or "",
            "options": [
                {"text": o["text"] if isinstance(o, dict) else str(o), "voter_count": 0}
                for o in options
            ],
            "total_voter_count": 0,
            "is_closed": bool(params.get("is_closed")),
            "is_anonymous": params.get("is_anonymous", True) is not False,
            "type": params.get("type") or "regular",
            "allows_multiple_answers": bool(params.get("allows_multiple_answers")),
        }
        return self._bot_send(params, {"poll": poll})

    async def _m_sendMediaGroup(self, params: JSON, files: Any) -> list[JSON]:
        chat = self._chat(params.get("chat_id"), for_sending=True)
        media = params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad(
                "wrong number of messages in the media group: 2-10 items required"
                if isinstance(media, list)
                else "can't parse media JSON object"
            )
        reply = self._reply_to(chat, params)
        contents: list[JSON] = []
        for item in media:
            kind = item.get("type")
            if kind not in ("photo", "video", "document", "audio"):
                raise bad(f"unsupported media type {kind!r} in media group")
            obj = self._input_file(kind, item.get("media"), files, item)
            content: JSON = {kind: obj, **self._caption_content(item)}
            contents.append(content)
        group_id = str(random.randint(10**16, 10**17))
        result = []
        for content in contents:
            content["media_group_id"] = group_id
            result.append(
                self._finish_bot_message(
                    chat, content, reply=reply, inline=None, keyboard=None, params=params
                )
            )
        return result

    async def _m_copyMessage(self, params: JSON, files: Any) -> JSON:
        source_chat = self._chat(params.get("from_chat_id"))
        source = self._message(source_chat, params.get("message_id"))
        if source is None:
            raise bad("message to copy not found")
        if source.get("has_protected_content"):
            raise bad("message can't be copied")
        content = {k: copy.deepcopy(source[k]) for k in COPYABLE_KEYS if k in source}
        if params.get("caption") is not None:
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(self._caption_content(params))
        msg = self._bot_send(params, content)
        return {"message_id": msg["message_id"]}

    async def _m_copyMessages(self, params: JSON, files: Any) -> list[JSON]:
        result = []
        for mid in params.get("message_ids") or []:
            with contextlib.suppress(TelegramError):
                result.append(await self._m_copyMessage({**params, "message_id": mid}, files))
        return result

    async def _m_forwardMessage(self, params: JSON, files: Any) -> JSON:
        source_chat = self._chat(params.get("from_chat_id"))
        source = self._message(source_chat, params.get("message_id"))
        if source is None:
            raise bad("message to forward not found")
        if source.get("has_protected_content"):
            raise bad("message can't be forwarded")
        content = {k: copy.deepcopy(source[k]) for k in COPYABLE_KEYS if k in source}
        origin = source.get("forward_origin")
        if origin is None:
            if source_chat.info["type"] == "channel":
                origin = {
                    "type": "channel",
                    "chat": source_chat.info,
                    "message_id": source["message_id"],
                    "date": source["date"],
                }
            else:
                origin = {
                    "type": "user",
                    "sender_user": source.get("from", self.bot_user),
                    "date": source["date"],
                }
        content["forward_origin"] = origin
        content["forward_date"] = origin["date"]
        return self._bot_send({**params, "reply_markup": None}, content)

    async def _m_forwardMessages(self, params: JSON, files: Any) -> list[JSON]:
        result = []
        for mid in params.get("message_ids") or []:
            with contextlib.suppress(TelegramError):
                msg = await self._m_forwardMessage({**params, "message_id": mid}, files)
                result.append({"message_id": msg["message_id"]})
        return result

    def _editable(self, params: JSON) -> tuple[_Chat, JSON]:
        if params.get("inline_message_id"):
            raise bad("MESSAGE_ID_INVALID")
        chat = self._chat(params.get("chat_id"))
        msg = self._message(chat, params.get("message_id"))
        if msg is None:
            raise bad("message to edit not found")
        if not self._is_bot_message(msg):
            raise bad("message can't be edited")
        return chat, msg

    def _commit_edit(self, chat: _Chat, msg: JSON, new: JSON) -> JSON:
        """Replace editable fields of ``msg`` by ``new`` (None values delete); emit an edit."""
        before = {k: msg.get(k) for k in new}
        after = {k: v for k, v in new.items()}
        if before == after:
            raise bad(NOT_MODIFIED)
        for key, value in new.items():
            if value is None:
                msg.pop(key, None)
            else:
                msg[key] = value
        msg["edit_date"] = _now()
        snap = self._snapshot(msg)
        self._emit(
            "edit",
            chat_id=chat.id,
            message_id=msg["message_id"],
            message=snap,
            keyboard=None,
            edited=True,
        )
        return self._snapshot(msg)

    def _edit_markup(self, params: JSON) -> JSON | None:
        markup = params.get("reply_markup")
        if not markup:
            return None
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            raise bad("inline keyboard expected")
        kb = self._validate_inline_keyboard(markup)
        return kb if kb["inline_keyboard"] else None

    async def _m_editMessageText(self, params: JSON, files: Any) -> JSON:
        chat, msg = self._editable(params)
        if "text" not in msg:
            raise bad("there is no text in the message to edit")
        content = self._text_content(params)
        return self._commit_edit(
            chat,
            msg,
            {
                "text": content["text"],
                "entities": content.get("entities"),
                "link_preview_options": content.get("link_preview_options"),
                "reply_markup": self._edit_markup(params),
            },
        )

    async def _m_editMessageCaption(self, params: JSON, files: Any) -> JSON:
        chat, msg = self._editable(params)
        if not any(k in msg for k in ("photo", "document", "video", "audio", "animation", "voice")):
            raise bad("there is no caption in the message to edit")
        caption = self._caption_content(params)
        return self._commit_edit(
            chat,
            msg,
            {
                "caption": caption.get("caption"),
                "caption_entities": caption.get("caption_entities"),
                "reply_markup": self._edit_markup(params),
            },
        )

    async def _m_editMessageReplyMarkup(self, params: JSON, files: Any) -> JSON:
        chat, msg = self._editable(params)
        return self._commit_edit(chat, msg, {"reply_markup": self._edit_markup(params)})

    async def _m_editMessageMedia(self, params: JSON, files: Any) -> JSON:
        chat, msg = self._editable(params)
        media = params.get("media")
        if not isinstance(media, dict) or media.get("type") not in (
            "photo",
            "video",
            "document",
            "audio",
            "animation",
        ):
            raise bad("can't parse InputMedia JSON object")
        if "text" in msg:
            raise bad("there is no media in the message to edit")
        kind = media["type"]
        obj = self._input_file(kind, media.get("media"), files, media)
        caption = self._caption_content(media)
        new: JSON = {k: None for k in MEDIA_KINDS}
        new.update(
            {
                kind: obj,
                "caption": caption.get("caption"),
                "caption_entities": caption.get("caption_entities"),
            }
        )
        new["reply_markup"] = self._edit_markup(params)
        return self._commit_edit(chat, msg, new)

    def _delete(self, chat: _Chat, message_id: Any) -> None:
        msg = self._message(chat, message_id)
        if msg is None:
            raise bad("message to delete not found")
        can_delete = chat.bot_admin and chat.bot_rights.get("can_delete_messages", True)
        if not chat.is_private and not self._is_bot_message(msg) and not can_delete:
            raise bad("message can't be deleted")
        chat.deleted.add(int(msg["message_id"]))
        self._emit(
            "delete",
            chat_id=chat.id,
            message_id=int(msg["message_id"]),
            from_bot=self._is_bot_message(msg),
        )

    async def _m_deleteMessage(self, params: JSON, files: Any) -> bool:
        chat = self._chat(params.get("chat_id"))
        self._delete(chat, params.get("message_id"))
        return True

    async def _m_deleteMessages(self, params: JSON, files: Any) -> bool:
        chat = self._chat(params.get("chat_id"))
        ids = params.get("message_ids") or []
        if not 1 <= len(ids) <= 100:
            raise bad("message_ids must contain 1-100 identifiers")
        for mid in ids:
            with contextlib.suppress(TelegramError):
                self._delete(chat, mid)
        return True

    async def _m_answerCallbackQuery(self, params: JSON, files: Any) -> bool:
        cq = self._callbacks.get(str(params.get("callback_query_id") or ""))
        if cq is None or cq.answer is not None:
            raise bad(QUERY_TOO_OLD)
        if time.monotonic() - cq.created > self.callback_query_timeout:
            raise bad(QUERY_TOO_OLD)
        text = params.get("text")
        if text is not None and len(str(text)) > CALLBACK_ANSWER_TOO_LONG:
            raise bad("MESSAGE_TOO_LONG")
        cq.answer = {
            "text": text,
            "show_alert": bool(params.get("show_alert")),
            "url": params.get("url"),
            "cache_time": int(params.get("cache_time") or 0),
        }
        cq.answered.set()
        self._emit("callback_answer", callback_query_id=cq.id, user_id=cq.user_id, answer=cq.answer)
        return True

    async def _m_sendChatAction(self, params: JSON, files: Any) -> bool:
        chat = self._chat(params.get("chat_id"), for_sending=True)
        action = params.get("action")
        if action not in CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        self._emit("chat_action", chat_id=chat.id, action=action)
        return True

    # ------------------------------------------------------------------ Bot API: files

    async def _m_getFile(self, params: JSON, files: Any) -> JSON:
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD_SIZE:
            raise bad("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    # ------------------------------------------------------------------ Bot API: chats

    def _user_or_bot(self, user_id: int) -> JSON:
        if user_id == self.bot_id:
            return self.bot_user
        user = self.users.get(user_id)
        if user is None:
            raise bad("user not found")
        return user

    def _admin_member(self, user: JSON, *, is_bot: bool) -> JSON:
        return {
            "status": "administrator",
            "user": user,
            "can_be_edited": is_bot,
            "is_anonymous": False,
            "can_manage_chat": True,
            "can_delete_messages": True,
            "can_manage_video_chats": True,
            "can_restrict_members": True,
            "can_promote_members": False,
            "can_change_info": True,
            "can_invite_users": True,
            "can_post_stories": False,
            "can_edit_stories": False,
            "can_delete_stories": False,
            "can_send_welcome_messages": False,
            "can_pin_messages": True,
            "can_manage_topics": True,
        }

    def _member(self, chat: _Chat, user_id: int) -> JSON:
        user = self._user_or_bot(user_id)
        if chat.is_private:
            if user_id not in (chat.id, self.bot_id):
                raise bad("user not found")
            return {"status": "member", "user": user}
        if user_id == self.bot_id:
            if not chat.bot_member:
                return {"status": "left", "user": user}
            if chat.bot_admin:
                return {**self._admin_member(user, is_bot=False), **chat.bot_rights}
            return {"status": "member", "user": user}
        if user_id == chat.owner_id:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in chat.admins:
            return self._admin_member(user, is_bot=False)
        status = chat.members.get(user_id, "left")
        if status == "kicked":
            return {"status": "kicked", "user": user, "until_date": 0}
        return {"status": status, "user": user}

    async def _m_getChat(self, params: JSON, files: Any) -> JSON:
        chat = self._chat(params.get("chat_id"))
        info: JSON = {
            **chat.info,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        if not chat.is_private:
            info["permissions"] = {
                "can_send_messages": True,
                "can_send_photos": True,
                "can_send_documents": True,
                "can_invite_users": True,
            }
        return info

    async def _m_getChatMember(self, params: JSON, files: Any) -> JSON:
        chat = self._chat(params.get("chat_id"))
        if params.get("user_id") is None:
            raise bad("user_id is required")
        return self._member(chat, int(params["user_id"]))

    async def _m_getChatAdministrators(self, params: JSON, files: Any) -> list[JSON]:
        chat = self._chat(params.get("chat_id"))
        if chat.is_private:
            raise bad("there are no administrators in the private chat")
        result = []
        if chat.owner_id is not None:
            result.append(self._member(chat, chat.owner_id))
        result.extend(
            self._member(chat, uid) for uid in sorted(chat.admins) if uid != chat.owner_id
        )
        if chat.bot_admin and chat.bot_member:
            result.append(self._member(chat, self.bot_id))
        return result

    async def _m_getChatMemberCount(self, params: JSON, files: Any) -> int:
        chat = self._chat(params.get("chat_id"))
        if chat.is_private:
            return 2
        ids = {uid for uid, s in chat.members.items() if s in ("member", "restricted")}
        ids |= chat.admins
        if chat.owner_id is not None:
            ids.add(chat.owner_id)
        return len(ids) + (1 if chat.bot_member else 0)

    async def _m_leaveChat(self, params: JSON, files: Any) -> bool:
        chat = self._chat(params.get("chat_id"))
        if chat.is_private:
            raise bad("chat member status can't be changed in private chats")
        chat.bot_member = False
        return True

    # ------------------------------------------------------------------ Bot API: commands & menu

    @staticmethod
    def _commands_key(params: JSON) -> str:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps([scope, params.get("language_code") or ""], sort_keys=True)

    async def _m_setMyCommands(self, params: JSON, files: Any) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad("too many commands")
        for cmd in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(cmd.get("command", ""))):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description", ""))) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _m_getMyCommands(self, params: JSON, files: Any) -> list[JSON]:
        return copy.deepcopy(self.commands.get(self._commands_key(params), []))

    async def _m_deleteMyCommands(self, params: JSON, files: Any) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    async def _m_setChatMenuButton(self, params: JSON, files: Any) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        if params.get("chat_id") is not None:
            self._chat(params["chat_id"]).menu_button = button
        else:
            self.default_menu_button = button
        return True

    async def _m_getChatMenuButton(self, params: JSON, files: Any) -> JSON:
        if params.get("chat_id") is not None:
            chat = self._chat(params["chat_id"])
            if chat.menu_button is not None:
                return chat.menu_button
        return self.default_menu_button

    async def _m_getMyDescription(self, params: JSON, files: Any) -> JSON:
        return {"description": self.bot_settings.get("setMyDescription", {}).get("description", "")}

    async def _m_getMyShortDescription(self, params: JSON, files: Any) -> JSON:
        return {
            "short_description": self.bot_settings.get("setMyShortDescription", {}).get(
                "short_description", ""
            )
        }

    async def _m_getMyName(self, params: JSON, files: Any) -> JSON:
        return {
            "name": self.bot_settings.get("setMyName", {}).get("name", self.bot_user["first_name"])
        }

    def _generic_ok(self, name: str) -> Handler:
        async def handler(params: JSON, files: Any) -> bool:
            if params.get("chat_id") is not None:
                self._chat(params["chat_id"])
            self.bot_settings[name] = dict(params)
            return True

        return handler

    # ------------------------------------------------------------------ HTTP: /_test/ (user side)

    async def _handle_test(self, request: web.Request) -> web.Response:
        action = request.match_info["action"]
        handler = getattr(self, f"_t_{action}", None)
        if handler is None:
            return web.json_response(
                {"ok": False, "error": f"unknown test action {action!r}"}, status=404
            )
        body: JSON = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            data = await request.json()
            if isinstance(data, dict):
                body.update(data)
        try:
            result = await handler(body)
        except (_TestError, TelegramError) as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        return web.json_response({"ok": True, "result": result})

    async def _handle_test_file(self, request: web.Request) -> web.Response:
        stored = self.files.get(request.match_info["file_id"])
        if stored is None:
            return web.json_response({"ok": False, "error": "unknown file_id"}, status=404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    def _bot_should_see(self, chat: _Chat, msg: JSON) -> bool:
        if chat.is_private or not self.privacy_mode or chat.bot_admin:
            return True
        text = msg.get("text") or msg.get("caption") or ""
        username = self.bot_user["username"].lower()
        if text.startswith("/"):
            command = text.split()[0]
            return "@" not in command or command.lower().endswith("@" + username)
        reply = msg.get("reply_to_message")
        if reply and reply.get("from", {}).get("id") == self.bot_id:
            return True
        return f"@{username}" in text.lower()

    def _user_message_update(self, chat: _Chat, msg: JSON, kind: str = "message") -> int | None:
        if not chat.is_private and not chat.bot_member:
            self._emit(
                "update_skipped",
                chat_id=chat.id,
                message_id=msg["message_id"],
                reason="bot is not a member",
            )
            return None
        if not self._bot_should_see(chat, msg):
            self._emit(
                "update_skipped",
                chat_id=chat.id,
                message_id=msg["message_id"],
                reason="privacy mode",
            )
            return None
        return self.enqueue_update({kind: self._snapshot(msg)})

    async def _t_send(self, body: JSON) -> JSON:
        """A user sends a message: {user, chat?, content, reply_to_message_id?, forward_origin?}."""
        user = self._register_user(body["user"])
        if body.get("chat") and int(body["chat"]["id"]) != user["id"]:
            chat = self._group_chat(body["chat"])
            if chat.members.get(user["id"]) not in ("kicked",):
                chat.members.setdefault(user["id"], "member")
        else:
            chat = self._private_chat(user)
            if chat.blocked:  # writing to the bot again unblocks it ("Restart" in the apps)
                await self._t_block({"user": user, "blocked": False})
        content = dict(body.get("content") or {})
        if "text" in content:
            text = str(content["text"])
            if not text.strip():
                raise _TestError("message text is empty")
            entities = list(content.get("entities") or [])
            taken = [(e["offset"], e["offset"] + e["length"]) for e in entities]
            for auto in detect_entities(text):
                s, e = auto["offset"], auto["offset"] + auto["length"]
                if not any(s < te and ts < e for ts, te in taken):
                    entities.append(auto)
            entities.sort(key=lambda e: (e["offset"], -e["length"]))
            content["entities"] = entities or None
        if content.get("caption"):
            ents = list(content.get("caption_entities") or []) or detect_entities(
                str(content["caption"])
            )
            content["caption_entities"] = ents or None
        if body.get("forward_origin"):
            content["forward_origin"] = body["forward_origin"]
            content["forward_date"] = body["forward_origin"].get("date", _now())
        if body.get("reply_markup"):
            content["reply_markup"] = body["reply_markup"]
        if body.get("reply_to_message_id") is not None:
            replied = self._message(chat, body["reply_to_message_id"])
            if replied is None:
                raise _TestError(f"message {body['reply_to_message_id']} to reply to not found")
            content["reply_to_message"] = self._reply_snapshot(replied)
        self._one_time_keyboard(chat, content.get("text"))
        msg = self._store_message(chat, user, content)
        update_id = self._user_message_update(chat, msg)
        return {
            "update_id": update_id,
            "message_id": msg["message_id"],
            "message": self._snapshot(msg),
        }

    def _one_time_keyboard(self, chat: _Chat, text: str | None) -> None:
        kb = chat.reply_keyboard
        if kb and text and kb.get("one_time_keyboard"):
            texts = {b.get("text") for row in kb["keyboard"] for b in row}
            if text in texts:
                chat.reply_keyboard = None

    async def _t_edit(self, body: JSON) -> JSON:
        """A user edits their own message: {user, chat_id, message_id, text}."""
        user = self._register_user(body["user"])
        chat = self.chats.get(int(body.get("chat_id") or user["id"]))
        if chat is None:
            raise _TestError("chat not found")
        msg = self._message(chat, body["message_id"])
        if msg is None or msg.get("from", {}).get("id") != user["id"]:
            raise _TestError("message to edit not found (or not sent by this user)")
        text = str(body["text"])
        msg["text"] = text
        ents = detect_entities(text)
        if ents:
            msg["entities"] = ents
        else:
            msg.pop("entities", None)
        msg["edit_date"] = _now()
        update_id = self._user_message_update(chat, msg, kind="edited_message")
        return {"update_id": update_id, "message": self._snapshot(msg)}

    async def _t_upload(self, body: JSON) -> Any:
        """Store a user file: {kind, data (base64), file_name?, mime_type?, file_size?, extra?}."""
        data = base64.b64decode(body.get("data") or "")
        return self.store_upload(
            body.get("kind") or "document",
            data,
            file_name=body.get("file_name"),
            mime_type=body.get("mime_type"),
            file_size=body.get("file_size"),
            strict=False,
            extra=body.get("extra"),
        )

    async def _t_press(self, body: JSON) -> JSON:
        """A user presses an inline button: {user, chat_id, message_id, text? | callback_data?}."""
        user = self._register_user(body["user"])
        chat = self.chats.get(int(body["chat_id"]))
        if chat is None:
            raise _TestError(f"chat {body['chat_id']} not found")
        mid = int(body["message_id"])
        msg = chat.messages.get(mid)
        if msg is None:
            raise _TestError(f"message {mid} not found in chat {chat.id}")
        if mid in chat.deleted:
            raise _TestError(f"message {mid} was deleted by the bot; its buttons can't be pressed")
        rows = (msg.get("reply_markup") or {}).get("inline_keyboard") or []
        buttons = [b for row in rows for b in row]
        want_text, want_data = body.get("text"), body.get("callback_data")
        found = [
            b
            for b in buttons
            if (want_text is None or b.get("text") == want_text)
            and (want_data is None or b.get("callback_data") == want_data)
        ]
        if not found:
            available = [(b.get("text"), b.get("callback_data") or b.get("url")) for b in buttons]
            raise _TestError(
                f"no inline button text={want_text!r} callback_data={want_data!r} in message {mid} "
                f"({msg.get('text') or msg.get('caption')!r}); available: {available}"
            )
        button = found[0]
        if "callback_data" not in button:
            raise _TestError(f"button {button.get('text')!r} is not a callback button: {button}")
        cq_id = str(random.randint(10**18, 10**19))
        self._callbacks[cq_id] = _CallbackQuery(
            id=cq_id, user_id=user["id"], chat_id=chat.id, message_id=mid, created=time.monotonic()
        )
        self._last_press[user["id"]] = cq_id
        update_id = self.enqueue_update(
            {
                "callback_query": {
                    "id": cq_id,
                    "from": user,
                    "message": self._snapshot(msg),
                    "chat_instance": str(abs(hash(("chat", chat.id))) % 10**18),
                    "data": button["callback_data"],
                }
            }
        )
        return {"update_id": update_id, "callback_query_id": cq_id}

    async def _t_callback_answer(self, body: JSON) -> JSON | None:
        """Answer to a callback query: {callback_query_id? | user_id, timeout?}; null if none."""
        cq_id = body.get("callback_query_id") or self._last_press.get(int(body.get("user_id") or 0))
        cq = self._callbacks.get(str(cq_id)) if cq_id else None
        if cq is None:
            raise _TestError("no callback query was made by this user")
        timeout = float(body.get("timeout") or 0)
        if cq.answer is None and timeout > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(cq.answered.wait(), timeout)
        return {"callback_query_id": cq.id, "answer": cq.answer}

    async def _t_update(self, body: JSON) -> JSON:
        """Inject a raw update (its update_id is kept, even if it repeats)."""
        update = body.get("update") or {}
        for key, obj in update.items():
            if not isinstance(obj, dict):
                continue
            sender = obj.get("from")
            if isinstance(sender, dict) and sender.get("id") and sender.get("first_name"):
                self._register_user(sender)
            chat_info = obj.get("chat") or (obj.get("message") or {}).get("chat")
            if not isinstance(chat_info, dict) or chat_info.get("id") is None:
                continue
            if chat_info.get("type") == "private":
                if isinstance(sender, dict) and sender.get("id") == chat_info["id"]:
                    chat = self._private_chat(self.users[int(sender["id"])])
                else:
                    chat = self.chats.get(int(chat_info["id"])) or self._private_chat(
                        {"first_name": "User", **chat_info}
                    )
            else:
                chat = self._group_chat(chat_info)
            # Keep the message so that the bot can reply to / edit / delete it.
            if key in ("message", "edited_message") and obj.get("message_id") is not None:
                mid = int(obj["message_id"])
                chat.messages.setdefault(mid, copy.deepcopy(obj))
                chat.next_message_id = max(chat.next_message_id, mid + 1)
        return {"update_id": self.enqueue_update(update)}

    async def _t_group(self, body: JSON) -> JSON:
        """Create/update a group: {chat_id, title?, type?, owner?, bot_member?}."""
        chat = self._group_chat(
            {"id": body["chat_id"], "title": body.get("title"), "type": body.get("type")}
        )
        if body.get("owner"):
            owner = self._register_user(body["owner"])
            chat.owner_id = owner["id"]
        if body.get("bot_member") is not None:
            chat.bot_member = bool(body["bot_member"])
        return chat.info

    async def _t_fail(self, body: JSON) -> bool:
        """Make the next calls of a method fail: {method, error_code, description?, retry_after?, times?}."""
        self.fail_next(
            body["method"],
            int(body.get("error_code") or 500),
            body.get("description"),
            retry_after=body.get("retry_after"),
            times=int(body.get("times") or 1),
        )
        return True

    async def _t_open_chat(self, body: JSON) -> JSON:
        """Register a user's private chat without sending an update: {user}."""
        user = self._register_user(body["user"])
        return self._private_chat(user).info

    async def _t_bot_admin(self, body: JSON) -> bool:
        chat = self._group_chat({"id": body["chat_id"]})
        chat.bot_admin = bool(body.get("is_admin", True))
        chat.bot_rights = {k: bool(v) for k, v in (body.get("rights") or {}).items()}
        return chat.bot_admin

    async def _t_member(self, body: JSON) -> JSON:
        """Set a user's status in a group: {chat_id, user, status}."""
        chat = self._group_chat({"id": body["chat_id"]})
        user = self._register_user(body["user"])
        status = body.get("status", "member")
        chat.admins.discard(user["id"])
        if status == "creator":
            chat.owner_id = user["id"]
        elif status == "administrator":
            chat.admins.add(user["id"])
        else:
            chat.members[user["id"]] = status
        return self._member(chat, user["id"])

    async def _t_block(self, body: JSON) -> bool:
        """A user blocks/unblocks the bot: {user, blocked}; sends a my_chat_member update."""
        user = self._register_user(body["user"])
        chat = self._private_chat(user)
        blocked = bool(body.get("blocked", True))
        if chat.blocked == blocked:
            return blocked
        chat.blocked = blocked
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        member_new: JSON = {"status": new, "user": self.bot_user}
        if new == "kicked":
            member_new["until_date"] = 0
        member_old: JSON = {"status": old, "user": self.bot_user}
        if old == "kicked":
            member_old["until_date"] = 0
        self.enqueue_update(
            {
                "my_chat_member": {
                    "chat": chat.info,
                    "from": user,
                    "date": _now(),
                    "old_chat_member": member_old,
                    "new_chat_member": member_new,
                }
            }
        )
        return blocked

    async def _t_events(self, body: JSON) -> JSON:
        """Events after ``after`` (long poll up to ``timeout`` seconds)."""
        after = int(body.get("after") or 0)
        timeout = float(body.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        while len(self.events) <= after and not self._stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            changed = self._events_changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)
        return {"events": self.events[after:], "seq": len(self.events)}

    def _busy_reason(self) -> str | None:
        pending = self.pending_update_count()
        if pending:
            return f"{pending} update(s) not yet delivered to the bot"
        if self._webhook_inflight:
            return "a webhook delivery is in progress"
        return None

    async def _t_wait_idle(self, body: JSON) -> JSON:
        """Wait until the bot made no API call for ``quiet`` s and all updates were delivered."""
        quiet = float(body.get("quiet") or 0.3)
        timeout = float(body.get("timeout") or 5.0)
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            busy = self._busy_reason()
            since = now - self._last_activity
            if busy is None and since >= quiet:
                return {"idle": True, "seq": len(self.events)}
            if now >= deadline or self._stopping:
                return {
                    "idle": False,
                    "seq": len(self.events),
                    "reason": busy or f"the bot was still active {since:.2f}s ago",
                }
            await asyncio.sleep(
                max(0.01, min(quiet - since if busy is None else 0.02, deadline - now))
            )

    async def _t_wait_confirmed(self, body: JSON) -> JSON:
        """Wait until every queued update was delivered and confirmed (offset / webhook 2xx)."""
        timeout = float(body.get("timeout") or 5.0)
        deadline = time.monotonic() + timeout
        while self._queue and not self._stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            changed = self._updates_changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(remaining, 0.05))
        return {"confirmed": not self._queue, "queued": [e.update_id for e in self._queue]}

    async def _t_wait_polling(self, body: JSON) -> JSON:
        """Wait until a getUpdates request is waiting (the bot is polling) or a webhook is set."""
        timeout = float(body.get("timeout") or 5.0)
        deadline = time.monotonic() + timeout
        while not (self._polling_waiters or self.webhook) and not self._stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            changed = self._updates_changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(remaining, 0.05))
        return {"polling": self._polling_waiters > 0, "webhook": self.webhook is not None}

    async def _t_state(self, body: JSON) -> JSON:
        return {
            "webhook": self.webhook,
            "pending_update_count": self.pending_update_count(),
            "queued": [{"update_id": e.update_id, "delivered": e.delivered} for e in self._queue],
            "allowed_updates": self._allowed_updates,
            "polling": self._polling_waiters > 0,
            "bot": self.bot_user,
            "seq": len(self.events),
        }

    async def _t_chat(self, body: JSON) -> JSON:
        """Current state of a chat: messages (including the users'), keyboard, members."""
        chat = self.chats.get(int(body["chat_id"]))
        if chat is None:
            raise _TestError("chat not found")
        return {
            "info": chat.info,
            "messages": [
                {**self._snapshot(m), "_deleted": mid in chat.deleted}
                for mid, m in sorted(chat.messages.items())
            ],
            "reply_keyboard": chat.reply_keyboard,
            "bot_admin": chat.bot_admin,
        }
