"""What a buyer may send as evidence: photos and image files (jpg, png, webp)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from aiogram.types import Message

IMAGE_TYPES = {"image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",), "image/webp": (".webp",)}
IMAGE_EXTENSIONS = {ext: mime for mime, exts in IMAGE_TYPES.items() for ext in exts}


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
        return {"file_id": photo.file_id, "file_unique_id": photo.file_unique_id, "mime_type": "image/jpeg", "size": size}
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
    }
