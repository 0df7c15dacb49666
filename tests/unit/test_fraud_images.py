"""Pictures: QR codes and OCR text scanned like a message; OCR lines joined into
sentences; size limit, broken files, `refund-bot scan --image`."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from bot.commands import scan as scan_cmd
from bot.domain.fraud import Risk
from bot.imagescan import ImageScanner, available, join_lines
from bot.services.scam import build_detector
from tests.support import pictures

# under CI=true the picture tests must run: a missing images extra fails them instead
needs_images = pytest.mark.skipif(
    not available() and os.environ.get("CI", "").lower() != "true",
    reason="the images extra is not installed",
)
SCRIPT_ZH = [
    "您好，我是淘宝客服，您购买的商品有质量问题，我们将为您办理双倍赔偿，麻烦把收到的验证码告诉我一下",
    "好的",
]


def box(x: float, y: float, w: float, h: float = 40) -> list[list[float]]:
    return [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]


def test_ocr_lines_are_joined_back_into_sentences() -> None:
    items = [
        (box(60, 300, 900), "您好，我是淘宝客服，您购买的商品", 0.99),
        (box(60, 350, 900), "有质量问题，麻烦把收到的验证码告", 0.98),
        (box(60, 400, 300), "诉我一下。", 0.97),
        (box(260, 560, 200), "好的", 0.99),  # another bubble, further down
        (box(60, 700, 700), "Please confirm receipt first and I", 0.95),
        (box(60, 750, 500), "will refund you on WeChat", 0.95),
        (box(60, 900, 400), "taobao-", 0.9),
        (box(60, 950, 400), "refund.top", 0.9),
        (box(600, 1200, 100), "噪", 0.2),  # below the confidence floor
    ]
    assert join_lines(items).split("\n") == [
        "您好，我是淘宝客服，您购买的商品有质量问题，麻烦把收到的验证码告诉我一下。",
        "好的",
        "Please confirm receipt first and I will refund you on WeChat",
        "taobao-refund.top",
    ]


def test_boxes_on_one_row_are_read_left_to_right() -> None:
    items = [(box(500, 100, 200), "refund.top", 0.9), (box(60, 102, 300), "open", 0.9)]
    assert join_lines(items) == "open refund.top"
    assert join_lines([]) == ""


@pytest.fixture(scope="module")
def scanner() -> ImageScanner:
    return ImageScanner(build_detector(), max_bytes=4 * 1024 * 1024)


def test_too_large_and_unreadable_pictures_are_skipped(scanner: ImageScanner) -> None:
    big = scanner.scan_sync(b"\0" * (scanner.max_bytes + 1))
    assert big.skipped == "too_large" and big.verdict.risk is Risk.NONE
    if available():
        broken = scanner.scan_sync(b"\x89PNG\r\n\x1a\n not really")
        assert broken.skipped == "unreadable"


@needs_images
def test_a_scam_qr_code_is_scanned_like_a_link(scanner: ImageScanner) -> None:
    result = scanner.scan_sync(
        pictures.png(pictures.qr_code("https://alipay-tuikuan.top/r", scale=6))
    )
    assert result.extracted.qr == ["https://alipay-tuikuan.top/r"]
    assert result.verdict.risk is Risk.HIGH
    assert any(f.url == "https://alipay-tuikuan.top/r" for f in result.verdict.findings)
    safe = scanner.scan_sync(pictures.png(pictures.qr_code("https://www.alipay.com/", scale=6)))
    assert safe.extracted.qr == ["https://www.alipay.com/"] and safe.verdict.risk is Risk.NONE


@needs_images
def test_a_screenshot_of_a_scam_script_is_read_and_flagged(scanner: ImageScanner) -> None:
    if pictures.cjk_font_path() is None and os.environ.get("CI", "").lower() != "true":
        pytest.skip("no CJK font to draw the screenshot (apt-get install fonts-noto-cjk)")
    result = scanner.scan_sync(pictures.jpeg(pictures.chat_screenshot(SCRIPT_ZH)))
    assert "验证码告诉我" in result.extracted.text  # the wrapped lines joined again
    assert result.verdict.risk is Risk.HIGH
    assert "text.scam_script" in result.verdict.checks


@needs_images
def test_a_photo_without_text_is_clean_and_skips_ocr(scanner: ImageScanner) -> None:
    result = scanner.scan_sync(pictures.jpeg(pictures.photo_without_text(size=(540, 1200))))
    assert result.skipped is None and result.extracted.text == "" and result.extracted.qr == []
    assert result.verdict.risk is Risk.NONE


@needs_images
async def test_scanning_runs_off_the_event_loop(scanner: ImageScanner) -> None:
    data = pictures.png(pictures.qr_code("https://alipay-tuikuan.top/r", scale=6))
    ticks = 0

    async def ticker() -> None:
        # one count per turn of the loop, not per 10 ms: a small QR code is read in less
        # than that, and a timed tick made the test fail on a fast or a busy machine. The
        # pool hands its result back through the loop, so the ticker turns at least once
        # before the scan returns; a scan on the loop itself returns before it ever starts
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1

    task = asyncio.create_task(ticker())
    result = await scanner.scan(data)
    task.cancel()
    assert result.verdict.risk is Risk.HIGH
    assert ticks > 0  # the loop kept running while the picture was read


@needs_images
def test_cli_prints_one_line_per_picture_and_exits_2_on_a_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    qr = tmp_path / "qr.png"
    qr.write_bytes(pictures.png(pictures.qr_code("https://alipay-tuikuan.top/r", scale=6)))
    bad = tmp_path / "notes.png"
    bad.write_bytes(b"hello, not a picture")
    status = scan_cmd.main(
        ["--image", str(qr), str(bad), str(tmp_path / "missing.jpg"), "--lang", "en"]
    )
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == 2
    assert len(lines) == 3
    first = lines[0]
    assert first["file"] == str(qr) and first["risk"] == "high"
    assert first["extracted"]["qr"] == ["https://alipay-tuikuan.top/r"]
    assert {"risk", "findings", "advice", "extracted"} <= set(first) and set(first["advice"]) == {
        "en"
    }
    assert "error" in lines[1] and "error" in lines[2]
    assert scan_cmd.main(["--image", str(qr)]) == 0


@needs_images
def test_text_is_found_on_a_scaled_down_copy_and_read_from_the_full_picture(
    scanner: ImageScanner,
) -> None:
    """Detection, the costly half of OCR, runs on a copy whose shorter side is at most
    DETECT_SIDE pixels; each line is then read from the full picture, so a phone
    screenshot's smaller print (32 px) still reads word for word."""
    from bot.imagescan import DETECT_SIDE

    engines = scanner._engines
    engine = engines.ocr()
    seen: list[tuple[int, int]] = []
    real = engine.text_det

    def spy(image: object) -> object:
        seen.append(image.shape[:2])  # type: ignore[attr-defined]
        return real(image)

    engine.text_det = spy
    try:
        data = pictures.png(
            pictures.chat_screenshot(
                ["请下载腾讯会议，加入会议后打开共享屏幕", "Please confirm receipt first"],
                font_size=32,
            )
        )
        result = scanner.scan_sync(data)
    finally:
        del engine.text_det
    assert seen and min(seen[0]) <= DETECT_SIDE
    assert "请下载腾讯会议，加入会议后打开共享屏幕" in result.extracted.text
    assert "Please confirm receipt first" in result.extracted.text
    assert result.verdict.risk is not Risk.NONE


