"""My cases (evidence for an open case, appeals), questions about the rules, the language,
and the hand-over to a person."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.conversation.conftest import Buyer, Harness
from tests.conversation.test_refund_wizard import PNG, PNG2, fill_in, stored_cases


async def file_redeemed_changed_mind(buyer: Buyer) -> None:
    """A case the rules reject at once (used goods, buyer's own reason)."""
    messages = await fill_in(
        buyer,
        order="KM20261121000555",
        status="redeemed",
        group="buyer",
        cause="changed_mind",
        channel="balance",
        amount="50",
        paid="1h",
    )
    decision = buyer.expect(messages, "decision.title")
    assert buyer.needle("outcome.no_refund") in decision.text
    await buyer.choose("btn.evidence_done")
    await buyer.choose("btn.confirm")


async def open_latest_case(buyer: Buyer) -> None:
    messages = await buyer.say("/cases")
    listing = buyer.find(messages, buyer.text("cases.title", count=1).split("（")[0].split("(")[0])
    await buyer.press(listing, listing.button_texts()[0])


async def test_appeal_a_decided_case_and_add_stronger_evidence(harness: Harness) -> None:
    settings = harness.settings()
    await harness.start_bot(settings)
    buyer = harness.buyer(5001, "zh")
    await file_redeemed_changed_mind(buyer)
    cases, _, _ = await stored_cases(settings.database_url)
    assert cases[0].status == "rejected" and cases[0].decided_at is not None

    await open_latest_case(buyer)
    detail = buyer.seen[-1]
    assert buyer.text("case_status.rejected") in detail.text
    assert buyer.text("btn.appeal") in detail.button_texts()
    assert (
        buyer.text("btn.add_evidence") not in detail.button_texts()
    )  # decided: closed for evidence

    messages = await buyer.choose("btn.appeal")
    buyer.expect(messages, "cases.appeal_reason", number=cases[0].number)
    messages = await buyer.say("短")
    buyer.expect(messages, "cases.appeal_too_short")
    messages = await buyer.say("卡密其实是无效的，官方显示从未激活")
    buyer.expect(messages, "cases.appealed", number=cases[0].number)
    await buyer.user.send_photo(PNG)
    ack = buyer.expect(await buyer.settle(), "evidence.received_case", n=1, total=1)
    messages = await buyer.press(ack, buyer.t("evidence.official_proof"))
    assert messages[-1].edited
    await buyer.user.send_photo(PNG)
    buyer.expect(await buyer.settle(), "evidence.duplicate")
    messages = await buyer.choose("btn.evidence_done")
    detail = buyer.expect(messages, "cases.detail_title", number=cases[0].number)
    assert buyer.text("case_status.appealed") in detail.text
    assert buyer.text("cases.evidence", count=1) in detail.text
    # the window is still open: it "ends on" a future date, and the reason is in the history
    ends = re.search(
        re.escape(buyer.text("case.appeal_ends", deadline="@")).replace(
            "@", r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2})"
        ),
        detail.text,
    )
    assert ends is not None and ends.group(1) > datetime.now(ZoneInfo("Asia/Shanghai")).strftime(
        "%Y-%m-%d %H:%M"
    )
    assert buyer.text("cases.appeal_closed", deadline=ends.group(1)) not in detail.text
    assert "卡密其实是无效的，官方显示从未激活" in detail.text
    assert not re.search(
        r"[a-z]+(?:-[a-z]+)+", detail.text.replace("KM20261121000555", "")
    )  # no internal ids

    cases, evidence, events = await stored_cases(settings.database_url)
    assert cases[0].status == "appealed"
    assert [e.kind for e in evidence] == ["official_proof"]
    appeal = [e for e in events if e.kind == "status" and e.payload.get("status") == "appealed"]
    assert appeal and appeal[0].payload["reason"].startswith("卡密")


