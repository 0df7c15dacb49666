"""Pictures for the picture-scanning tests and benchmarks, drawn with Pillow: phone
screenshots of chat messages, QR codes, photos without any text."""

from __future__ import annotations

import functools
import io
import random
import subprocess
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFilter, ImageFont

SCREEN = (1080, 2400)


@functools.cache
def cjk_font_path() -> str | None:
    """A font with Chinese characters (fonts-noto-cjk or similar), if the system has one."""
    try:
        out = subprocess.run(
            ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(line.split(":")[0].strip() for line in out.splitlines() if line.strip())
    preferred = [f for f in files if "Regular" in f or "regular" in f] or files
    return preferred[0] if preferred else None


def font(size: int, cjk: bool = True) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = cjk_font_path() if cjk else None
    if path:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def _wrap(
    draw: ImageDraw.ImageDraw,
    text: str,
    fnt: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    width: int,
) -> list[str]:
    lines: list[str] = []
    line = ""
    tokens = list(text) if not text.isascii() else text.split(" ")
    sep = "" if not text.isascii() else " "
    for tok in tokens:
        candidate = f"{line}{sep}{tok}" if line else tok
        if draw.textlength(candidate, font=fnt) <= width:
            line = candidate
        else:
            lines.append(line)
            line = tok
    if line:
        lines.append(line)
    return lines


def png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def jpeg(image: Image.Image, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def chat_screenshot(
    messages: Sequence[str], size: tuple[int, int] = SCREEN, font_size: int = 44
) -> Image.Image:
    """A phone screenshot of a chat: a title bar and speech bubbles, long messages
    wrapped over several lines (as a phone does)."""
    img = Image.new("RGB", size, (237, 237, 237))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, size[0], 160], fill=(247, 247, 247))
    title = font(48)
    draw.text((size[0] // 2 - 100, 60), "客服 Support", fill=(20, 20, 20), font=title)
    fnt = font(font_size, cjk=any(not m.isascii() for m in messages))
    y = 220
    for i, text in enumerate(messages):
        left = 60 if i % 2 == 0 else 260
        lines = _wrap(draw, text, fnt, size[0] - 260 - 80)
        height = len(lines) * int(font_size * 1.45) + 40
        draw.rounded_rectangle(
            [left, y, left + size[0] - 320, y + height],
            radius=18,
            fill=(255, 255, 255) if i % 2 == 0 else (149, 236, 105),
        )
        for n, line in enumerate(lines):
            draw.text(
                (left + 30, y + 20 + n * int(font_size * 1.45)), line, fill=(10, 10, 10), font=fnt
            )
        y += height + 50
        if y > size[1] - 200:
            break
    return img


def qr_code(payload: str, scale: int = 10) -> Image.Image:
    import numpy as np
    import zxingcpp

    code = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode)
    return Image.fromarray(np.array(code.to_image(scale=scale, add_quiet_zones=True)))


def poster_with_qr(
    payload: str, caption: str = "", size: tuple[int, int] = (1080, 1600)
) -> Image.Image:
    img = Image.new("RGB", size, (250, 246, 230))
    qr = qr_code(payload).convert("RGB")
    img.paste(qr, ((size[0] - qr.width) // 2, 500))
    if caption:
        ImageDraw.Draw(img).text((80, 200), caption, fill=(180, 20, 20), font=font(60))
    return img


def photo_without_text(size: tuple[int, int] = SCREEN, seed: int = 1) -> Image.Image:
    """A smooth 'landscape': sky gradient, soft hills, blurred noise: no text, no code."""
    rng = random.Random(seed)
    img = Image.new("RGB", size)
    draw = ImageDraw.Draw(img)
    for y in range(size[1]):
        t = y / size[1]
        draw.line(
            [(0, y), (size[0], y)], fill=(int(90 + 100 * t), int(150 + 60 * t), int(230 - 120 * t))
        )
    for _ in range(5):
        cx, cy, r = (
            rng.randint(0, size[0]),
            rng.randint(size[1] // 2, size[1]),
            rng.randint(300, 900),
        )
        draw.ellipse(
            [cx - r, cy - r // 3, cx + r, cy + r // 3],
            fill=(rng.randint(40, 90), rng.randint(110, 160), rng.randint(40, 80)),
        )
    return img.filter(ImageFilter.GaussianBlur(12))
