"""File storage helpers for the fake Bot API: ids, image sizes, photo size ladders."""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024  # getFile limit of the public Bot API

# First bytes of Telegram file ids per kind (purely cosmetic, real ids look like this).
_FILE_ID_PREFIX = {
    "photo": "AgACAgIAAxkBAA",
    "document": "BQACAgIAAxkBAA",
    "sticker": "CAACAgIAAxkBAA",
    "voice": "AwACAgIAAxkBAA",
    "audio": "CQACAgIAAxkBAA",
    "video": "BAACAgIAAxkBAA",
    "animation": "CgACAgIAAxkBAA",
    "video_note": "DQACAgIAAxkBAA",
}
_DIR = {
    "photo": "photos",
    "document": "documents",
    "sticker": "stickers",
    "voice": "voice",
    "audio": "music",
    "video": "videos",
    "animation": "animations",
    "video_note": "video_notes",
}
_DEFAULT_EXT = {
    "photo": ".jpg",
    "sticker": ".webp",
    "voice": ".oga",
    "audio": ".mp3",
    "video": ".mp4",
    "animation": ".mp4",
    "video_note": ".mp4",
}


def new_file_id(kind: str) -> str:
    return _FILE_ID_PREFIX.get(kind, "BQACAgIAAxkBAA") + secrets.token_urlsafe(48)[:58]


def unique_id_for(data: bytes, variant: str = "") -> str:
    """Stable ``file_unique_id``: the same content (and size variant) gives the same id."""
    digest = hashlib.sha256(variant.encode() + b"\0" + data).digest()
    return "AQAD" + base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_size: int  # may exceed len(data) to simulate huge files
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_file(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width/height of PNG, GIF, JPEG or WebP data, or None when unknown."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
            w, h = struct.unpack(">II", data[16:24])
            return int(w), int(h)
        if data[:6] in (b"GIF87a", b"GIF89a"):
            w, h = struct.unpack("<HH", data[6:10])
            return int(w), int(h)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            chunk = data[12:16]
            if chunk == b"VP8 ":
                w, h = struct.unpack("<HH", data[26:30])
                return w & 0x3FFF, h & 0x3FFF
            if chunk == b"VP8L":
                b = data[21:25]
                w = 1 + (((b[1] & 0x3F) << 8) | b[0])
                h = 1 + (((b[3] & 0xF) << 10) | (b[2] << 2) | ((b[1] & 0xC0) >> 6))
                return w, h
            if chunk == b"VP8X":
                w = 1 + int.from_bytes(data[24:27], "little")
                h = 1 + int.from_bytes(data[27:30], "little")
                return w, h
        if data[:2] == b"\xff\xd8":
            i = 2
            while i + 9 < len(data):
                if data[i] != 0xFF:
                    i += 1
                    continue
                marker = data[i + 1]
                if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                    i += 2
                    continue
                (seg_len,) = struct.unpack(">H", data[i + 2 : i + 4])
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                    h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                    return int(w), int(h)
                i += 2 + seg_len
    except (struct.error, IndexError):
        return None
    return None


def photo_ladder(width: int, height: int) -> list[tuple[str, int, int]]:
    """Sizes Telegram generates for a photo: (variant, width, height), smallest first."""
    longest = max(width, height, 1)
    ladder: list[tuple[str, int, int]] = []
    for variant, limit in (("s", 90), ("m", 320), ("x", 800), ("y", 1280), ("w", 2560)):
        scale = min(1.0, limit / longest)
        w, h = max(1, round(width * scale)), max(1, round(height * scale))
        ladder.append((variant, w, h))
        if scale >= 1.0:
            break
    return ladder


def guess_mime(file_name: str | None, default: str = "application/octet-stream") -> str:
    if file_name:
        guessed, _ = mimetypes.guess_type(file_name)
        if guessed:
            return guessed
    return default


def file_path_for(kind: str, counter: int, file_name: str | None) -> str:
    ext = ""
    if file_name and "." in file_name:
        ext = "." + file_name.rsplit(".", 1)[1].lower()
    ext = ext or _DEFAULT_EXT.get(kind, "")
    return f"{_DIR.get(kind, 'documents')}/file_{counter}{ext}"
