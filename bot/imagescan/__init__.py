"""Scam checks for pictures: QR codes decoded, text read by OCR, both scanned like a message.

    scanner = ImageScanner(detector, max_bytes=8 * 1024 * 1024, workers=1)
    result = await scanner.scan(data)          # off the event loop, in a bounded pool
    result.verdict.risk, result.extracted.qr, result.extracted.text, result.skipped

QR codes are read with zxing-cpp, text with RapidOCR (ONNX models shipped inside the
`rapidocr-onnxruntime` wheel: nothing is downloaded at run time). Both are optional
packages (the `images` extra): without them `available()` is False and every picture is
skipped with the note "unavailable". The OCR lines are joined back into sentences
(`join_lines`) before the detector reads them, so a script broken over lines reads as
one sentence. A picture larger than `max_bytes` is skipped with the note "too_large";
one that cannot be decoded gets "unreadable"; when more pictures wait than the pool
may queue, "busy".
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import BaseModel, Field

from bot.domain.fraud import Detector, MessageInput, Risk, Verdict

log = logging.getLogger(__name__)

# the detector reads at most this much OCR text (a long screenshot is many messages)
MAX_TEXT = 4000
# below this the OCR's own confidence makes a line noise, not text
MIN_LINE_SCORE = 0.5
# text is found on a copy whose shorter side is at most DETECT_SIDE pixels and whose area
# is at most DETECT_AREA (a phone screenshot's 40 px letters stay 20 px high, which the
# detector finds easily); the recogniser then reads each line from the full picture
DETECT_SIDE = 544
DETECT_AREA = 544 * 1216
# boxes lower than this (in the full picture) are icons and specks, not readable text
MIN_BOX_HEIGHT = 9
# at most this many lines are read from one picture (the longest chats are cut here)
MAX_BOXES = 60


class Extracted(BaseModel):
    qr: list[str] = Field(default_factory=list)
    text: str = ""


class ImageVerdict(BaseModel):
    """The verdict on a picture: the detector's verdict on what was read from it."""

    verdict: Verdict
    extracted: Extracted = Field(default_factory=Extracted)
    skipped: str | None = None
    """Why the picture was not (fully) checked: too_large, unreadable, unavailable, busy."""
    seconds: float = 0.0

    def at_least(self, risk: Risk | str) -> bool:
        return self.verdict.at_least(risk)


def available() -> bool:
    """Whether the picture packages (zxing-cpp, RapidOCR, OpenCV) are installed."""
    try:
        import cv2  # noqa: F401
        import rapidocr_onnxruntime  # noqa: F401
        import zxingcpp  # noqa: F401
    except ImportError:
        return False
    return True


# ------------------------------------------------------------------ OCR lines -> sentences

_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
_SENTENCE_END = re.compile(r"[。！？!?；;…]$|[.](?<![a-z0-9]\.)$")


def _glue(left: str, right: str) -> str:
    if not left:
        return right
    if left.endswith(("-", "/", ".", "_", "@", ":")) or right.startswith(("-", "/", ".", "_")):
        return left + right  # a link broken at a joint: "taobao-" + "refund.top"
    if _CJK.match(left[-1]) or _CJK.match(right[0]):
        return left + right
    return f"{left} {right}"


