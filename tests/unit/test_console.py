"""The console chat: the same Dispatcher in a terminal, buttons as numbers, /photo files."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bot.app import create_dispatcher, create_services
from bot.config import Settings
from bot.i18n import Translator
from bot.telegram.console import ConsoleChat, plain

DATA = Path(__file__).resolve().parents[1] / "data"


def button_number(console: ConsoleChat, label: str) -> str:
    """What to type to press the console chat's button `label`."""
    for index, (_message, text, _data) in enumerate(console.session.buttons, start=1):
        if text == label:
            return str(index)
    raise AssertionError(f"{label!r} not among {[b[1] for b in console.session.buttons]}")


async def test_the_whole_wizard_in_the_console(make_settings: Callable[..., Settings]) -> None:
    services = await create_services(make_settings())
    output: list[str] = []
    console = ConsoleChat(create_dispatcher(services), write=output.append)
    t = Translator("zh")

    def number_of(label: str) -> str:
        return button_number(console, label)

    try:
        await console.handle_line("/start")
        await console.handle_line(number_of(t("menu.refund")))
        await console.handle_line("KM20261121000123")
        await console.handle_line(number_of(t("platform.official")))
        await console.handle_line(number_of(t("status.paid_undelivered")))
        await console.handle_line(number_of(t("cause_group.merchant")))
        await console.handle_line(number_of(t("cause.out_of_stock")))
        await console.handle_line(number_of(t("channel.balance")))
        await console.handle_line("¥25")
        await console.handle_line("3小时前")
        await console.handle_line(f"/photo {DATA / 'evidence.png'}")
        await console.handle_line(number_of(t("evidence.payment_record")))
        await console.handle_line("/sticker")
        await console.handle_line(number_of(t("btn.evidence_done")))
        await console.handle_line(number_of(t("btn.confirm")))
        assert not await console.handle_line("/quit")
    finally:
        await console.close()
        await services.close()
    text = "\n".join(output)
    assert plain(t("decision.title")) in text
    assert "[1] " in text  # buttons are numbered
    assert plain(t("evidence.received", n=1, max_files=10)) in text
    assert plain(t("hint.evidence")) in text
    assert "RF-" in text
    cases = await (await create_services(make_settings())).refunds.list_cases(user_id=1)
    assert len(cases) == 1 and cases[0].cause == "out_of_stock"


def test_no_token_opens_the_console(tmp_path: Path) -> None:
    """`refund-bot` with no BOT_TOKEN: the console chat on the embedded defaults."""
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        input="/start\n1\nKM20261121000123\n/quit\n",
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "refund-bot console" in result.stdout
    assert plain(Translator("zh")("wizard.platform_type")) in result.stdout
    assert (tmp_path / "data" / "refund-bot.sqlite3").exists()  # created on first run
