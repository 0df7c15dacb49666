"""The combination of the bot's own readings with a model's: a model only fills gaps."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest

from bot.domain.intake import parse_amount
from bot.llm.combine import REWRITE_MIN_CONFIDENCE, ask_with_rewrite, read_cause, read_field
from bot.llm.schemas import FieldStep
from tests.fakellm import FakeLLM, Reply, random_answers, scripted
from tests.llm.conftest import GatewayFactory

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
PARSE_AMOUNT = partial(parse_amount, maximum=Decimal("50000"))


async def test_the_parser_wins_and_the_model_is_not_asked(
    fake_llm: FakeLLM, make_gateway: GatewayFactory
) -> None:
    fake_llm.responder = scripted(Reply({"found": True, "value": "999", "confidence": 1.0}))
    reading = await read_field(make_gateway(), FieldStep.AMOUNT, "¥100", PARSE_AMOUNT)
    assert reading is not None and reading.value == "100.00" and reading.source == "parser"
    assert not reading.needs_confirmation and not fake_llm.requests


async def test_the_model_fills_a_gap_and_needs_confirmation(
    fake_llm: FakeLLM, make_gateway: GatewayFactory
) -> None:
    fake_llm.responder = scripted(Reply({"found": True, "value": "120", "confidence": 0.9}))
    reading = await read_field(make_gateway(), FieldStep.AMOUNT, "一百二十块", PARSE_AMOUNT)
    assert reading is not None and reading.value == "120.00" and reading.needs_confirmation


async def test_keywords_win_over_the_model(fake_llm: FakeLLM, make_gateway: GatewayFactory) -> None:
    fake_llm.responder = scripted(
        Reply({"found": True, "value": "changed_mind", "confidence": 1.0})
    )
    gateway = make_gateway()
    reading = await read_cause(gateway, "卡密无效", ["invalid_product", "changed_mind"])
    assert (
        reading is not None and reading.value == "invalid_product" and reading.source == "keywords"
    )
    assert not fake_llm.requests
    reading = await read_cause(gateway, "嗯，就是那个，你懂的", ["invalid_product", "changed_mind"])
    assert reading is not None and reading.value == "changed_mind" and reading.needs_confirmation


@dataclass
class Src:
    id: str


@dataclass
class Ans:
    confident: bool
    sources: list[Src]
    confidence: float


@dataclass
class FakeKB:
    answers: dict[str, Ans]
    asked: list[str] = field(default_factory=list)

    def ask(self, question: str, lang: str | None = None) -> Ans:
        self.asked.append(question)
        return self.answers[question]


@pytest.mark.parametrize(
    ("first", "second", "expect_second", "expect_call"),
    [
        (
            Ans(True, [Src("a")], 0.9),
            Ans(True, [Src("a")], 0.9),
            False,
            False,
        ),  # confident: no call
        (
            Ans(False, [Src("a")], 0.1),
            Ans(True, [Src("a")], 0.9),
            False,
            False,
        ),  # off-topic: no call
        (
            Ans(False, [Src("a")], 0.35),
            Ans(True, [Src("a")], 0.9),
            True,
            True,
        ),  # unsure, agrees: taken
        (
            Ans(False, [Src("a")], 0.35),
            Ans(True, [Src("b")], 0.9),
            False,
            True,
        ),  # disagrees: first kept
        (Ans(False, [Src("a")], 0.35), Ans(False, [Src("a")], 0.3), False, True),  # still unsure
        (
            Ans(False, [Src("a")], 0.6),
            Ans(True, [Src("a")], 0.9),
            False,
            False,
        ),  # its words are covered, close sections compete: no call
    ],
)
async def test_rewrite_only_lifts_an_unsure_answer_it_agrees_with(
    fake_llm: FakeLLM,
    make_gateway: GatewayFactory,
    first: Ans,
    second: Ans,
    expect_second: bool,
    expect_call: bool,
) -> None:
    assert REWRITE_MIN_CONFIDENCE == 0.3
    fake_llm.responder = scripted(Reply({"query": "退款 到账 时间"}))
    kb = FakeKB({"tk多久到帐": first, "退款 到账 时间": second})
    result = await ask_with_rewrite(make_gateway(), kb, "tk多久到帐")
    assert result is (second if expect_second else first)
    assert bool(fake_llm.requests) is expect_call


@pytest.mark.parametrize(
    "question",
    ["my amazon parcel not arrived", "帮我写一段代码 退款用的", "recommend me a good phone"],
)
async def test_a_question_a_rule_rules_out_is_never_rewritten(
    fake_llm: FakeLLM, make_gateway: GatewayFactory, question: str
) -> None:
    """Another business's refund or a request the assistant does not serve scores below the
    rewrite's floor: no model rewrite may make it look answerable."""
    from bot.knowledge import KnowledgeBase

    fake_llm.responder = scripted(Reply({"query": "退款多久到账"}))
    result = await ask_with_rewrite(make_gateway(), KnowledgeBase.load(), question)
    assert not result.confident
    assert result.confidence < REWRITE_MIN_CONFIDENCE
    assert not fake_llm.requests


@pytest.mark.parametrize("seed", [11, 12])
async def test_a_random_model_is_never_worse_on_fields_and_causes(seed: int) -> None:
    import eval_llm

    no_model = (
        eval_llm._score(await eval_llm._fields(None)),
        eval_llm._score(await eval_llm._causes(None)),
    )
    async with FakeLLM(random_answers(seed)) as server:
        from bot.llm.gateway import Gateway

        gateway = Gateway(
            base_url=server.base_url, model="random", timeout_seconds=5, max_retries=0
        )
        with_model = (
            eval_llm._score(await eval_llm._fields(gateway)),
            eval_llm._score(await eval_llm._causes(gateway)),
        )
    assert gateway.counters.calls > 20
    for before, after in zip(no_model, with_model, strict=True):
        assert after["correct"] >= before["correct"] and after["wrong_own"] == before["wrong_own"]


async def test_the_second_opinion_on_scams_is_bounded_by_the_unsure_band() -> None:
    """A model answering at random never costs a caught scam and can only raise messages in
    the unsure band; a model that always knows the label catches every scam in it."""
    import eval_llm

    from bot.llm.gateway import Gateway

    no_model = await eval_llm._scams(None)
    band = no_model["unsure_band"]
    assert band["scams"] + band["harmless"] > 0  # the premise: something to settle
    async with FakeLLM(random_answers(5)) as server:
        gateway = Gateway(
            base_url=server.base_url, model="random", timeout_seconds=5, max_retries=0
        )
        at_random = await eval_llm._scams(gateway)
    assert at_random["scams_warned"] >= no_model["scams_warned"]
    assert at_random["harmless_warned"] <= no_model["harmless_warned"] + band["harmless"]
    oracle = eval_llm.Oracle()
    async with FakeLLM(oracle) as server:
        gateway = Gateway(
            base_url=server.base_url, model="oracle", timeout_seconds=5, max_retries=0
        )
        perfect = await eval_llm._scams(gateway, oracle)
    assert perfect["scams_warned"] == no_model["scams_warned"] + band["scams"]
    assert perfect["harmless_warned"] == no_model["harmless_warned"]