def join_lines(items: Sequence[tuple[Sequence[Sequence[float]], str, float]]) -> str:
    """OCR boxes (4 corner points, text, confidence) to text: boxes on one row are joined
    left to right, rows that continue a sentence (close below, no sentence end, similar
    left edge) are joined into it; paragraphs are separated by newlines."""
    boxes = []
    for box, text, score in items:
        text = text.strip()
        if not text or score < MIN_LINE_SCORE:
            continue
        xs = [float(p[0]) for p in box]
        ys = [float(p[1]) for p in box]
        boxes.append((min(ys), max(ys), min(xs), max(xs), text))
    if not boxes:
        return ""
    boxes.sort(key=lambda b: ((b[0] + b[1]) / 2, b[2]))
    groups: list[list[tuple[float, float, float, float, str]]] = []
    for item in boxes:
        top, bottom = item[0], item[1]
        if groups:
            last = groups[-1]
            g_top, g_bottom = min(b[0] for b in last), max(b[1] for b in last)
            if abs((top + bottom) / 2 - (g_top + g_bottom) / 2) < 0.5 * max(
                bottom - top, g_bottom - g_top
            ):
                last.append(item)
                continue
        groups.append([item])
    rows: list[list[Any]] = []  # [top, bottom, left, right, text]
    for group in groups:
        group.sort(key=lambda b: b[2])
        text = group[0][4]
        for before, after in zip(group, group[1:], strict=False):
            gap = after[2] - before[3]
            text = _glue(text, after[4]) if gap < (after[1] - after[0]) else f"{text} {after[4]}"
        rows.append(
            [
                min(b[0] for b in group),
                max(b[1] for b in group),
                group[0][2],
                max(b[3] for b in group),
                text,
            ]
        )
    paragraphs: list[str] = []
    prev: list[Any] | None = None
    for row in rows:
        h = row[1] - row[0]
        if prev is not None:
            gap = row[0] - prev[1]
            same_column = abs(row[2] - prev[2]) < 2.0 * h
            if (
                gap < 0.9 * max(h, prev[1] - prev[0])
                and same_column
                and not _SENTENCE_END.search(paragraphs[-1])
            ):
                paragraphs[-1] = _glue(paragraphs[-1], row[4])
                prev = row
                continue
        paragraphs.append(row[4])
        prev = row
    return "\n".join(paragraphs)


# ------------------------------------------------------------------ the engines