async def test_add_evidence_to_an_open_case(harness: Harness) -> None:
    settings = harness.settings()
    await harness.start_bot(settings)
    buyer = harness.buyer(5002, "en")
    await fill_in(
        buyer,
        order="KM20261121000777",
        group="payment",
        cause="duplicate_charge",
        channel="wechat",
        amount="20",
        paid="1h",
    )
    await buyer.choose("btn.evidence_done")
    await buyer.choose("btn.confirm")

    await open_latest_case(buyer)
    messages = await buyer.choose("btn.add_evidence")
    buyer.expect(
        messages,
        "cases.send_evidence",
        number=(await stored_cases(settings.database_url))[0][0].number,
        max_mb=10,
    )
    await buyer.user.send_document(b"not an image", file_name="notes.txt", mime_type="text/plain")
    buyer.expect(await buyer.settle(), "error.evidence.type")
    await buyer.user.send_photo(PNG2)
    ack = buyer.expect(await buyer.settle(), "evidence.received_case", n=1, total=1)
    await buyer.press(ack, buyer.t("evidence.payment_record"))
    messages = await buyer.choose("btn.evidence_done")
    detail = buyer.expect(
        messages,
        "cases.detail_title",
        number=(await stored_cases(settings.database_url))[0][0].number,
    )
    assert "✅ " + buyer.text("evidence.payment_record") in detail.text


async def test_ask_about_the_rules_with_sources_and_an_honest_not_sure(harness: Harness) -> None:
    await harness.start_bot()
    buyer = harness.buyer(5003, "en")
    messages = await buyer.say("/start")
    messages = await buyer.choose("menu.ask")
    buyer.expect(messages, "ask.prompt")
    messages = await buyer.say("How long does a refund to my bank card take?")
    answer = buyer.find(messages, "Refund arrival times")
    assert "arrival-times" not in answer.text  # section titles, never internal ids
    assert "2–5 working days" in answer.text.splitlines()[0]  # the fact asked, first
    assert answer.button_texts() == [
        buyer.t("btn.helped"),
        buyer.t("knowledge.btn_unhelpful"),
        buyer.t("btn.human"),
    ]
    await buyer.press(answer, buyer.t("btn.helped"))
    assert (await buyer.user.last_callback_answer()).text == buyer.t("ask.thanks")  # type: ignore[union-attr]

    messages = await buyer.say("What's the weather like in Paris tomorrow?")
    not_sure = buyer.expect(messages, "ask.not_sure")
    assert not_sure.button_texts() == [buyer.t("btn.human")]

    # free text outside any flow is treated as a question too
    messages = await buyer.say("/start")
    messages = await buyer.say("can I get a refund after the code was redeemed?")
    buyer.find(messages, buyer.text("knowledge.from_titles", titles="").strip())


async def test_language_follows_telegram_and_can_be_switched(harness: Harness) -> None:
    await harness.start_bot()
    english = harness.buyer(5004, "en")
    english.expect(await english.say("/start"), "start.welcome")
    messages = await english.say("/language")
    chooser = english.expect(messages, "start.choose_language")
    await english.press(chooser, "中文")
    chinese = Buyer(english.user, type(english.t)("zh"), harness)
    chinese.expect(await chinese.say("/start"), "start.welcome")


async def test_without_a_support_team_the_buyer_is_told_where_real_support_is(
    harness: Harness,
) -> None:
    await harness.start_bot()
    buyer = harness.buyer(5006, "zh")
    await buyer.say("/start")
    messages = await buyer.say("/human")
    buyer.expect(messages, "support.no_team")


# The support group's side (topics, cards, relay, buttons) is tested in test_support_*.py.


async def test_a_case_the_rules_reject_says_so_in_its_next_steps(harness: Harness) -> None:
    await harness.start_bot()
    buyer = harness.buyer(5008, "zh")
    await fill_in(
        buyer,
        order="KM20261121000556",
        status="redeemed",
        group="buyer",
        cause="changed_mind",
        paid="1h",
    )
    await buyer.choose("btn.evidence_done")
    done = buyer.expect(await buyer.choose("btn.confirm"), "submitted.next")
    assert buyer.needle("next.rejected", days=7) in done.text
    assert buyer.needle("next.merchant_review") not in done.text


async def test_a_support_chat_the_bot_is_not_in_stops_it_at_start(harness: Harness) -> None:
    import pytest

    from bot.config import ConfigError

    with pytest.raises(ConfigError, match="SUPPORT_CHAT_ID"):
        await harness.start_bot(support_chat_id=-100404)
