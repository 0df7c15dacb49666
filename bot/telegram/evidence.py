"""What a buyer may send as evidence: photos and image files (jpg, png, webp)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Message

from bot.config import Settings
from bot.i18n import Translator

IMAGE_TYPES = {"image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",), "image/webp": (".webp",)}
IMAGE_EXTENSIONS = {ext: mime for mime, exts in IMAGE_TYPES.items() for ext in exts}


SIGNATURES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
}


def sniff_image(head: bytes) -> str | None:
    """The image type the first bytes of a file show, whatever its name claims."""
    for mime, prefixes in SIGNATURES.items():
        if head.startswith(prefixes) and (mime != "image/webp" or head[8:12] == b"WEBP"):
            return mime
    return None


class EvidenceRefused(ValueError):
    """`reason` is a locale key suffix: `type`, `too_big`, `empty`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def file_from_message(message: Message, *, max_bytes: int) -> dict[str, Any]:
    """The evidence file of a message, or EvidenceRefused with the reason."""
    if message.photo:
        photo = max(message.photo, key=lambda size: (size.file_size or 0, size.width * size.height))
        size = photo.file_size
        if size is not None and size > max_bytes:
            raise EvidenceRefused("too_big")
        return {
            "file_id": photo.file_id,
            "file_unique_id": photo.file_unique_id,
            "mime_type": "image/jpeg",
            "size": size,
            "media": "photo",
        }
    document = message.document
    if document is None:
        raise EvidenceRefused("type")
    mime = (document.mime_type or "").lower()
    extension = PurePath(document.file_name or "").suffix.lower()
    if mime not in IMAGE_TYPES and not (not mime and extension in IMAGE_EXTENSIONS):
        raise EvidenceRefused("type")
    if extension and extension not in IMAGE_EXTENSIONS:
        raise EvidenceRefused("type")
    if document.file_size is not None and document.file_size > max_bytes:
        raise EvidenceRefused("too_big")
    if document.file_size == 0:
        raise EvidenceRefused("empty")
    return {
        "file_id": document.file_id,
        "file_unique_id": document.file_unique_id,
        "mime_type": mime or IMAGE_EXTENSIONS[extension],
        "size": document.file_size,
        "media": "document",
    }


async def verify_document(bot: Bot, file: dict[str, Any]) -> dict[str, Any]:
    """A document says it is an image; look at its first bytes (a renamed PDF is refused).
    Photos need no check: Telegram re-encodes them."""
    if file.get("media") != "document":
        return file
    try:
        buffer = await bot.download(file["file_id"])
    except TelegramBadRequest as exc:
        raise EvidenceRefused("too_big" if "too big" in exc.message else "unreadable") from None
    if buffer is None:  # pragma: no cover - download() returns the buffer it was given
        raise EvidenceRefused("type")
    real = sniff_image(buffer.read(16))
    if real is None:
        raise EvidenceRefused("type")
    return {**file, "mime_type": real}


async def evidence_file(
    message: Message, bot: Bot, t: Translator, settings: Settings
) -> dict[str, Any] | None:
    """The message's file, checked (`file_from_message`, `verify_document`); None when it
    is refused, and the buyer is told why."""
    try:
        return await verify_document(
            bot, file_from_message(message, max_bytes=settings.max_evidence_bytes)
        )
    except EvidenceRefused as exc:
        await message.answer(t(f"error.evidence.{exc.reason}", max_mb=settings.max_evidence_mb))
        return None
