"""The language model's second opinion on messages the fraud checks are unsure about: asked
only in the unsure band, at most once per buyer message, under the gateway's guardrails;
it can raise an unsure verdict to medium, never lower one, never decide alone."""

from __future__ import annotations

import pytest

from bot.domain.fraud import Detector, Risk, Verdict
from bot.domain.fraud.detector import technique_ids, unsure
from bot.llm import turn
from bot.llm.uses import classify_intent
from bot.services.scam import fraud_texts
from bot.telegram.fraud import second_opinion
from tests.fakellm import FakeLLM, Fault, Reply, scripted
from tests.llm.conftest import GatewayFactory

# the other layers find something here, not enough to warn (risk low)
# a charity appeal with no payee: only the classifier finds something (low)
UNSURE = "孩子住院急需手术费，爱心人士帮帮忙，谢谢好心人"
CLEAN = "今天天气不错，晚上一起吃饭吗"
HIGH = "我是淘宝客服，退款需要您把验证码发给我"


def says(scam: bool, technique: str = "none", confidence: float = 0.9) -> Reply:
    return Reply({"scam": scam, "technique": technique, "confidence": confidence})


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(texts=fraud_texts())


@pytest.fixture(scope="module")
def unsure_verdict(detector: Detector) -> Verdict:
    verdict = detector.scan_text(UNSURE)
    assert unsure(verdict), verdict.risk  # the premise of these tests
    return verdict


async def test_an_unsure_message_the_model_calls_a_scam_becomes_medium(
    fake_llm: FakeLLM, make_gateway: GatewayFactory, detector: Detector, unsure_verdict: Verdict
) -> None:
    fake_llm.responder = scripted(says(True, "fake_charity"))
    verdict = await second_opinion(detector, unsure_verdict, UNSURE, make_gateway())
    assert verdict.risk is Risk.MEDIUM
    finding = verdict.findings[0]
    assert finding.check == "model.second_opinion" and "fake_charity" in finding.detail
    assert finding.explain["zh"] and finding.explain["en"]
    assert "0.90" in verdict.advice["en"]
    # one call, the technique list in the prompt, the buyer's phone number masked
    assert len(fake_llm.requests) == 1
    sent = str(fake_llm.requests[0]["messages"])
    assert "fake_charity" in sent and "13800138000" not in sent


async def test_the_model_saying_no_changes_nothing(
    fake_llm: FakeLLM, make_gateway: GatewayFactory, detector: Detector, unsure_verdict: Verdict
) -> None:
    fake_llm.responder = scripted(says(False, confidence=0.95))
    verdict = await second_opinion(detector, unsure_verdict, UNSURE, make_gateway())
    assert verdict is unsure_verdict


async def test_an_unsure_model_does_not_raise(
    fake_llm: FakeLLM, make_gateway: GatewayFactory, detector: Detector, unsure_verdict: Verdict
) -> None:
    fake_llm.responder = scripted(says(True, "fake_charity", confidence=0.6))
    verdict = await second_opinion(detector, unsure_verdict, UNSURE, make_gateway())
    assert verdict is unsure_verdict


async def test_a_message_no_layer_flagged_is_not_asked_about(
    fake_llm: FakeLLM, make_gateway: GatewayFactory, detector: Detector
) -> None:
    fake_llm.responder = scripted(says(True, "blackmail", confidence=1.0))
    clean = detector.scan_text(CLEAN)
    verdict = await second_opinion(detector, clean, CLEAN, make_gateway())
    assert verdict.risk is Risk.NONE and not fake_llm.requests


async def test_a_high_verdict_is_never_asked_about_nor_lowered(
    fake_llm: FakeLLM, make_gateway: GatewayFactory, detector: Detector
) -> None:
    fake_llm.responder = scripted(says(False, confidence=1.0))
    high = detector.scan_text(HIGH)
    assert high.risk is Risk.HIGH
    verdict = await second_opinion(detector, high, HIGH, make_gateway())
    assert verdict is high and not fake_llm.requests
    # and the domain merge itself never lowers nor raises past medium
    assert detector.with_second_opinion(high, 0.0) is high
    assert detector.with_second_opinion(high, 1.0) is high


async def test_a_timeout_falls_back_to_the_verdict_of_the_other_layers(
    fake_llm: FakeLLM, make_gateway: GatewayFactory, detector: Detector, unsure_verdict: Verdict
) -> None:
    fake_llm.responder = scripted(Fault("timeout", delay=1.0))
    gateway = make_gateway(timeout_seconds=0.3)
    verdict = await second_opinion(detector, unsure_verdict, UNSURE, gateway)
    assert verdict is unsure_verdict
    assert gateway.counters.errors["timeout"] == 1


@pytest.mark.parametrize(
    "lie",
    [
        says(True, "wire_me_money"),  # a technique that is not in the taxonomy
        says(True, "none"),  # "scam" without a technique
        says(False, "blackmail"),  # a technique without "scam"
        Reply({"scam": "definitely", "confidence": 7}),  # not the schema
    ],
)
async def test_a_lying_or_broken_model_is_ignored(
    fake_llm: FakeLLM,
    make_gateway: GatewayFactory,
    detector: Detector,
    unsure_verdict: Verdict,
    lie: Reply,
) -> None:
    fake_llm.responder = scripted(lie)
    verdict = await second_opinion(detector, unsure_verdict, UNSURE, make_gateway())
    assert verdict is unsure_verdict


async def test_one_model_call_per_buyer_message(
    fake_llm: FakeLLM, make_gateway: GatewayFactory, detector: Detector, unsure_verdict: Verdict
) -> None:
    fake_llm.responder = scripted(says(True, "fake_charity"))
    gateway = make_gateway(require_turn=True)
    with turn("1:1"):
        verdict = await second_opinion(detector, unsure_verdict, UNSURE, gateway)
        assert verdict.risk is Risk.MEDIUM
        # the message's call is spent: the fallback handler's intent call is refused
        assert await classify_intent(gateway, UNSURE) is None
    with turn("1:2"):
        await classify_intent(gateway, "hello")  # the next message spends its own call here
        # a message whose call was already spent gets no second opinion
        assert await second_opinion(detector, unsure_verdict, UNSURE, gateway) is unsure_verdict
    assert len(fake_llm.requests) == 2
    assert gateway.counters.refused["budget"] == 2


def test_the_prompt_lists_every_technique_of_the_taxonomy() -> None:
    from bot.llm.prompts import render

    system = render("classify_scam.system", marker="m", schema_hint="", techniques=technique_ids())
    assert all(t in system for t in technique_ids())
