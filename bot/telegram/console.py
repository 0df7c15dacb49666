"""The local console chat: the real Dispatcher and handlers, with a session that renders
what the bot sends to a terminal instead of calling Telegram.

Bot messages are printed; inline buttons are shown as numbered choices (type the number to
press one); `/photo PATH` sends a picture file as a photo and `/file PATH` as a document.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import mimetypes
import re
from collections.abc import AsyncGenerator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
    GetMe,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    CallbackQuery,
    Chat,
    Document,
    File,
    InlineKeyboardMarkup,
    Location,
    Message,
    MessageEntity,
    PhotoSize,
    Sticker,
    Update,
    User,
)

CONSOLE_TOKEN = "42:console"
BOT_USER = User(id=42, is_bot=True, first_name="refund-bot", username="refund_bot")
_TAG = re.compile(r"<[^>]+>")
# update ids unique in this process and across restarts (the database remembers handled ids)
_UPDATE_IDS = itertools.count(int(datetime.now(UTC).timestamp() * 1000))


def plain(text: str) -> str:
    """HTML as sent to Telegram -> terminal text."""
    return html.unescape(_TAG.sub("", text))


class ConsoleSession(BaseSession):
    """Answers the bot's API calls locally and prints the messages."""

    def __init__(self, write: Callable[[str], None], files: dict[str, Path]) -> None:
        super().__init__()
        self.write = write
        self.files = files
        self.messages: dict[int, Message] = {}
        self.buttons: list[tuple[Message, str, str | None]] = []  # (message, text, callback_data)
        self._ids = itertools.count(1000)

    async def close(self) -> None:
        return None

    async def stream_content(  # type: ignore[override]
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 - aiogram's BaseSession signature
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        path = Path(url.rsplit("/", 1)[-1])
        yield self.files[path.name].read_bytes() if path.name in self.files else b""

    def _message(self, chat_id: int | str, text: str | None, markup: Any, **extra: Any) -> Message:
        message = Message(
            message_id=next(self._ids),
            date=datetime.now(UTC),
            chat=Chat(id=int(chat_id), type="private"),
            from_user=BOT_USER,
            text=text,
            reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
            **extra,
        )
        self.messages[message.message_id] = message
        return message

    def _show(self, message: Message, prefix: str = "") -> None:
        body = plain(message.text or message.caption or "")
        self.write(f"\n{prefix}🤖 {body}" if body else f"\n{prefix}🤖")
        markup = message.reply_markup
        if isinstance(markup, InlineKeyboardMarkup) and markup.inline_keyboard:
            self.buttons = []
            for row in markup.inline_keyboard:
                cells = []
                for button in row:
                    self.buttons.append((message, button.text, button.callback_data))
                    cells.append(f"[{len(self.buttons)}] {button.text}")
                self.write("    " + "   ".join(cells))

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - aiogram's BaseSession signature
    ) -> TelegramType:
        result: Any
        if isinstance(method, GetMe):
            result = BOT_USER
        elif isinstance(method, SendMessage):
            result = self._message(method.chat_id, method.text, method.reply_markup)
            self._show(result)
        elif isinstance(method, SendPhoto | SendDocument):
            result = self._message(
                method.chat_id, None, method.reply_markup, caption=method.caption
            )
            self._show(result, prefix="[🖼] ")
        elif isinstance(method, EditMessageText | EditMessageCaption | EditMessageReplyMarkup):
            old = self.messages.get(int(method.message_id or 0))
            if old is None:
                result = True
            else:
                update: dict[str, Any] = {
                    "reply_markup": method.reply_markup,
                    "edit_date": int(datetime.now(UTC).timestamp()),
                }
                if isinstance(method, EditMessageText):
                    update["text"] = method.text
                result = old.model_copy(update=update)
                self.messages[old.message_id] = result
                if isinstance(method, EditMessageText):
                    self._show(result, prefix="(✎) ")
                elif method.reply_markup is None:
                    self.buttons = [b for b in self.buttons if b[0].message_id != old.message_id]
                else:
                    self._show(result, prefix="(✎) ")
        elif isinstance(method, AnswerCallbackQuery):
            if method.text:
                self.write(f"    💬 {plain(method.text)}")
            result = True
        elif isinstance(method, GetFile):
            name = method.file_id
            result = File(
                file_id=name,
                file_unique_id=name,
                file_path=name,
                file_size=self.files[name].stat().st_size if name in self.files else None,
            )
        elif isinstance(method, DeleteMessage):
            result = True
        else:
            # setMyCommands, deleteWebhook, sendChatAction, ...: nothing to show
            result = True
        return result  # type: ignore[no-any-return]