def test_specks_and_icons_are_not_read_as_text() -> None:
    """Boxes lower than MIN_BOX_HEIGHT are dropped before recognition: they cost a
    recogniser run each and read as noise."""
    import numpy as np

    from bot.imagescan import MIN_BOX_HEIGHT, _Engines

    read: list[int] = []

    class FakeEngine:
        def text_det(self, image: object) -> tuple[object, float]:
            tall = np.array([[10, 10], [300, 10], [300, 50], [10, 50]], dtype=np.float32)
            speck = np.array([[400, 10], [420, 10], [420, 14], [400, 14]], dtype=np.float32)
            return np.array([tall, speck]), 0.0

        @staticmethod
        def sorted_boxes(boxes: object) -> list[object]:
            return list(boxes)  # type: ignore[call-overload]

        def get_crop_img_list(self, image: object, boxes: list[object]) -> list[object]:
            read.append(len(boxes))
            return boxes

        def text_rec(self, crops: list[object]) -> tuple[list[tuple[str, float]], float]:
            return [("退款请加我微信", 0.99)] * len(crops), 0.0

    engines = _Engines(1)
    engines._ocr = FakeEngine()
    text = engines.read_text(np.zeros((300, 540, 3), dtype=np.uint8))
    assert read == [1] and text == "退款请加我微信"
    assert MIN_BOX_HEIGHT > 4
