"""/privacy, /delete_my_data (with its confirmation button) and the retention purge, over
the real bot; and start-up errors told in one line."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.services.inbox import InboxService
from bot.services.privacy import PrivacyService
from bot.storage.db import create_engine
from tests.conversation.conftest import PNG, TOKEN, Harness
from tests.conversation.test_refund_wizard import fill_in


async def rows(url: str, sql: str) -> list[tuple]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return [tuple(r) for r in (await connection.execute(sa.text(sql))).all()]
    finally:
        await engine.dispose()


async def file_a_case(harness: Harness, user_id: int, cause_text: str | None = None) -> None:
    buyer = harness.buyer(user_id, "en")
    await fill_in(buyer, order="KM20261121000555")
    await buyer.user.send_photo(PNG.read_bytes())
    ack = buyer.expect(await buyer.settle(), "evidence.received", n=1, max_files=10)
    await buyer.press(ack, buyer.t("evidence.order_screenshot"))
    await buyer.choose("btn.evidence_done")
    buyer.expect(await buyer.choose("btn.confirm"), "submitted.next")


async def test_privacy_and_delete_my_data(harness: Harness) -> None:
    settings = harness.settings()
    await harness.start_bot(settings)
    buyer = harness.buyer(7001, "en")
    buyer.expect(await buyer.say("/privacy"), "privacy.info", days=180)
    await file_a_case(harness, 7001)
    url = settings.database_url
    assert await rows(url, "SELECT user_id FROM cases") == [(7001,)]
    assert await rows(url, "SELECT count(*) FROM evidence") == [(1,)]

    confirm = buyer.expect(await buyer.say("/delete_my_data"), "privacy.delete_confirm")
    buyer.expect(
        await buyer.press(confirm, buyer.t("privacy.delete_no")), "privacy.delete_cancelled"
    )
    assert await rows(url, "SELECT count(*) FROM users WHERE id = 7001") == [
        (1,)
    ]  # nothing deleted

    confirm = buyer.expect(await buyer.say("/delete_my_data"), "privacy.delete_confirm")
    buyer.expect(
        await buyer.press(confirm, buyer.t("privacy.delete_yes")),
        "privacy.deleted",
        cases=1,
        files=1,
    )
    assert await rows(url, "SELECT count(*) FROM users WHERE id = 7001") == [(0,)]
    assert await rows(url, "SELECT user_id, order_number, cause_text FROM cases") == [
        (0, "KM20261121000555", None)
    ]
    assert await rows(url, "SELECT count(*) FROM evidence") == [(0,)]
    assert await rows(url, "SELECT count(*) FROM case_events WHERE actor = 'buyer:7001'") == [(0,)]
    assert await rows(url, "SELECT count(*) FROM fsm_state WHERE key LIKE '%:7001:%'") == [(0,)]
    assert await rows(
        url, "SELECT count(*) FROM inbox_updates WHERE user_id = 7001 OR chat_id = 7001"
    ) == [(0,)], await rows(
        url, "SELECT update_id, user_id, chat_id, status, payload IS NULL FROM inbox_updates"
    )
    # handled updates keep no content (a JSON null)
    assert await rows(
        url,
        "SELECT count(*) FROM inbox_updates WHERE status = 'done' AND payload IS NOT NULL AND payload <> 'null'",
    ) == [(0,)]
    # the buyer can go on using the bot afterwards
    buyer.expect(await buyer.say("/start"), "start.welcome")


async def test_retention_removes_personal_data_of_closed_cases(harness: Harness) -> None:
    settings = harness.settings()
    await harness.start_bot(settings)
    await file_a_case(harness, 7002)
    url = settings.database_url
    engine = create_engine(url)
    try:
        privacy = PrivacyService(engine, InboxService(engine))
        assert await privacy.purge_closed(older_than=timedelta(days=0)) == 0  # still open
        async with engine.begin() as connection:
            await connection.execute(
                sa.text("UPDATE cases SET status = 'refunded', cause_text = 'call 13812345678'")
            )
        assert await privacy.purge_closed(older_than=timedelta(days=1)) == 0  # closed just now
        assert await privacy.purge_closed(older_than=timedelta(seconds=-1)) == 1
        assert await privacy.purge_closed(older_than=timedelta(seconds=-1)) == 0  # done once
    finally:
        await engine.dispose()
    assert await rows(url, "SELECT user_id, cause_text FROM cases") == [(7002, None)]
    assert await rows(url, "SELECT count(*) FROM evidence") == [(0,)]


ROOT = Path(__file__).resolve().parents[2]  # the code under test, even in a copy of the tree


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**base, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    return lines[0]


async def test_startup_errors_are_one_line(harness: Harness, tmp_path: Path) -> None:
    secret = TOKEN.split(":", 1)[1]
    line = one_line(await asyncio.to_thread(run_cli, tmp_path, "run", BOT_TOKEN="abc"))
    assert "invalid setting BOT_TOKEN: not a bot token" in line
    wrong = "123456:WRONG-TOKEN-VALUE"
    line = one_line(
        await asyncio.to_thread(
            run_cli, tmp_path, "run", BOT_TOKEN=wrong, TELEGRAM_API_URL=harness.base_url
        )
    )
    assert "BOT_TOKEN" in line and "Unauthorized" in line and "WRONG-TOKEN" not in line
    line = one_line(
        await asyncio.to_thread(
            run_cli, tmp_path, "run", BOT_TOKEN=TOKEN, TELEGRAM_API_URL="http://127.0.0.1:9"
        )
    )
    assert "TELEGRAM_API_URL" in line and secret not in line
    line = one_line(
        await asyncio.to_thread(
            run_cli, tmp_path, "run", BOT_TOKEN=TOKEN, TELEGRAM_API_URL=f"{harness.base_url}/_test"
        )
    )
    assert "TELEGRAM_API_URL" in line and secret not in line
    empty = tmp_path / "empty"
    empty.mkdir()
    line = one_line(
        await asyncio.to_thread(
            run_cli,
            tmp_path,
            "run",
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=harness.base_url,
            KNOWLEDGE_DIR=str(empty),
        )
    )
    assert "KNOWLEDGE_DIR" in line
    assert "WEBHOOK_SECRET" in one_line(
        await asyncio.to_thread(
            run_cli,
            tmp_path,
            "run",
            BOT_TOKEN=TOKEN,
            WEBHOOK_URL="https://x.example/webhook",
            WEBHOOK_SECRET="short",
        )
    )


def test_command_line_errors_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    binary = subprocess.run(
        [sys.executable, "-m", "bot", "ask"],
        input=b"\xff\xfe\x00 not utf-8\n",
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        capture_output=True,
        timeout=300,
    )
    assert (
        binary.returncode == 2
        and binary.stderr.decode().count("\n") == 1
        and b"UTF-8" in binary.stderr
    )
    deep = subprocess.run(
        [sys.executable, "-m", "bot", "scan", "--jsonl"],
        input=b"[" * 200_000 + b"\n",
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)},
        cwd=tmp_path,
        capture_output=True,
        timeout=300,
    )
    assert (
        deep.returncode == 2 and deep.stderr.decode().count("\n") == 1 and b"nested" in deep.stderr
    )
    assert "unrecognized arguments" in one_line(run_cli(tmp_path, "ask", "--mode-x", "hi"))
    assert "invalid choice" in one_line(run_cli(tmp_path, "policy", "frobnicate"))
    assert "no texts" in one_line(
        run_cli(tmp_path, "ask", "--knowledge-dir", str(tmp_path / "empty"), "hi")
    )
    assert "unknown command" in run_cli(tmp_path, "frobnicate").stderr
    listed = run_cli(tmp_path, "inbox")
    assert listed.returncode == 0 and "0 parked updates" in listed.stderr
