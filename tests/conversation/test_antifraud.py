"""Refund scams caught in private chats and in groups, explained, reportable."""

from __future__ import annotations

import asyncio
import logging
import os

import pytest

from bot.app import load_policy_setting
from bot.config import Settings
from bot.i18n import Translator
from bot.imagescan import available
from bot.services.scam import EVIDENCE_SCAM
from bot.services.support import SupportService
from bot.storage.db import create_engine, session_factory
from bot.telegram.handlers.support.cards import card_text
from tests.conversation.conftest import Buyer, Harness
from tests.conversation.test_cases_and_questions import open_latest_case
from tests.conversation.test_refund_wizard import PNG, fill_in, start_wizard, stored_cases
from tests.fakeapi import BotMessage
from tests.fakeapi.forum import ForumGroup
from tests.support import pictures

SCAM_ZH = "【支付宝客服】您的订单有质量问题，可双倍赔偿，请点击 http://alipay-tuikuan.top/r 并告诉我验证码"
# under CI=true the picture tests must run: a missing images extra fails them instead
needs_images = pytest.mark.skipif(
    not available() and os.environ.get("CI", "").lower() != "true",
    reason="the images extra is not installed",
)
SCAM_EN = "This is Taobao support. Your refund is ready, open https://taobao-refund.xyz/claim and send us the SMS code"


async def test_a_scam_message_in_a_private_chat_is_caught_and_explained(harness: Harness) -> None:
    support = ForumGroup(harness.tg, -100888, "Support")
    await support.ensure()
    await harness.tg.set_bot_admin(-100888, True)
    await harness.start_bot(support_chat_id=-100888)
    buyer = harness.buyer(6001, "zh")
    await buyer.say("/start")
    messages = await buyer.say(SCAM_ZH)
    warning = buyer.expect(messages, "fraud.title.high")
    assert "alipay-tuikuan.top" in warning.text
    assert warning.button_texts() == [buyer.t("btn.report"), buyer.t("btn.dismiss")]
    assert len(messages) == 1  # not also answered as a question

    await buyer.press(warning, buyer.t("btn.report"))
    answer = await buyer.user.last_callback_answer()
    assert answer is not None and answer.text == buyer.t("fraud.reported")
    card = await support.wait_for_message(timeout=5)
    assert "#buyer6001" in (card.text or "")
    forwarded = await support.wait_for_message(timeout=5)
    assert "alipay-tuikuan.top" in (forwarded.text or "")


async def test_forwarded_messages_text_links_and_buttons_are_checked(harness: Harness) -> None:
    await harness.start_bot()
    buyer = harness.buyer(6002, "en")
    await buyer.say("/start")
    # a forwarded "support" message whose button hides the link
    await buyer.user.forward_text(
        "Dear customer, your order was refunded twice by mistake. Tap below to return it.",
        from_name="Taobao Service",
        reply_markup={
            "inline_keyboard": [[{"text": "Refund", "url": "http://tb-kefu.top/refund"}]]
        },
    )
    warning = buyer.expect(await buyer.settle(), "fraud.title.high")
    await buyer.press(warning, buyer.t("btn.dismiss"))
    assert (await buyer.user.last_callback_answer()).text == buyer.t("fraud.dismissed")  # type: ignore[union-attr]

    # a link whose visible text shows one site and leads to another
    text = "Official refund page: www.alipay.com"
    offset = text.index("www")
    await buyer.user.send_text(
        text,
        entities=[
            {
                "type": "text_link",
                "offset": offset,
                "length": len(text) - offset,
                "url": "http://alipay.com.refund-center.cc/login",
            }
        ],
    )
    messages = await buyer.settle()
    titles = (buyer.needle("fraud.title.high"), buyer.needle("fraud.title.medium"))
    assert any(m.text and m.text.startswith(titles) for m in messages), [m.text for m in messages]


