"""The support web console in a real browser (headless Chromium, Selenium), served by the
bot's own process on the fake Bot API: sign in with the /web link, the queue and its
filters, a case page, a reply that reaches the buyer, a status change the buyer is told
about, and the refusals (a used or expired link, a form without its CSRF token, a plain
member)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot.i18n import Translator
from bot.storage.models import Case
from bot.storage.support_models import SupportAudit, SupportTopic
from bot.telegram.console import plain
from bot.web.models import WebLogin
from tests.conversation.test_support_workspace import rows, seed_case, upload_photo
from tests.web.conftest import Browser, Console

ZH = Translator("zh")


def zh(key: str, **values: Any) -> str:
    return plain(ZH(key, **values))


async def sign_in(console: Console, chromium: Any, user: Any = None) -> Browser:
    browser = Browser(chromium, console.base)
    link = await console.link_for(user or console.operator)
    await browser.get(link)
    await browser.shot("login")
    await browser.click("#sign-in")
    await browser.find("#queue-count")  # the queue, once the sign-in has gone through
    return browser


async def wait_topic(console: Console, case_id: int, wait: float = 15.0) -> SupportTopic:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        topics = [t for t in await rows(console.settings, SupportTopic) if t.case_id == case_id]
        if topics and topics[0].thread_id is not None and topics[0].state == "open":
            return topics[0]
        assert loop.time() < deadline, "the case's topic was not opened"
        await asyncio.sleep(0.2)


async def test_an_operator_signs_in_filters_the_queue_opens_a_case_replies_and_approves(
    console: Console, chromium: Any
) -> None:
    photo = await upload_photo(console.harness)
    first = await seed_case(
        console.settings,
        user_id=1001,
        number="RF-20261130-W0A1",
        photo=photo,
        order="KM20261130000777",
    )
    await seed_case(
        console.settings,
        user_id=1001,
        number="RF-20261130-W0B2",
        order="KM20261130000888",
        route="self_service",
        status="submitted",
    )
    await wait_topic(console, first)

    browser = await sign_in(console, chromium)
    assert await browser.path() == "/"
    body = await browser.text("#queue")
    assert "RF-20261130-W0A1" in body and "RF-20261130-W0B2" in body
    await browser.shot("queue")

    # filter: platform review only -> the self-service case disappears
    await browser.select("#f-route", "platform_review")
    await browser.click("#apply")
    body = await browser.wait_text("#queue", zh("web.queue.count", count=1))
    assert "RF-20261130-W0A1" in body and "RF-20261130-W0B2" not in body
    assert "route=platform_review" in await browser.path()
    # search by order number
    await browser.get("/?status=all&q=KM20261130000888")
    body = await browser.wait_text("#queue", zh("web.queue.count", count=1))
    assert "RF-20261130-W0B2" in body and "RF-20261130-W0A1" not in body

    # the case page: facts, decision, rule, the evidence picture through the bot
    await browser.get("/")
    await browser.click("tr[data-case='RF-20261130-W0A1'] a.case-link")
    await browser.wait_text("#case-number", "RF-20261130-W0A1")
    assert await browser.path() == f"/case/{first}"
    page = await browser.text()
    for needle in ("KM20261130000777", "98.50", "undelivered-merchant", "undelivered"):
        assert needle in page, needle
    loaded = await browser.script(
        "const img = document.querySelector('img.evidence');"
        "return img && img.complete ? img.naturalWidth : 0;"
    )
    if not loaded:
        await asyncio.sleep(1)
        loaded = await browser.script("return document.querySelector('img.evidence').naturalWidth;")
    assert loaded > 0  # a real picture came back through the console's route
    src = await browser.script("return document.querySelector('img.evidence').src;")
    assert "/evidence/" in src and "TEST-TOKEN" not in src
    await browser.shot("case")

    # reply: the buyer gets it, signed as the support team, and it is on the page
    buyer = console.harness.tg.user(1001)
    await browser.type("#reply-text", "您好，我们正在核实您的订单，请稍候。")
    await browser.click("#reply-send")
    message = await buyer.wait_for_message(
        15, lambda m: bool(m.text and "我们正在核实您的订单" in m.text)
    )
    assert zh("support_notify.sign_team").strip() in (message.text or "")
    await browser.wait_text("#notice", zh("web.done.reply"))
    await browser.wait_text("#conversation", "我们正在核实您的订单")
    # the team sees the reply in the case's topic too
    await console.group.wait_for_message(
        10, lambda m: bool(m.text and "我们正在核实您的订单" in m.text)
    )

    # take, then approve: the buyer is told, through the outbox
    await browser.click("#act-take")
    await browser.wait_text("#notice", zh("web.done.take"))
    await browser.wait_text("#assignee", "小王")
    await browser.click("#act-approve")
    await browser.wait_text("#notice", zh("web.done.approve"))
    notice = await buyer.wait_for_message(
        15,
        lambda m: bool(
            m.text and "RF-20261130-W0A1" in m.text and zh("case_status.approved") in m.text
        ),
    )
    assert notice is not None
    await browser.wait_text("#case-status", zh("case_status.approved"))

    # every action is in the support audit trail, by the operator
    audit = await rows(console.settings, SupportAudit)
    done = {(a.action, a.allowed) for a in audit if a.actor_id == 7001}
    assert {("web_link", True), ("web_login", True), ("relay", True), ("take", True)} <= done
    assert ("approve", True) in done
    cases = {c.number: c for c in await rows(console.settings, Case)}
    assert cases["RF-20261130-W0A1"].status == "approved"


async def test_a_used_link_and_an_expired_link_are_refused(console: Console, chromium: Any) -> None:
    browser = await sign_in(console, chromium)
    assert await browser.path() == "/"
    link = await console.link_for(console.operator)
    await browser.get(link)
    await browser.click("#sign-in")
    await browser.wait_text("#queue-count", zh("web.queue.count", count=0))  # signed in
    await browser.get(link)  # the same link again
    await browser.click("#sign-in")
    await browser.wait_text("#error-message", zh("web.error.link_invalid"))

    expiring = await console.link_for(console.operator)
    engine, sessions = await console.sessions()
    try:
        async with sessions() as session:
            await session.exec(
                sa.update(WebLogin)
                .where(sa.column("used_at").is_(None))
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
            await session.commit()
    finally:
        await engine.dispose()
    await browser.get(expiring)
    await browser.click("#sign-in")
    await browser.wait_text("#error-message", zh("web.error.link_invalid"))
    await browser.shot("refused")


async def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    console: Console, chromium: Any
) -> None:
    case_id = await seed_case(console.settings, user_id=1001, number="RF-20261130-W0C3")
    await wait_topic(console, case_id)
    browser = await sign_in(console, chromium)
    await browser.get(f"/case/{case_id}")
    await browser.script("document.querySelector('#act-form input[name=csrf]').remove();")
    await browser.click("#act-take")
    await browser.wait_text("#error-message", zh("web.error.csrf"))
    # a forged token is refused the same way
    await browser.get(f"/case/{case_id}")
    await browser.script("document.querySelector('#reply-form input[name=csrf]').value = 'forged';")
    await browser.type("#reply-text", "不应该发出去")
    await browser.click("#reply-send")
    await browser.wait_text("#error-message", zh("web.error.csrf"))
    await console.harness.tg.wait_idle(quiet=0.3, timeout=10)
    buyer = console.harness.tg.user(1001)
    assert not any("不应该发出去" in (m.text or "") for m in buyer.messages())
    topics = [t for t in await rows(console.settings, SupportTopic) if t.case_id == case_id]
    assert topics[0].assignee_id is None  # nothing was taken
    audit = await rows(console.settings, SupportAudit)
    assert sum(1 for a in audit if a.action == "web_csrf" and not a.allowed) == 2


async def test_a_plain_member_gets_no_link_and_cannot_use_one(
    console: Console, chromium: Any
) -> None:
    await console.member.send_text("/web")
    answer = await console.member.wait_for_message(15)
    assert zh("web.link.not_operator") in (answer.text or "")
    assert "/login/" not in (answer.text or "")

    # a link made for them anyway (an operator who was removed since) opens nothing
    from bot.web.auth import Logins

    engine, sessions = await console.sessions()
    try:
        logins = Logins(
            sessions,
            clock=lambda: datetime.now(UTC),
            link_ttl=timedelta(minutes=5),
            session_ttl=timedelta(hours=1),
        )
        token = await logins.create_link(user_id=7003, first_name="路人", lang="zh")
    finally:
        await engine.dispose()
    browser = Browser(chromium, console.base)
    await browser.get(f"/login/{token}")
    await browser.click("#sign-in")
    await browser.wait_text("#error-message", zh("web.error.not_operator"))
    await browser.get("/")
    assert await browser.path() == "/login"  # no session was opened
    audit = await rows(console.settings, SupportAudit)
    refused = {(a.action, a.reason) for a in audit if a.actor_id == 7003 and not a.allowed}
    assert {("web_link", "not_operator"), ("web_login", "not_operator")} <= refused


async def test_the_numbers_and_the_policy_simulator_pages(console: Console, chromium: Any) -> None:
    await seed_case(console.settings, user_id=1001, number="RF-20261130-W0D4")
    browser = await sign_in(console, chromium)
    await browser.get("/numbers")
    assert await browser.text("#n-cases") == "1"
    assert len(await browser.find_all("svg.chart")) == 3
    await browser.shot("numbers")
    await browser.get("/simulate")
    await browser.select("#sim-order_status", "paid_undelivered")
    await browser.select("#sim-cause", "out_of_stock")
    await browser.select("#sim-platform_type", "aggregator")
    await browser.select("#sim-payment_channel", "alipay")
    await browser.type("#sim-amount", "50")
    await browser.type("#sim-hours", "3")
    await browser.click("#sim-decide")
    await browser.wait_text("#sim-outcome", zh("web.outcome.full_refund"))
    await browser.wait_text("#sim-refund", "50")
    await browser.shot("simulate")
