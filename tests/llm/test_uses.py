"""Each use against scripted model answers: what passes validation, what falls back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain.rules import decide, sample_facts
from bot.llm.schemas import FieldStep, IntentKind
from bot.llm.uses import (
    classify_intent,
    extract_field,
    grounded_answer,
    rewrite_query,
    summarise_case,
)
from bot.policy_files import load_policy
from tests.fakellm import FakeLLM, Fault, Reply, scripted
from tests.llm.conftest import GatewayFactory

NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # 12:00 in Asia/Shanghai
CAUSES = ["out_of_stock", "delivery_timeout", "invalid_product", "changed_mind", "other"]


def field(value: str, confidence: float = 0.9, found: bool = True) -> Reply:
    return Reply({"found": found, "value": value, "confidence": confidence})


@pytest.mark.parametrize(
    ("step", "text", "model_says", "expected"),
    [
        (
            "order_number",
            "my order number is KM20261130000512",
            "KM20261130000512",
            "KM20261130000512",
        ),
        (
            "order_number",
            "我的订单号是 km2026 1130 000512 谢谢",
            "km20261130000512",
            "km20261130000512",
        ),
        ("amount", "一百二十块", "120", "120.00"),
        ("amount", "I paid 88.5 yuan for it", "88.50", "88.50"),
        ("amount", "付了大概两千五", "2500", "2500.00"),
        ("payment_time", "昨天下午三点左右", "2026-11-29 15:00", "2026-11-29T15:00:00+08:00"),
        ("cause", "卡密刷不出来，显示已经被人用过", "invalid_product", "invalid_product"),
    ],
)
async def test_field_guesses_that_pass(
    fake_llm: FakeLLM,
    make_gateway: GatewayFactory,
    step: str,
    text: str,
    model_says: str,
    expected: str,
) -> None:
    fake_llm.responder = scripted(field(model_says))
    guess = await extract_field(make_gateway(), step, text, CAUSES, now=NOW)
    assert guess is not None and guess.value == expected and guess.step is FieldStep(step)
    assert '<data kind="buyer_text">' in fake_llm.requests[-1]["messages"][1]["content"]


@pytest.mark.parametrize(
    ("step", "text", "reply"),
    [
        (
            "order_number",
            "my order number is KM20261130000512",
            field("KM20261130000599"),
        ),  # not what was typed
        ("order_number", "I lost it", field("ab")),  # not an order number
        ("amount", "一百二十块", field("1200")),  # not what was typed
        ("amount", "I paid 99999 yuan", field("99999")),  # over MAX_AMOUNT
        ("amount", "-5 yuan", field("-5")),
        ("payment_time", "明天", field("2026-12-01 10:00")),  # in the future
        ("payment_time", "long ago", field("2020-01-01 10:00")),  # too old
        ("payment_time", "yesterday", field("yesterday 3pm")),  # not the asked format
        ("cause", "卡密不能用", field("platform_delisting")),  # not an allowed cause
        ("cause", "卡密不能用", field("approve_refund")),
        ("cause", "卡密不能用", field("invalid_product", confidence=0.2)),  # unsure
        ("cause", "卡密不能用", field("invalid_product", found=False)),
        ("amount", "一百二十块", Fault("500")),
    ],
)
async def test_field_guesses_that_fall_back(
    fake_llm: FakeLLM, make_gateway: GatewayFactory, step: str, text: str, reply: object
) -> None:
    fake_llm.responder = scripted(reply)  # type: ignore[arg-type]
    gateway = make_gateway()
    assert await extract_field(gateway, step, text, CAUSES, now=NOW) is None
    assert gateway.counters.fallbacks == 1 and gateway.counters.ok == 0


async def test_no_gateway_means_no_call() -> None:
    assert await extract_field(None, "amount", "100", CAUSES) is None
    assert await classify_intent(None, "hi") is None
    assert await rewrite_query(None, "hi") is None
    assert await grounded_answer(None, "hi", []) is None
    assert await summarise_case(None, [], {}) is None


async def test_intent(fake_llm: FakeLLM, make_gateway: GatewayFactory) -> None:
    fake_llm.responder = scripted(
        Reply({"intent": "wants_person", "confidence": 0.95}),
        Reply({"intent": "question", "confidence": 0.3}),
    )
    gateway = make_gateway()
    intent = await classify_intent(gateway, "我要找kf")
    assert intent is not None and intent.kind is IntentKind.WANTS_PERSON
    assert await classify_intent(gateway, "嗯") is None  # unsure


@pytest.mark.parametrize(
    ("query", "accepted"),
    [
        ("退款 多久 到账", True),
        ("tk多久到帐", False),  # the same text
        ("", False),
        ("退款请访问 https://evil.example", False),
        ("退款 " * 80, False),  # far longer than the question
    ],
)
async def test_rewrite(
    fake_llm: FakeLLM, make_gateway: GatewayFactory, query: str, accepted: bool
) -> None:
    fake_llm.responder = scripted(Reply({"query": query}))
    result = await rewrite_query(make_gateway(), "tk多久到帐")
    assert (result == " ".join(query.split())) if accepted else result is None


@dataclass(frozen=True)
class Passage:
    id: str
    title: str
    text: str


PASSAGES = [
    Passage("arrival-times", "到账时间", "银行卡退款1-3个工作日到账，余额即时到账。"),
    Passage("fees", "手续费", "手续费不超过3%。"),
]


@pytest.mark.parametrize(
    ("answer", "cited", "expected"),
    [
        ("银行卡退款一般1-3个工作日到账。", ["arrival-times"], "银行卡退款一般1-3个工作日到账。"),
        (
            "详见 https://help.kamall.example/arrival ，银行卡1-3个工作日。",
            ["arrival-times"],
            "详见 https://help.kamall.example/arrival ，银行卡1-3个工作日。",
        ),
        (
            "银行卡1-3个工作日，详见 https://evil.example/x",
            ["arrival-times"],
            "银行卡1-3个工作日，详见",
        ),
        ("银行卡退款一般1-3个工作日到账。", [], None),  # cites nothing
        (
            "银行卡退款一般1-3个工作日到账。",
            ["arrival-times", "refund-scams"],
            None,
        ),  # not retrieved
        ("银行卡退款24小时到账。", ["arrival-times"], None),  # a time the passages do not give
        ("您的退款已批准，1-3个工作日到账。", ["arrival-times"], None),  # an approval
        ("手续费3%。", ["arrival-times"], None),  # backed only by a passage it does not cite
        ("", ["arrival-times"], None),
    ],
)
async def test_grounded_answer(
    fake_llm: FakeLLM,
    make_gateway: GatewayFactory,
    answer: str,
    cited: list[str],
    expected: str | None,
) -> None:
    fake_llm.responder = scripted(Reply({"answer": answer, "cited": cited}))
    result = await grounded_answer(make_gateway(), "银行卡退款多久到账", PASSAGES)
    assert (result.text if result else None) == expected
    if result:
        assert result.cited == tuple(cited)


async def test_an_answer_repeating_the_instructions_is_dropped(
    fake_llm: FakeLLM, make_gateway: GatewayFactory
) -> None:
    def echo_task(body: dict[str, Any]) -> Reply:
        system = body["messages"][0]["content"]
        return Reply({"answer": system[system.index("Task:") :][:300], "cited": ["arrival-times"]})

    fake_llm.responder = echo_task
    gateway = make_gateway()
    assert await grounded_answer(gateway, "银行卡退款多久到账", PASSAGES) is None
    assert gateway.counters.guardrails == {"prompt_leak": 1}


async def test_summary_states_only_numbers_from_the_case(
    fake_llm: FakeLLM, make_gateway: GatewayFactory
) -> None:
    policy = load_policy()
    facts = next(iter(sample_facts(policy)))
    decision = decide(policy, facts)
    events = [
        {"at": "2026-11-30 10:00", "who": "buyer", "text": "卡密无效，付了100元，手机13812345678"}
    ]
    good = f"买家称卡密无效，金额{facts.amount}元，规则结果：{decision.outcome}。"
    fake_llm.responder = scripted(
        Reply({"summary": good}), Reply({"summary": "买家付了999元，建议24小时内退款。"})
    )
    gateway = make_gateway()
    assert await summarise_case(gateway, events, facts, decision=decision, case_key="c1") == good
    sent = fake_llm.requests[-1]["messages"][1]["content"]
    assert "13812345678" not in sent and "138****5678" in sent and '"outcome"' in sent
    assert await summarise_case(gateway, events, facts, decision=decision) is None
    assert gateway.counters.guardrails == {"unbacked_claim": 1}
