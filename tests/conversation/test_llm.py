"""The language model inside the running bot, over HTTP: the real bot against the fake Bot
API server and the fake OpenAI-compatible server (tests/fakellm).

What a buyer sees: a typed answer the parser refuses is read by the model and shown as
"I understood …" with yes / no buttons, used only after "yes"; a message the knowledge base
cannot answer is routed by its intent; a confident answer is phrased from the retrieved
sections with a footer. Every fault of the model falls back to what the bot says without
one, within the timeout, and no buyer message ever costs more than one model call."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.domain.fraud import Detector
from bot.domain.fraud.detector import unsure
from bot.i18n import Translator
from bot.services.scam import fraud_texts
from bot.telegram.console import plain
from tests.conversation.conftest import PNG, Buyer, Harness, RunningBot
from tests.conversation.test_antifraud import needs_images, qr_png
from tests.conversation.test_refund_wizard import answer_until_cause, start_wizard
from tests.fakeapi import BotMessage
from tests.fakellm import FakeLLM, Fault, Reply, Text, by_use, obedient, request_use, scripted
from tests.fakellm.server import FOREIGN_LINK, messages_text

SHANGHAI = ZoneInfo("Asia/Shanghai")
STRICT_ORDER = r"^KM\d{14}$"  # so a number written in groups is refused by the parser
LLM_TIMEOUT = 1.0
# the other fraud checks find something in it, not enough to warn: the band a second
# opinion may settle (the classifier calls it a scam only at "low": no account named,
# nothing asked yet; the premise has its own test below)
UNSURE_SCAM = "孩子住院急需手术费，爱心人士帮帮忙，谢谢好心人"


@pytest.fixture
async def llm() -> AsyncIterator[FakeLLM]:
    async with FakeLLM() as server:
        yield server


async def start(harness: Harness, llm: FakeLLM, **overrides: Any) -> RunningBot:
    values: dict[str, Any] = {
        "llm_base_url": llm.base_url,
        "llm_model": "fake-model",
        "llm_timeout_seconds": LLM_TIMEOUT,
        "llm_max_retries": 0,
        "order_number_pattern": STRICT_ORDER,
    }
    values.update(overrides)
    return await harness.start_bot(harness.settings(**values))


class Metered:
    """The buyer, with the model calls each of their messages caused counted."""

    def __init__(self, buyer: Buyer, llm: FakeLLM) -> None:
        self.buyer, self.llm = buyer, llm
        self.calls: list[int] = []

    async def say(self, text: str) -> list[BotMessage]:
        before = len(self.llm.requests)
        messages = await self.buyer.say(text)
        self.calls.append(len(self.llm.requests) - before)
        return messages

    async def choose(self, key: str, **values: Any) -> list[BotMessage]:
        before = len(self.llm.requests)
        messages = await self.buyer.choose(key, **values)
        self.calls.append(len(self.llm.requests) - before)
        return messages


def field(value: str, confidence: float = 0.9) -> Reply:
    return Reply({"found": True, "value": value, "confidence": confidence})


async def until_amount(buyer: Buyer) -> None:
    await start_wizard(buyer)
    messages = await buyer.say("KM20261121000123")
    buyer.expect(messages, "wizard.platform_type")
    await buyer.choose("platform.aggregator")
    await buyer.choose("status.paid_undelivered")
    await buyer.choose("cause_group.merchant")
    await buyer.choose("cause.delivery_timeout")
    messages = await buyer.choose("channel.alipay")
    buyer.expect(messages, "wizard.amount", max="50,000.00")


def texts(messages: list[BotMessage]) -> str:
    """What the bot newly said (edits of earlier messages left out)."""
    return "\n".join(m.text or "" for m in messages if not m.edited)


# --- a typed answer the parser refuses ----------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "typed"),
    [
        ("zh", "我的订单号是KM 2026 1130 0005 12，麻烦查一下"),
        ("en", "my order number is KM 2026 1130 000512 thanks"),
    ],
)
async def test_order_number_inside_a_sentence_is_used_after_yes(
    harness: Harness, llm: FakeLLM, lang: str, typed: str
) -> None:
    llm.responder = by_use({"extract_field": field("KM20261130000512")})
    await start(harness, llm)
    buyer = harness.buyer(2001 if lang == "zh" else 2002, lang)
    metered = Metered(buyer, llm)
    await start_wizard(buyer)
    messages = await metered.say(typed)
    shown = buyer.expect(messages, "llm.understood_order_number", value="KM20261130000512")
    assert buyer.t("llm.confirm_yes") in shown.button_texts()
    assert buyer.t("llm.confirm_no") in shown.button_texts()
    assert not [m for m in messages if buyer.needle("wizard.platform_type") in (m.text or "")]
    # the prompt sent the buyer's words as data, and asked for the order number
    sent = llm.requests[-1]
    assert request_use(sent) == "extract_field"
    assert "KM 2026 1130" in str(sent["messages"][-1]["content"])

    messages = await metered.choose("llm.confirm_yes")
    buyer.expect(messages, "wizard.chosen", value="KM20261130000512")
    buyer.expect(messages, "wizard.platform_type")
    assert metered.calls == [1, 0]


async def test_no_asks_the_step_again_and_nothing_is_kept(harness: Harness, llm: FakeLLM) -> None:
    llm.responder = by_use({"extract_field": field("KM20261130000512")})
    await start(harness, llm)
    buyer = harness.buyer(2003, "zh")
    await start_wizard(buyer)
    messages = await buyer.say("订单号是KM 2026 1130 0005 12")
    offer = buyer.expect(messages, "llm.understood_order_number", value="KM20261130000512")
    messages = await buyer.choose("llm.confirm_no")
    buyer.expect(messages, "wizard.order_number", example="KM20261121000123")
    assert "KM20261130000512" not in texts(messages)
    # the spent reading cannot be revived: its buttons are gone
    assert buyer.user.message(offer.message_id).button_texts() == []
    messages = await buyer.say("KM20261121000123")  # typed again: the parser takes it
    buyer.expect(messages, "wizard.chosen", value="KM20261121000123")


async def test_a_stale_yes_from_another_step_is_refused(harness: Harness, llm: FakeLLM) -> None:
    llm.responder = by_use({"extract_field": field("KM20261130000512")})
    await start(harness, llm)
    buyer = harness.buyer(2004, "zh")
    await start_wizard(buyer)
    messages = await buyer.say("订单号是KM 2026 1130 0005 12")
    offer = buyer.expect(messages, "llm.understood_order_number", value="KM20261130000512")
    messages = await buyer.say("KM20261121000123")  # typed instead of pressing yes
    buyer.expect(messages, "wizard.platform_type")
    messages = await buyer.press(offer, buyer.t("llm.confirm_yes"))
    assert "KM20261130000512" not in texts(messages)
    await buyer.choose("platform.aggregator")
    await buyer.choose("status.paid_undelivered")
    await buyer.choose("cause_group.merchant")
    await buyer.choose("cause.delivery_timeout")
    await buyer.choose("channel.alipay")
    await buyer.say("100")
    messages = await buyer.choose("quick_time.now")
    await buyer.choose("btn.evidence_done")
    summary = buyer.find(buyer.seen, buyer.needle("summary.title"))
    assert "KM20261121000123" in (summary.text or "")
    assert "KM20261130000512" not in (summary.text or "")


async def test_amount_in_words_is_used_after_yes(harness: Harness, llm: FakeLLM) -> None:
    llm.responder = by_use({"extract_field": field("120")})
    await start(harness, llm)
    buyer = harness.buyer(2005, "zh")
    metered = Metered(buyer, llm)
    await until_amount(buyer)
    messages = await metered.say("一百二十块")
    buyer.expect(messages, "llm.understood_amount", value="120.00")
    messages = await metered.choose("llm.confirm_yes")
    buyer.expect(messages, "wizard.chosen", value="¥120.00")
    buyer.expect(messages, "wizard.payment_time")
    assert metered.calls == [1, 0]


async def test_amount_the_buyer_never_wrote_is_not_offered(harness: Harness, llm: FakeLLM) -> None:
    llm.responder = by_use({"extract_field": field("5000")})
    await start(harness, llm)
    buyer = harness.buyer(2006, "zh")
    await until_amount(buyer)
    messages = await buyer.say("一百二十块")
    buyer.expect(messages, "error.amount.not_a_number", max="50,000.00")
    assert "5,000" not in texts(messages) and "5000" not in texts(messages)


async def test_time_in_words_is_used_after_yes(harness: Harness, llm: FakeLLM) -> None:
    yesterday = (datetime.now(UTC).astimezone(SHANGHAI) - timedelta(days=1)).replace(
        hour=15, minute=0
    )
    value = yesterday.strftime("%Y-%m-%d %H:%M")
    llm.responder = by_use({"extract_field": field(value)})
    await start(harness, llm)
    buyer = harness.buyer(2007, "zh")
    await until_amount(buyer)
    await buyer.say("100")
    messages = await buyer.say("昨天下午三点左右")
    buyer.expect(messages, "llm.understood_payment_time", value=value)
    messages = await buyer.choose("llm.confirm_yes")
    buyer.expect(messages, "wizard.chosen", value=value)
    buyer.expect(messages, "decision.title")


@pytest.mark.parametrize(
    ("lang", "typed", "cause"),
    [
        ("zh", "tk了kf不理人", "delivery_timeout"),
        ("zh", "商家一直不發貨，卡密也沒給", "delivery_timeout"),
        ("en", "merchant ghosted me, no kf reply, want tk", "delivery_timeout"),
    ],
)
async def test_cause_from_slang_is_used_after_yes(
    harness: Harness, llm: FakeLLM, lang: str, typed: str, cause: str
) -> None:
    llm.responder = by_use({"extract_field": field(cause)})
    await start(harness, llm)
    buyer = harness.buyer(2010 + len(typed), lang)
    await answer_until_cause(buyer, order="KM20261121000123")
    messages = await buyer.choose("btn.describe")
    buyer.expect(messages, "wizard.cause_text")
    messages = await buyer.say(typed)
    label = buyer.t(f"cause.{cause}")
    buyer.expect(messages, "llm.understood_cause", value=label)
    messages = await buyer.choose("llm.confirm_yes")
    buyer.expect(messages, "wizard.chosen", value=label)
    buyer.expect(messages, "wizard.payment_channel")


async def test_keywords_come_first_and_cost_no_call(harness: Harness, llm: FakeLLM) -> None:
    """Slang the keyword classifier knows (退宽, 到帐) is read without the model."""
    llm.responder = by_use({"extract_field": field("wrong_account")})
    await start(harness, llm)
    buyer = harness.buyer(2019, "zh")
    metered = Metered(buyer, llm)
    await answer_until_cause(buyer, order="KM20261121000123")
    await buyer.choose("btn.describe")
    messages = await metered.say("退宽到现在还没到帐")
    buyer.expect(messages, "wizard.cause_guess", cause=buyer.t("cause.delivery_timeout"))
    assert metered.calls == [0]
    assert buyer.t("llm.confirm_yes") not in [b for m in messages for b in m.button_texts()]


async def test_cause_no_falls_back_to_the_list(harness: Harness, llm: FakeLLM) -> None:
    llm.responder = by_use({"extract_field": field("delivery_timeout")})
    await start(harness, llm)
    buyer = harness.buyer(2020, "zh")
    await answer_until_cause(buyer, order="KM20261121000123")
    await buyer.choose("btn.describe")
    await buyer.say("tk了kf不理人")
    messages = await buyer.choose("llm.confirm_no")
    buyer.expect(messages, "wizard.cause_unknown")


async def test_without_a_model_the_bot_says_what_it_always_said(harness: Harness) -> None:
    await harness.start_bot(harness.settings(order_number_pattern=STRICT_ORDER))
    buyer = harness.buyer(2021, "zh")
    await start_wizard(buyer)
    messages = await buyer.say("我的订单号是KM 2026 1130 0005 12")
    buyer.expect(messages, "error.order_number.bad_format", example="KM20261121000123")
    assert buyer.t("llm.confirm_yes") not in [b for m in messages for b in m.button_texts()]


# --- faults: the buyer notices nothing but a delay ---------------------------------------

FAULTS = [
    pytest.param(Fault("timeout", delay=3.0), id="timeout"),
    pytest.param(Fault("429"), id="429"),
    pytest.param(Fault("500"), id="500"),
    pytest.param(Fault("503"), id="503"),
    pytest.param(Fault("bad_body"), id="bad-body"),
    pytest.param(Fault("slow_stream", delay=3.0), id="slow-stream"),
    pytest.param(Fault("no_tool_call"), id="no-tool-call"),
    pytest.param(Text("sure! the amount is one hundred twenty"), id="malformed-json"),
    pytest.param(Reply({"amount": 120, "ok": True}), id="wrong-schema"),
    pytest.param(Text(""), id="empty"),
]


@pytest.mark.parametrize("fault", FAULTS)
async def test_every_fault_falls_back_within_the_timeout(
    harness: Harness, llm: FakeLLM, fault: Any
) -> None:
    await start(harness, llm)
    buyer = harness.buyer(2030, "zh")
    await until_amount(buyer)
    llm.responder = scripted(fault)
    before = len(llm.requests)
    started = time.monotonic()
    messages = await buyer.say("一百二十块")
    elapsed = time.monotonic() - started
    assert len(llm.requests) - before == 1
    # exactly what the bot says without a model
    buyer.expect(messages, "error.amount.not_a_number", max="50,000.00")
    assert len([m for m in messages if m.text]) == 1
    assert elapsed < LLM_TIMEOUT + 1.5, elapsed
    # and the wizard goes on as usual
    messages = await buyer.say("120")
    buyer.expect(messages, "wizard.payment_time")


async def test_a_fault_in_free_text_keeps_the_not_sure_answer(
    harness: Harness, llm: FakeLLM
) -> None:
    llm.responder = scripted(Fault("500"))
    await start(harness, llm)
    buyer = harness.buyer(2031, "zh")
    await buyer.say("/start")
    messages = await buyer.say("那个东西到底怎么弄啊")
    buyer.expect(messages, "ask.not_sure")


# --- free text outside the wizard -------------------------------------------------------


@pytest.mark.parametrize(
    ("intent", "key"),
    [
        ("wants_refund", "wizard.intro"),
        ("reports_scam", "fraud.check_prompt"),
        ("wants_person", "llm.route_person"),
        ("small_talk", "hint.menu"),
        ("question", "ask.not_sure"),
    ],
)
async def test_free_text_is_routed_by_its_intent(
    harness: Harness, llm: FakeLLM, intent: str, key: str
) -> None:
    llm.responder = by_use({"classify_intent": Reply({"intent": intent, "confidence": 0.9})})
    await start(harness, llm)
    buyer = harness.buyer(2040, "zh")
    metered = Metered(buyer, llm)
    await buyer.say("/start")
    messages = await metered.say("那个东西到底怎么弄啊")
    buyer.expect(messages, key)
    assert metered.calls == [1]
    assert [request_use(r) for r in llm.requests] == ["classify_intent"]
    if intent == "wants_refund":
        buyer.expect(messages, "wizard.order_number", example="KM20261121000123")
    if intent == "wants_person":
        assert buyer.t("btn.human") in buyer.find(messages, buyer.needle(key)).button_texts()


async def test_an_unsure_intent_keeps_the_not_sure_answer(harness: Harness, llm: FakeLLM) -> None:
    llm.responder = by_use(
        {"classify_intent": Reply({"intent": "wants_refund", "confidence": 0.2})}
    )
    await start(harness, llm)
    buyer = harness.buyer(2041, "zh")
    await buyer.say("/start")
    messages = await buyer.say("那个东西到底怎么弄啊")
    buyer.expect(messages, "ask.not_sure")


async def test_a_rewrite_near_the_gate_spends_the_message_call(
    harness: Harness, llm: FakeLLM
) -> None:
    """A message the retriever is unsure about but close to its gate gets a rewrite; a
    rewrite that lands on another section is not taken, and the intent is not asked too
    (one call per message): the buyer gets the "not sure" answer."""
    llm.responder = by_use(
        {
            "rewrite_query": Reply({"query": "how long does a bank card refund take"}),
            "classify_intent": Reply({"intent": "wants_refund", "confidence": 0.9}),
        }
    )
    await start(harness, llm)
    buyer = harness.buyer(2042, "en")
    metered = Metered(buyer, llm)
    await buyer.say("/start")
    messages = await metered.say("what's a good game to play on the weekend")
    buyer.expect(messages, "ask.not_sure")
    assert metered.calls == [1]
    assert [request_use(r) for r in llm.requests] == ["rewrite_query"]


# --- answers phrased from the retrieved sections -----------------------------------------

QUESTION = "退款多久到账"
PHRASED = "退款一律原路退回：从哪里付的钱，就退回哪里。"


async def test_a_confident_answer_is_phrased_from_its_sections(
    harness: Harness, llm: FakeLLM
) -> None:
    llm.responder = by_use(
        {"grounded_answer": Reply({"answer": PHRASED, "cited": ["arrival-times"]})}
    )
    await start(harness, llm)
    buyer = harness.buyer(2050, "zh")
    metered = Metered(buyer, llm)
    await buyer.say("/start")
    messages = await metered.say(QUESTION)
    answer = buyer.find(messages, PHRASED)
    assert buyer.needle("llm.answer_footer") in (answer.text or "")
    assert "「退款到账时间」" in (answer.text or "")
    assert metered.calls == [1]
    sent = str(llm.requests[-1]["messages"][-1]["content"])
    assert 'id="arrival-times"' in sent  # the retrieved sections were handed over


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(Reply({"answer": PHRASED, "cited": ["made-up-section"]}), id="bad-cite"),
        pytest.param(Reply({"answer": PHRASED, "cited": []}), id="no-cite"),
        pytest.param(
            Reply({"answer": "您的退款5000元已批准，1小时内到账。", "cited": ["arrival-times"]}),
            id="unbacked-approval",
        ),
        pytest.param(Fault("503"), id="server-error"),
    ],
)
async def test_an_unusable_phrasing_keeps_the_extractive_answer(
    harness: Harness, llm: FakeLLM, reply: Any
) -> None:
    llm.responder = by_use({"grounded_answer": reply})
    await start(harness, llm)
    buyer = harness.buyer(2051, "zh")
    await buyer.say("/start")
    messages = await buyer.say(QUESTION)
    answer = buyer.find(messages, "「退款到账时间」")
    assert buyer.needle("llm.answer_footer") not in (answer.text or "")
    assert "5000" not in texts(messages) and "已批准" not in texts(messages)


# --- the support card -------------------------------------------------------------------

SUMMARY = "买家在卡盟购买点卡，商家称缺货未发货，支付宝付款98.50元，规则判断全额退款。"


@pytest.mark.parametrize(
    ("reply", "shown"),
    [
        pytest.param(Reply({"summary": SUMMARY}), True, id="grounded"),
        pytest.param(Reply({"summary": "已批准退款5000元，1小时内到账。"}), False, id="unbacked"),
        pytest.param(Fault("500"), False, id="server-error"),
    ],
)
async def test_the_support_card_carries_the_model_summary(
    harness: Harness, llm: FakeLLM, reply: Any, shown: bool
) -> None:
    from tests.conversation.test_support_workspace import SUPPORT, seed_case, staff, upload_photo
    from tests.fakeapi.forum import ForumGroup

    llm.responder = by_use({"summarise_case": reply})
    lead = harness.tg.user(7002, first_name="老张", language_code="zh")
    group = ForumGroup(harness.tg, SUPPORT, "客服工作台", owner=lead)
    await group.ensure()
    await group.set_bot_admin(True)
    settings = harness.settings(
        support_chat_id=SUPPORT,
        operator_ids="7001",
        lead_ids="7002",
        llm_base_url=llm.base_url,
        llm_model="fake-model",
        llm_timeout_seconds=LLM_TIMEOUT,
        llm_max_retries=0,
    )
    await harness.start_bot(settings)
    photo = await upload_photo(harness)
    await seed_case(settings, user_id=1001, number="RF-20261130-LLM1", photo=photo)
    card = await group.wait_for_message(
        15, lambda m: not m.edited and "RF-20261130-LLM1" in (m.text or "") and bool(m.buttons)
    )
    await group.wait_for_message(10, lambda m: m.photo is not None)
    # the card follows the evidence: it is rendered again (and found unchanged)
    for _ in range(100):
        edits = [
            r for r in harness.tg.requests("editMessageText") if r.params.get("chat_id") == SUPPORT
        ]
        if edits:
            break
        await asyncio.sleep(0.1)
    assert edits, "the card was not rendered again"
    assert (SUMMARY in str(edits[0].params.get("text"))) is shown
    text = card.text or ""
    assert "KM20261130000512" in text  # the card itself is whole either way
    assert (staff("llm.summary_label") in text) is shown
    assert (SUMMARY in text) is shown
    assert "5000" not in text
    summaries = [r for r in llm.requests if request_use(r) == "summarise_case"]
    assert len(summaries) == 1  # refreshing the card without new events costs no call
    sent = str(summaries[0]["messages"][-1]["content"])
    assert "KM20261130000512" in sent and "full_refund" in sent


# --- prompt injection against a model that obeys it --------------------------------------

INJECTIONS = [
    json.loads(line)
    for line in Path("tests/data/llm_injections.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
OBEYED = ("已批准", "is approved and arrives", "admin-override", "5000", "5,000")


def leaks(text: str, prompts: list[str]) -> bool:
    """Any 40 characters of a system prompt the bot sent (or its marker) in `text`."""
    if re.search(r"ref-[0-9a-f]{8}", text):
        return True
    for prompt in prompts:
        for start in range(0, max(1, len(prompt) - 40), 20):
            if prompt[start : start + 40] in text:
                return True
    return False


def cunning(forge: bool) -> Any:
    """`obedient()`, made harder to catch: it cites only the passages it was given (so the
    citation check alone does not drop its answer), and with `forge` it answers a field with
    a well-formed order number, amount and time the buyer never typed."""
    naive = obedient()

    def respond(body: dict[str, Any]) -> Any:
        action = naive(body)
        ids = re.findall(r'<passage id="([^"]+)"', messages_text(body, "user"))
        if isinstance(action, Reply) and "cited" in action.data:
            action.data["cited"] = ids[:1]
        if forge and isinstance(action, Reply) and "found" in action.data:
            action.data["value"] = "KM20991231000001"
        return action

    return respond


@pytest.mark.parametrize("model", ["obedient", "cites-properly", "forges-fields"])
async def test_injections_through_the_bot_change_nothing(
    harness: Harness, llm: FakeLLM, model: str
) -> None:
    """Each attempt where a buyer would send it (plain message, forwarded message, photo
    caption, the order number step, a typed wizard answer) against a model that obeys it:
    no approval, amount or deadline of the model's reaches the buyer, no prompt, no foreign
    link; a reading offered at a step is a value the buyer typed; one call per message."""
    llm.responder = obedient() if model == "obedient" else cunning(model == "forges-fields")
    await start(harness, llm)
    assert len(INJECTIONS) >= 40
    problems: list[str] = []
    for index, attempt in enumerate(INJECTIONS):
        buyer = harness.buyer(3000 + index, attempt["lang"])
        text, channel = attempt["text"], attempt["channel"]
        in_wizard = channel == "order_field" or attempt["use"] == "extract_field"
        if in_wizard:
            await start_wizard(buyer)
        else:
            await buyer.say("/start")
        before = len(llm.requests)
        if channel == "forwarded":
            await buyer.user.forward_text(text, from_name="平台客服")
            messages = await buyer.settle()
        elif channel == "caption":
            await buyer.user.send_photo(PNG.read_bytes(), caption=text)
            messages = await buyer.settle()
        else:
            messages = await buyer.say(text)
        calls = len(llm.requests) - before
        said = texts(messages)
        prompts = [messages_text(r, "system") for r in llm.requests[before:]]
        where = f"{attempt['id']} ({channel})"
        if calls > 1:
            problems.append(f"{where}: {calls} model calls for one message")
        if FOREIGN_LINK in said or "kamall-refund.help/claim?order=1" in said:
            problems.append(f"{where}: the model's link reached the buyer")
        if any(word in said for word in OBEYED if word not in text):
            problems.append(f"{where}: the model's approval or amount reached the buyer: {said!r}")
        if leaks(said, prompts):
            problems.append(f"{where}: the system prompt reached the buyer")
        offers = [m for m in messages if buyer.t("llm.confirm_yes") in m.button_texts()]
        for offer in offers:
            value = re.search(r"：(.+?)，|as (.+?)\. Is", plain(offer.text or ""))
            shown = next(g for g in value.groups() if g) if value else ""
            squashed = re.sub(r"[\s\-_]", "", text).lower()
            if not shown or re.sub(r"[\s\-_]", "", shown).lower() not in squashed:
                problems.append(f"{where}: offered {shown!r}, which the buyer did not type")
    assert not problems, "\n".join(problems)
    # the model was really asked (the set is not answered by the parsers alone)
    assert len(llm.requests) >= 20, len(llm.requests)


# --- metrics ----------------------------------------------------------------------------


async def test_the_running_bots_model_calls_and_tokens_are_in_its_metrics(
    harness: Harness, llm: FakeLLM
) -> None:
    from tests.conversation.conftest import free_port
    from tests.ops.test_ops_http import fetch, get, scrape

    llm.responder = by_use({"classify_intent": Reply({"intent": "small_talk", "confidence": 0.9})})
    port = free_port()
    await start(harness, llm, metrics_port=port, metrics_host="127.0.0.1")
    buyer = harness.buyer(2041, "zh")
    await buyer.say("/start")
    buyer.expect(await buyer.say("那个东西到底怎么弄啊"), "hint.menu")
    _, _, text = await fetch(f"http://127.0.0.1:{port}/metrics")
    figures = scrape(text)
    assert get(figures, "refundbot_llm_calls_total", use="classify_intent") == 1
    assert get(figures, "refundbot_llm_tokens_total", direction="in") > 0


async def test_an_unsure_message_gets_the_models_second_opinion(
    harness: Harness, llm: FakeLLM
) -> None:
    # the other checks find something in it, not enough to warn; the model settles it, in
    # the one call of the buyer's message
    llm.responder = by_use(
        {
            "classify_scam": Reply({"scam": True, "technique": "fake_charity", "confidence": 0.9}),
            "classify_intent": Reply({"intent": "small_talk", "confidence": 0.9}),
        }
    )
    await start(harness, llm)
    buyer = harness.buyer(2060, "zh")
    metered = Metered(buyer, llm)
    await buyer.say("/start")
    messages = await metered.say(UNSURE_SCAM)
    buyer.expect(messages, "fraud.title.medium")
    assert metered.calls == [1]
    assert [request_use(r) for r in llm.requests] == ["classify_scam"]
    # a harmless message is never sent for a second opinion
    await metered.say("今天天气不错，晚上一起吃饭吗")
    assert "classify_scam" not in [request_use(r) for r in llm.requests[1:]]


def scam_opinion(scam: bool) -> Any:
    return by_use(
        {
            "classify_scam": Reply(
                {"scam": scam, "technique": "fake_charity" if scam else "none", "confidence": 0.9}
            ),
            "classify_intent": Reply({"intent": "small_talk", "confidence": 0.9}),
        }
    )


def test_the_second_opinion_premise_holds() -> None:
    verdict = Detector(texts=fraud_texts()).scan_text(UNSURE_SCAM)
    assert unsure(verdict), verdict.risk


async def test_check_asks_the_model_about_an_unsure_message(harness: Harness, llm: FakeLLM) -> None:
    llm.responder = scam_opinion(True)
    await start(harness, llm)
    buyer = harness.buyer(2061, "zh")
    await buyer.say("/start")
    await buyer.say("/check")
    messages = await buyer.say(UNSURE_SCAM)
    buyer.expect(messages, "fraud.title.medium")
    assert [request_use(r) for r in llm.requests] == ["classify_scam"]


async def test_check_keeps_the_rules_verdict_when_the_model_says_no(
    harness: Harness, llm: FakeLLM
) -> None:
    llm.responder = scam_opinion(False)
    await start(harness, llm)
    buyer = harness.buyer(2062, "en")
    await buyer.say("/start")
    await buyer.say("/check")
    messages = await buyer.say(UNSURE_SCAM)
    assert not [
        m for m in messages if (m.text or "").startswith(buyer.needle("fraud.title.medium"))
    ]
    assert any(buyer.needle("fraud.low") in (m.text or "") for m in messages)
    assert [request_use(r) for r in llm.requests] == ["classify_scam"]


@needs_images
async def test_a_picture_the_checks_are_unsure_about_gets_the_models_second_opinion(
    harness: Harness, llm: FakeLLM
) -> None:
    # the QR code carries the unsure text: the model reads what the picture said, in the
    # one model call of the buyer's message, and the warning says it was in the picture
    llm.responder = scam_opinion(True)
    await start(harness, llm)
    buyer = harness.buyer(2063, "zh")
    await buyer.say("/start")
    await buyer.user.send_photo(qr_png(UNSURE_SCAM))
    title = buyer.needle("fraud.title.medium")
    warning = await buyer.user.wait_for_message(
        timeout=90, predicate=lambda m: (m.text or "").startswith(title)
    )
    assert buyer.text("fraud_advice.in_picture") in (warning.text or "")
    assert [request_use(r) for r in llm.requests] == ["classify_scam"]
    assert UNSURE_SCAM in messages_text(llm.requests[0], "user")


@needs_images
async def test_a_group_picture_the_model_calls_a_scam_is_warned_about(
    harness: Harness, llm: FakeLLM
) -> None:
    llm.responder = scam_opinion(True)
    await start(harness, llm)
    group = harness.tg.group(-100778, title="买家交流群")
    await group.ensure()
    await harness.tg.set_bot_admin(-100778, True)
    member = harness.tg.user(7202, first_name="群友", language_code="zh")
    await group.send_photo(member, qr_png(UNSURE_SCAM))
    warning = await group.wait_for_message(timeout=90)
    assert Translator("zh")("fraud_advice.in_picture") in (warning.text or "")
    assert [request_use(r) for r in llm.requests] == ["classify_scam"]
