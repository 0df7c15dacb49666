"""Screenshots of the console's main pages for docs/web/: the real bot with the console on
the fake Bot API, a dozen sample cases over the last days, and headless Chromium.

    .venv/bin/python -m tests.web.screenshots docs/web
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.config import load_settings
from bot.storage import repo
from bot.storage.db import create_engine, session_factory
from bot.storage.models import Case, CaseEvent
from tests.conversation.conftest import TOKEN, Harness, RunningBot, UpdateTracker, free_port
from tests.conversation.test_support_workspace import decision, upload_photo
from tests.fakeapi import FakeTelegramClient, FakeTelegramServer
from tests.fakeapi.forum import ForumGroup
from tests.web.conftest import LINK, SUPPORT, Browser

SAMPLES = (
    # number, cause, route, outcome, status, amount, days ago, order status
    ("RF-20261130-A1B2", "out_of_stock", "platform_review", "full_refund", "in_review", "98.50", 0),
    (
        "RF-20261130-C3D4",
        "invalid_product",
        "human_agent",
        "needs_review",
        "submitted",
        "200.00",
        0,
    ),
    (
        "RF-20261129-E5F6",
        "duplicate_charge",
        "platform_review",
        "full_refund",
        "approved",
        "30.00",
        1,
    ),
    ("RF-20261129-G7H8", "wrong_account", "self_service", "partial_refund", "refunded", "50.00", 1),
    (
        "RF-20261128-J9K1",
        "delivery_timeout",
        "merchant_review",
        "full_refund",
        "with_merchant",
        "120.00",
        2,
    ),
    ("RF-20261128-L2M3", "changed_mind", "negotiation", "no_refund", "closed", "20.00", 2),
    ("RF-20261127-N4P5", "out_of_stock", "platform_review", "full_refund", "refunded", "66.00", 3),
    (
        "RF-20261126-Q6R7",
        "system_fault",
        "human_agent",
        "needs_review",
        "needs_evidence",
        "300.00",
        4,
    ),
    (
        "RF-20261125-S8T9",
        "invalid_product",
        "platform_review",
        "full_refund",
        "rejected",
        "45.00",
        5,
    ),
    ("RF-20261124-U1V2", "merchant_error", "human_agent", "full_refund", "appealed", "88.00", 6),
)


async def seed(settings: Any, photo: tuple[str, str]) -> None:
    engine = create_engine(settings.database_url)
    now = datetime.now(UTC)
    try:
        async with session_factory(engine)() as session:
            for i, (number, cause, route, outcome, status, amount, days) in enumerate(SAMPLES):
                user_id = 1001 + i % 4
                await repo.upsert_user(
                    session,
                    user_id=user_id,
                    first_name=("李雷", "韩梅梅", "王芳", "张伟")[i % 4],
                    username=("lilei", "hanmeimei", None, "zhangwei")[i % 4],
                )
                data = decision(outcome, route)
                data["refund_amount"] = (
                    amount
                    if outcome == "full_refund"
                    else (
                        str((Decimal(amount) * Decimal("0.95")).quantize(Decimal("0.01")))
                        if outcome == "partial_refund"
                        else None
                        if outcome == "needs_review"
                        else "0"
                    )
                )
                case, _ = await repo.create_case(
                    session,
                    number=number,
                    draft_key=f"draft-{number}",
                    user_id=user_id,
                    language="zh",
                    order_number=f"KM2026113000{i:04d}",
                    platform_type=("aggregator", "official")[i % 2],
                    order_status="paid_undelivered",
                    cause=cause,
                    cause_text=None,
                    payment_channel=("alipay", "wechat")[i % 2],
                    amount=Decimal(amount),
                    paid_at=now - timedelta(days=days, hours=3),
                    status=status,
                    decision=data,
                    evidence=[
                        {
                            "file_id": photo[0],
                            "file_unique_id": photo[1],
                            "kind": "payment_record",
                            "mime_type": "image/png",
                            "size": 10,
                            "media": "photo",
                        }
                    ]
                    if i == 0
                    else [],
                    decided=status in ("approved", "rejected", "refunded", "closed"),
                )
                created = now - timedelta(days=days, hours=i)
                await session.exec(
                    sa.update(Case)
                    .where(sa.column("id") == case.id)
                    .values(
                        created_at=created,
                        decided_at=created + timedelta(hours=5 + i)
                        if status in ("approved", "rejected", "refunded", "closed")
                        else None,
                    )
                )
                if i in (4, 7):
                    session.add(
                        CaseEvent(
                            case_id=case.id or 0,
                            actor="timer",
                            kind="breach",
                            payload={},
                            created_at=created + timedelta(hours=30),
                        )
                    )
            await session.commit()
    finally:
        await engine.dispose()


async def topics_open(settings: Any) -> None:
    """Wait until the worker has opened the topics of the cases that need a person."""
    from bot.storage.support_models import SupportTopic

    engine = create_engine(settings.database_url)
    try:
        for _ in range(150):
            async with session_factory(engine)() as session:
                states = (await session.exec(sa.select(SupportTopic.state))).scalars().all()
            if states and all(state == "open" for state in states):
                return
            await asyncio.sleep(0.2)
    finally:
        await engine.dispose()
    raise TimeoutError("the topics were not opened")


def stricter_policy() -> str:
    """The default policy, except that undelivered orders of 100 CNY or more that the
    merchant is to blame for go to a person instead of a full refund."""
    import yaml

    path = Path(__file__).resolve().parents[2] / "knowledge" / "policy.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["version"] = "stricter-1.1"
    rule = next(r for r in data["rules"] if r["id"] == "undelivered-merchant")
    rule["when"]["amount"] = {"lt": 100}
    return str(yaml.safe_dump(data, allow_unicode=True))


async def main(folder: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    server = FakeTelegramServer(token=TOKEN)
    base_url = await server.start()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        os.environ["WEB_PORT"] = str(port)
        async with FakeTelegramClient(base_url) as tg:
            harness = Harness(
                server,
                tg,
                base_url,
                lambda **kw: load_settings(
                    database_url=f"sqlite+aiosqlite:///{tmp}/bot.sqlite3", _env_file=None, **kw
                ),
            )
            operator = tg.user(7001, first_name="小王", language_code="zh")
            lead = tg.user(7002, first_name="老张", language_code="zh")
            group = ForumGroup(tg, SUPPORT, "客服工作台", owner=lead)
            await group.ensure()
            await group.set_bot_admin(True)
            await group.set_member(operator, "administrator")
            await operator.open_chat()
            for uid in range(1001, 1005):
                await tg.user(uid, first_name="买家", language_code="zh").open_chat()
            settings = harness.settings(
                support_chat_id=SUPPORT, operator_ids="7001", lead_ids="7002"
            )
            bot = await RunningBot(settings, tg, UpdateTracker()).start()
            try:
                photo = await upload_photo(harness)
                await seed(settings, photo)
                await topics_open(settings)
                await operator.send_text("/web")
                message = await operator.wait_for_message(15, lambda m: "/login/" in (m.text or ""))
                found = LINK.search(message.text or "")
                assert found
                options = webdriver.ChromeOptions()
                for arg in (
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-dev-shm-usage",
                    "--window-size=1280,900",
                    "--lang=zh-CN",
                    "--hide-scrollbars",
                ):
                    options.add_argument(arg)
                driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
                try:
                    browser = Browser(driver, f"http://127.0.0.1:{port}")
                    await browser.get(found.group(1))
                    await browser.run(driver.save_screenshot, str(folder / "login.png"))
                    await browser.click("#sign-in")
                    await browser.wait_text("#queue-count", "个案件")
                    await browser.run(driver.save_screenshot, str(folder / "queue.png"))
                    await browser.click("tr[data-case='RF-20261130-A1B2'] a.case-link")
                    await browser.wait_text("#case-number", "RF-20261130-A1B2")
                    await browser.type("#reply-text", "您好，我们正在核实您的订单，请稍候。")
                    await browser.click("#reply-send")
                    await browser.wait_text("#notice", "已发送")
                    await browser.script("window.scrollTo(0, 0)")
                    await browser.run(driver.set_window_size, 1280, 1700)
                    await browser.run(driver.save_screenshot, str(folder / "case.png"))
                    await browser.get(
                        "/numbers?from="
                        + (datetime.now(UTC).date() - timedelta(days=13)).isoformat()
                    )
                    await browser.run(driver.save_screenshot, str(folder / "numbers.png"))
                    await browser.run(driver.set_window_size, 1280, 1100)
                    await browser.get("/simulate")
                    await browser.select("#sim-order_status", "paid_undelivered")
                    await browser.select("#sim-cause", "out_of_stock")
                    await browser.select("#sim-platform_type", "aggregator")
                    await browser.select("#sim-payment_channel", "alipay")
                    await browser.type("#sim-amount", "98.5")
                    await browser.type("#sim-hours", "3")
                    await browser.click("#sim-decide")
                    await browser.wait_text("#sim-outcome", "退款")
                    stricter = Path(tmp) / "stricter.yaml"
                    stricter.write_text(stricter_policy(), encoding="utf-8")
                    upload = await browser.find("#policy-file")
                    await browser.run(upload.send_keys, str(stricter))
                    await browser.click("#policy-compare")
                    await browser.wait_text("#replay-summary", "比较了")
                    await browser.run(driver.set_window_size, 1280, 1300)
                    await browser.run(driver.save_screenshot, str(folder / "simulate.png"))
                    await browser.run(driver.set_window_size, 390, 844)
                    await browser.get("/")
                    await browser.wait_text("#queue-count", "个案件")
                    await browser.run(driver.save_screenshot, str(folder / "queue-phone.png"))
                finally:
                    driver.quit()
            finally:
                await bot.stop()
    await server.stop()


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/web")
    target.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(target))