class ConsoleChat:
    """Plays one user: turns typed lines into updates for the Dispatcher."""

    def __init__(
        self,
        dp: Dispatcher,
        *,
        write: Callable[[str], None] = print,
        user_id: int = 1,
        language: str = "zh",
    ) -> None:
        self.dp = dp
        self.write = write
        self.files: dict[str, Path] = {}
        self.session = ConsoleSession(write, self.files)
        self.bot = Bot(
            token=CONSOLE_TOKEN,
            session=self.session,
            default=DefaultBotProperties(parse_mode=ParseMode.HTML),
        )
        self.user = User(id=user_id, is_bot=False, first_name="console", language_code=language)
        self.chat = Chat(id=user_id, type="private")
        self._message_ids = itertools.count(1)

    async def feed(self, update: Update) -> None:
        await self.dp.feed_update(self.bot, update)

    def _message(self, **fields: Any) -> Message:
        return Message(
            message_id=next(self._message_ids),
            date=datetime.now(UTC),
            chat=self.chat,
            from_user=self.user,
            **fields,
        )

    def _file(self, path: Path) -> tuple[str, str, int]:
        data = path.read_bytes()
        unique = hashlib.sha256(data).hexdigest()[:16]
        file_id = f"console-{unique}"
        self.files[file_id] = path
        return file_id, unique, len(data)

    async def handle_line(self, line: str) -> bool:
        """Feed one typed line; False when the user wants to leave."""
        text = line.strip()
        if text in ("/quit", "/exit"):
            return False
        update_id = next(_UPDATE_IDS)
        if text.isdigit() and 0 < int(text) <= len(self.session.buttons):
            message, _label, data = self.session.buttons[int(text) - 1]
            if data is None:
                self.write("    (link button)")
                return True
            query = CallbackQuery(
                id=str(update_id),
                from_user=self.user,
                chat_instance="console",
                message=message,
                data=data,
            )
            await self.feed(Update(update_id=update_id, callback_query=query))
            return True
        command, _, argument = text.partition(" ")
        if command in ("/photo", "/file"):
            path = Path(argument.strip()).expanduser()  # noqa: ASYNC240 - one local file the user named
            if not path.is_file():  # noqa: ASYNC240 - one local file the user named, checked once
                self.write(f"    (no such file: {path})")
                return True
            file_id, unique, size = self._file(path)
            if command == "/photo":
                sizes = [
                    PhotoSize(
                        file_id=file_id,
                        file_unique_id=unique,
                        width=1280,
                        height=960,
                        file_size=size,
                    )
                ]
                message = self._message(photo=sizes)
            else:
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                message = self._message(
                    document=Document(
                        file_id=file_id,
                        file_unique_id=unique,
                        file_name=path.name,
                        mime_type=mime,
                        file_size=size,
                    )
                )
        elif command == "/sticker":
            message = self._message(
                sticker=Sticker(
                    file_id="console-sticker",
                    file_unique_id="sticker",
                    type="regular",
                    width=512,
                    height=512,
                    is_animated=False,
                    is_video=False,
                )
            )
        elif command == "/location":
            message = self._message(location=Location(latitude=31.23, longitude=121.47))
        else:
            entities = (
                [MessageEntity(type="bot_command", offset=0, length=len(command))]
                if text.startswith("/")
                else None
            )
            message = self._message(text=line.rstrip("\n"), entities=entities)
        await self.feed(Update(update_id=update_id, message=message))
        return True

    async def close(self) -> None:
        await self.bot.session.close()


HELP = """refund-bot console: you are chatting with the bot as a buyer.
  type text to send it; type a number to press that button
  /photo PATH  send a picture as a photo      /file PATH  send a file as a document
  /sticker, /location  send those             /quit  leave"""