async def test_check_on_request(harness: Harness) -> None:
    await harness.start_bot()
    buyer = harness.buyer(6003, "zh")
    await buyer.say("/start")
    messages = await buyer.choose("menu.check")
    buyer.expect(messages, "fraud.check_prompt")
    messages = await buyer.say("https://www.alipay.com/")
    buyer.expect(messages, "fraud.clean")
    messages = await buyer.say(f"/check {SCAM_ZH}")
    buyer.expect(messages, "fraud.title.high")
    messages = await buyer.say("/check")
    buyer.expect(messages, "fraud.check_prompt")
    messages = await buyer.say("客服让我共享屏幕，说要帮我解冻账户，还要交保证金")
    buyer.expect(messages, "fraud.title.high")


async def test_a_scam_in_the_middle_of_the_wizard_keeps_its_place(harness: Harness) -> None:
    await harness.start_bot()
    buyer = harness.buyer(6004, "zh")
    await start_wizard(buyer)
    messages = await buyer.say(SCAM_ZH)
    buyer.expect(messages, "fraud.title.high")
    messages = await buyer.say("KM20261121000123")  # the wizard goes on where it was
    buyer.expect(messages, "wizard.platform_type")


async def test_group_guard_warns_and_deletes_when_enabled(harness: Harness) -> None:
    await harness.start_bot()
    group = harness.tg.group(-100999, title="买家交流群")
    await group.ensure()
    await harness.tg.set_bot_admin(-100999, True)
    admin = harness.tg.user(7001, first_name="群主", language_code="zh")
    await group.set_member(admin, "creator")
    scammer = harness.tg.user(7002, first_name="淘宝客服", language_code="zh")
    member = harness.tg.user(7003, first_name="小明", language_code="zh")

    await group.send_text(member, "请问话费充值一般多久到账？")
    await group.send_text(scammer, SCAM_ZH)
    warning = await group.wait_for_message(timeout=5)
    assert "🚨" in (warning.text or "")
    assert warning.raw.get("reply_to_message") is not None
    assert [
        m for m in group.messages() if m.text and "话费" in m.text
    ] == []  # no reply to the innocent question

    await group.send_text(member, "/scamdelete on")
    refused = await group.wait_for_message(timeout=5)
    assert "管理员" in (refused.text or "")
    await group.send_text(admin, "/scamdelete on")
    await group.wait_for_message(timeout=5)
    await group.send_text(scammer, SCAM_EN)
    notice = await group.wait_for_message(timeout=5)
    assert "🗑" in (notice.text or "")
    deletes = [
        r for r in harness.tg.requests("deleteMessage") if r.params.get("chat_id") == -100999
    ]
    assert len(deletes) == 1