class _Engines:
    """zxing-cpp and RapidOCR, loaded once (the OCR models take a second to load)."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self._ocr: Any = None
        self._lock = threading.Lock()

    def ocr(self) -> Any:
        with self._lock:
            if self._ocr is None:
                from rapidocr_onnxruntime import RapidOCR

                threads = {
                    f"{part}{name}": value
                    for part in ("", "det_", "cls_", "rec_")
                    for name, value in (
                        ("intra_op_num_threads", self.threads),
                        ("inter_op_num_threads", 1),
                    )
                }
                # the picture is scaled down by `read_text` before detection; the detector
                # itself only rounds the size to its multiple of 32
                self._ocr = RapidOCR(**threads, det_limit_side_len=32, det_limit_type="min")
            return self._ocr

    def read_text(self, image: Any) -> str:
        """The text of a picture: lines found on a scaled-down copy, each read from the
        full picture, joined back into sentences."""
        import cv2
        import numpy as np

        engine = self.ocr()
        h, w = image.shape[:2]
        scale = min(1.0, DETECT_SIDE / min(h, w), (DETECT_AREA / (h * w)) ** 0.5)
        small = (
            cv2.resize(
                image,
                (max(32, round(w * scale)), max(32, round(h * scale))),
                interpolation=cv2.INTER_AREA,
            )
            if scale < 1.0
            else image
        )
        found, _ = engine.text_det(small)
        if found is None or len(found) == 0:
            return ""
        fy, fx = h / small.shape[0], w / small.shape[1]
        boxes = []
        for quad in found:
            points = np.asarray(quad, dtype=np.float32) * np.array([fx, fy], dtype=np.float32)
            if float(points[:, 1].max() - points[:, 1].min()) >= MIN_BOX_HEIGHT:
                boxes.append(points)
        if not boxes:
            return ""
        boxes = engine.sorted_boxes(np.array(boxes))[:MAX_BOXES]
        lines, _ = engine.text_rec(engine.get_crop_img_list(image, boxes))
        return join_lines(
            [
                (box.tolist(), str(text), float(score))
                for box, (text, score) in zip(boxes, lines, strict=True)
            ]
        )


def _decode(data: bytes) -> Any:
    import cv2
    import numpy as np

    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("not a picture")
    return image


def _has_detail(gray: Any) -> bool:
    """A quick look at a small copy: a picture without any sharp edges (a photo of the
    sky, a gradient, a flat colour) holds no text to read."""
    import cv2
    import numpy as np

    h, w = gray.shape[:2]
    scale = 480.0 / max(h, w)
    small = (
        cv2.resize(
            gray, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA
        )
        if scale < 1
        else gray
    )
    edges = cv2.Canny(small, 80, 200)
    return bool(np.count_nonzero(edges) > 0.002 * edges.size)


class ImageScanner:
    def __init__(
        self,
        detector: Detector,
        *,
        max_bytes: int = 8 * 1024 * 1024,
        workers: int = 1,
        queue: int = 8,
        threads: int = 1,
    ) -> None:
        self.detector = detector
        self.max_bytes = max_bytes
        self.enabled = available()
        self._engines = _Engines(threads)
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="imagescan")
        self._queue_limit = max(1, workers) + max(0, queue)
        self._waiting = 0

    # ---------------------------------------------------------------- sync (in the pool)

    def extract(self, data: bytes) -> Extracted:
        """QR payloads and OCR text of a picture (raises ValueError if it is no picture)."""
        import cv2
        import zxingcpp

        image = _decode(data)
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        qr = [r.text for r in zxingcpp.read_barcodes(gray) if r.text]
        text = ""
        if _has_detail(gray):
            text = self._engines.read_text(image)
        return Extracted(qr=list(dict.fromkeys(qr)), text=text[:MAX_TEXT])

    def verdict_for(self, extracted: Extracted, caption: MessageInput | None = None) -> Verdict:
        """The detector's verdict on what a picture holds: its text, and each QR payload
        as a link (or as text when it is not one), read together with the caption and its
        links when the picture came with one (a script split between both is one script)."""
        parts = [extracted.text, *extracted.qr]
        text = "\n".join(p for p in parts if p)
        if caption is None:
            return self.detector.scan(MessageInput(text=text))
        joined = "\n".join(p for p in (caption.text, caption.caption, text) if p)
        return self.detector.scan(caption.model_copy(update={"text": joined, "caption": ""}))

    def scan_sync(self, data: bytes, caption: MessageInput | None = None) -> ImageVerdict:
        started = time.perf_counter()
        if len(data) > self.max_bytes:
            return self._skipped("too_large", started, caption)
        if not self.enabled:
            return self._skipped("unavailable", started, caption)
        try:
            extracted = self.extract(data)
        except Exception:  # noqa: BLE001 - a broken or hostile file must not break the bot
            log.info("could not read a picture (%d bytes)", len(data), exc_info=True)
            return self._skipped("unreadable", started, caption)
        verdict = self.verdict_for(extracted, caption)
        return ImageVerdict(
            verdict=verdict, extracted=extracted, seconds=round(time.perf_counter() - started, 3)
        )

    def _skipped(
        self, why: str, started: float, caption: MessageInput | None = None
    ) -> ImageVerdict:
        """A picture not read: the verdict is the caption's alone."""
        verdict = self.detector.scan(caption or MessageInput())
        return ImageVerdict(
            verdict=verdict, skipped=why, seconds=round(time.perf_counter() - started, 3)
        )

    # ---------------------------------------------------------------- async

    async def scan(self, data: bytes, caption: MessageInput | None = None) -> ImageVerdict:
        """`scan_sync` in the worker pool: the event loop never waits for OCR. When more
        pictures wait than the pool queues, this one is skipped ("busy")."""
        if len(data) > self.max_bytes:
            return self._skipped("too_large", time.perf_counter(), caption)
        if self._waiting >= self._queue_limit:
            return self._skipped("busy", time.perf_counter(), caption)
        self._waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._pool, self.scan_sync, data, caption
            )
        finally:
            self._waiting -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