async def test_group_dry_run_only_logs(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    await harness.start_bot(fraud_dry_run=True)
    group = harness.tg.group(-100555, title="Buyers")
    await group.ensure()
    await harness.tg.set_bot_admin(-100555, True)
    scammer = harness.tg.user(7102, first_name="Support", language_code="en")
    member = harness.tg.user(7103, first_name="Ann", language_code="en")
    with caplog.at_level(logging.INFO, logger="bot.telegram.handlers.groups"):
        await group.send_text(member, "How long does a phone top-up usually take?")
        await group.send_text(scammer, SCAM_EN)
        await group.expect_no_message(quiet=0.5)
    assert not [r for r in harness.tg.requests("deleteMessage")]
    # the guard did look at the scam (and only at the scam): it logged what it would do
    dry = [
        r.getMessage() for r in caplog.records if r.getMessage().startswith("dry run: would warn")
    ]
    assert len(dry) == 1, dry
    assert "text.scam_script" in dry[0] or "url." in dry[0]


# ------------------------------------------------------------------------------ pictures

QR_SCAM = "https://alipay-tuikuan.top/r"


def qr_png(payload: str) -> bytes:
    return pictures.png(pictures.qr_code(payload, scale=6))


@needs_images
async def test_a_scam_qr_code_in_a_private_chat_is_warned_about(harness: Harness) -> None:
    await harness.start_bot()
    buyer = harness.buyer(6101, "zh")
    await buyer.say("/start")
    await buyer.user.send_photo(qr_png(QR_SCAM))
    title = buyer.needle("fraud.title.high")
    warning = await buyer.user.wait_for_message(
        timeout=90, predicate=lambda m: (m.text or "").startswith(title)
    )
    assert warning.text is not None
    assert buyer.text("fraud_advice.in_picture") in warning.text
    assert "alipay-tuikuan.top" in warning.text
    assert warning.raw.get("reply_to_message") is not None


@needs_images
async def test_a_harmless_picture_gets_no_warning(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await harness.start_bot()
    buyer = harness.buyer(6102, "en")
    await buyer.say("/start")
    with caplog.at_level(logging.INFO, logger="bot.telegram.fraud"):
        await buyer.user.send_photo(qr_png("https://www.alipay.com/"))
        await buyer.settle()  # the ordinary answer to a picture outside a conversation
        for _ in range(900):  # the check runs in the background: wait until it is done
            if any(r.getMessage().startswith("checked a picture") for r in caplog.records):
                break
            await asyncio.sleep(0.1)
    checked = [
        r.getMessage() for r in caplog.records if r.getMessage().startswith("checked a picture")
    ]
    assert checked and "none" in checked[0], checked
    await asyncio.sleep(0.3)
    titles = tuple(buyer.needle(f"fraud.title.{r}") for r in ("medium", "high"))
    assert not [m for m in buyer.user.messages() if (m.text or "").startswith(titles)]


@needs_images
async def test_a_picture_over_the_size_limit_is_skipped_with_a_note(harness: Harness) -> None:
    await harness.start_bot(fraud_image_max_mb=1)
    buyer = harness.buyer(6103, "en")
    await buyer.say("/start")
    await buyer.user.send_document(
        qr_png(QR_SCAM), file_name="big.png", mime_type="image/png", file_size=3 * 1024 * 1024
    )
    expected = buyer.text("fraud_advice.picture_skipped", limit_mb=1)
    note = await buyer.user.wait_for_message(timeout=30, predicate=lambda m: m.text == expected)
    assert note.raw.get("reply_to_message") is not None


@needs_images
async def test_group_guard_warns_about_a_scam_picture(harness: Harness) -> None:
    await harness.start_bot()
    group = harness.tg.group(-100777, title="买家交流群")
    await group.ensure()
    await harness.tg.set_bot_admin(-100777, True)  # an admin bot sees every message
    scammer = harness.tg.user(7201, first_name="客服", language_code="zh")
    await group.send_photo(scammer, qr_png(QR_SCAM))
    warning = await group.wait_for_message(timeout=90)
    assert "🚨" in (warning.text or "")
    assert Translator("zh")("fraud_advice.in_picture") in (warning.text or "")
    assert warning.raw.get("reply_to_message") is not None


# ------------------------------------------------------------------ scams in the evidence


async def _case_card(settings: Settings, case_id: int, lang: str) -> str:
    """The support card of a case, built from the database as the workspace builds it."""
    engine = create_engine(settings.database_url)
    try:
        support = SupportService(
            sessions=session_factory(engine), policy=load_policy_setting(settings), chat_id=None
        )
        data = await support.card(case_id)
        assert data is not None
        return card_text(Translator(lang), data, support, settings)
    finally:
        await engine.dispose()


async def _warning(buyer: Buyer, messages: list[BotMessage], needle: str) -> BotMessage:
    """The picture's warning: among the answers already read, or the next one to come
    (the check runs in the background and may end before or after the answer)."""
    for message in messages:
        if needle in (message.text or ""):
            return message
    return await buyer.user.wait_for_message(
        timeout=90, predicate=lambda m: needle in (m.text or "")
    )


@needs_images
async def test_evidence_holding_a_scam_is_flagged_on_the_case_and_the_buyer_warned(
    harness: Harness,
) -> None:
    """A QR code to a phishing site, and a harmless picture whose caption is a scam, both
    sent as evidence in the wizard: each is stored as evidence (support needs it), the
    buyer is warned and told it is marked, and once the case is submitted each is a
    stored finding on the case, shown on its support card. A harmless picture is not."""
    settings = harness.settings()
    await harness.start_bot(settings)
    buyer = harness.buyer(6110, "zh")
    messages = await fill_in(buyer, order="KM20261130000777")
    buyer.expect(messages, "draft.evidence", n=8, max_files=10, max_mb=10)
    title = buyer.needle("fraud.title.high")
    flagged = buyer.needle("fraud_evidence.buyer_flagged")

    await buyer.user.send_photo(qr_png(QR_SCAM))
    messages = await buyer.settle()
    buyer.expect(messages, "evidence.received", n=1, max_files=10)
    warning = await _warning(buyer, messages, title)
    assert warning.text is not None and flagged in warning.text
    assert buyer.text("fraud_advice.in_picture") in warning.text

    await buyer.user.send_photo(
        qr_png("https://www.alipay.com/"),
        caption="客服说扫这个码就能退款，还让我把收到的验证码发给他 http://taobao-refund.xyz/r",
    )
    messages = await buyer.settle()
    buyer.expect(messages, "evidence.received", n=2, max_files=10)
    await _warning(buyer, messages, flagged)
    await buyer.user.send_photo(PNG)  # an ordinary screenshot of the order: no finding
    buyer.expect(await buyer.settle(), "evidence.received", n=3, max_files=10)

    messages = await buyer.choose("btn.evidence_done")
    buyer.expect(messages, "summary.title")
    messages = await buyer.choose("btn.confirm")
    buyer.expect(messages, "submitted.next")
    await asyncio.sleep(0.5)  # the harmless picture's check ends on its own
    cases, evidence, events = await stored_cases(settings.database_url)
    assert len(cases) == 1 and len(evidence) == 3
    found = [e for e in events if e.kind == EVIDENCE_SCAM]
    assert len(found) == 2, [e.kind for e in events]
    flagged_files = {str((e.payload or {}).get("file_unique_id")) for e in found}
    assert flagged_files < {e.file_unique_id for e in evidence}
    assert all(e.case_id == cases[0].id for e in found)
    assert any("alipay-tuikuan.top" in str(e.payload) for e in found)

    assert cases[0].id is not None
    card = await _case_card(settings, cases[0].id, "zh")
    assert Translator("zh")("fraud_evidence.card", count=2, reason="").strip() in card


@needs_images
async def test_a_scam_picture_added_to_an_existing_case_is_flagged_on_it(
    harness: Harness,
) -> None:
    """Evidence added later through /cases: the finding goes on that case at once."""
    settings = harness.settings()
    await harness.start_bot(settings)
    buyer = harness.buyer(6111, "en")
    await fill_in(buyer, order="KM20261130000778")
    await buyer.choose("btn.evidence_done")
    buyer.expect(await buyer.choose("btn.confirm"), "submitted.next")
    cases, _, _ = await stored_cases(settings.database_url)
    await open_latest_case(buyer)
    await buyer.choose("btn.add_evidence")
    await buyer.user.send_photo(qr_png(QR_SCAM))
    messages = await buyer.settle()
    buyer.expect(messages, "evidence.received_case", n=1, total=1)
    await _warning(buyer, messages, buyer.needle("fraud_evidence.buyer_flagged"))
    _, evidence, events = await stored_cases(settings.database_url)
    found = [e for e in events if e.kind == EVIDENCE_SCAM]
    assert [e.case_id for e in found] == [cases[0].id]
    assert (found[0].payload or {}).get("file_unique_id") == evidence[0].file_unique_id
    assert cases[0].id is not None
    card = await _case_card(settings, cases[0].id, "en")
    assert "Scam content found in the evidence: 1 file." in card
