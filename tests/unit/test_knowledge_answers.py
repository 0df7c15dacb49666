"""Answers: the fact asked for in the first sentence, taken from the passage, with the titles
of the sections it came from and never an internal id; small talk from the knowledge base."""

from __future__ import annotations

import re
from functools import cache

import pytest

from bot.knowledge import KnowledgeBase
from bot.knowledge.answers import asked_kinds, fact_kinds, lead_sentence, sentences


@cache
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("退到银行卡要几天", "2–5 个工作日"),
        ("手续费最多扣多少", "10%"),
        ("申诉期限是几天", "7 天"),
        ("商家多久不处理会强制退款", "24 小时"),
        ("待付款的订单怎么取消", "取消订单"),
        ("被骗了怎么办", "立即联系银行"),
        ("refund to wechat pay, how long?", "next day"),
        ("how much is deducted if I cancel", "10%"),
        ("how do I appeal", "within 7 days"),
        ("where do I apply for a refund", "order page"),
    ],
)
def test_the_first_sentence_states_the_fact_asked(question: str, fact: str) -> None:
    answer = kb().ask(question)
    assert answer.confident
    first = answer.answer.split("\n")[0]
    assert fact in first, answer.answer
    assert first == answer.lead
    # taken from the passage: the lead is one of the section's own sentences
    top = answer.sources[0]
    assert any(
        answer.lead.rstrip("。.") in s or s.rstrip("；;。.") in answer.lead
        for s in sentences(top.text, answer.lang)
    )


@pytest.mark.parametrize(
    "question", ["退到银行卡要几天", "怎么申诉", "I was charged twice", "is this link safe"]
)
def test_answers_name_section_titles_never_ids(question: str) -> None:
    answer = kb().ask(question)
    ids = kb().section_ids()
    assert answer.sources[0].title in answer.answer.splitlines()[-1]
    assert not any(
        re.search(rf"(?<![\w-]){re.escape(sid)}(?![\w-])", answer.answer)
        for sid in ids
        if "-" in sid
    )
    assert "#" not in answer.answer


def test_a_quotation_or_a_list_introduction_is_not_the_lead() -> None:
    text = "骗子常这样说：\n- “先交解冻费才能退款”；\n遇到这些：先停下，不要转账。"
    assert lead_sentence("有人让我交解冻费", text, "zh").startswith("遇到这些")


def test_question_kinds() -> None:
    assert asked_kinds("退款多久到账") == {"time"}
    assert "money" in asked_kinds("how much is the fee")
    assert "step" in asked_kinds("被骗了怎么办")
    assert asked_kinds("你好") == frozenset()
    assert "time" in fact_kinds("银行卡 2–5 个工作日") and "money" in fact_kinds("最多 10%")
    assert fact_kinds("订单状态说明") == frozenset()


@pytest.mark.parametrize(
    ("message", "section"),
    [
        ("你好", "greeting"),
        ("您好，在吗？", "greeting"),
        ("hi there!", "greeting"),
        ("谢谢！", "thanks"),
        ("好的，谢谢", "thanks"),
        ("thanks a lot 🙏", "thanks"),
        # an address word after the courtesy
        ("thanks man", "thanks"),
        ("ok thanks dude!", "thanks"),
        ("hi bro", "greeting"),
        ("谢谢，亲", "thanks"),
    ],
)
def test_small_talk_is_answered_from_the_knowledge_base(message: str, section: str) -> None:
    answer = kb().ask(message)
    assert answer.confident and [s.id for s in answer.sources] == [section]
    assert answer.answer == kb().section(section, answer.lang).text  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("message", "section"),
    [
        ("你好，退款多久到账", "arrival-times"),
        ("hello, my refund was rejected, can i appeal", "appeals"),
        ("谢谢，那手续费最多扣多少", "fees"),
        ("您好，在吗，手续费", "fees"),  # the greeting's words would halve the gate's score
        ("hi there, fees?", "fees"),
    ],
)
def test_a_courtesy_in_front_of_a_question_is_dropped(message: str, section: str) -> None:
    answer = kb().ask(message)
    assert answer.confident and answer.sources[0].id == section


@pytest.mark.parametrize(
    ("message", "section"),
    [
        ("订单号在哪", "order-number"),
        ("where do i find my order number", "order-number"),
        ("这个助手怎么用", "how-to-use"),
        ("what can you do", "how-to-use"),
        ("你是官方客服吗", "official-support"),
        ("is this the official support?", "official-support"),
        # is anybody there, said with the hour
        ("在吗 有人没 大半夜的", "greeting"),
        ("有没有人啊 这么晚了", "greeting"),
        ("还有人吗？？这个点", "greeting"),
        ("hello anyone there at this hour", "greeting"),
        ("is anybody there?", "greeting"),
        ("are you still there", "greeting"),
    ],
)
def test_meta_questions(message: str, section: str) -> None:
    answer = kb().ask(message)
    assert answer.confident and answer.sources[0].id == section


@pytest.mark.parametrize(
    "message",
    [
        "你好我想问一下天气",
        "hello world program in python",
        "谢谢你的诗",
        # a question after "is anybody there" is searched, not greeted
        "有人吗 退款多久到账",
        "anyone there? my refund has not arrived",
        "有人说卡密被用过了 能退吗",
    ],
)
def test_small_talk_hard_negatives(message: str) -> None:
    answer = kb().ask(message)
    assert not answer.sources or answer.sources[0].id not in ("greeting", "thanks")


@pytest.mark.parametrize(
    ("message", "section"),
    [
        ("联系客服", "contact-support"),
        ("human", "contact-support"),
        ("refund bro", "process"),
    ],
)
def test_an_address_word_is_dropped_only_after_a_courtesy(message: str, section: str) -> None:
    """Hard negatives: a section's alias that ends with an address word's letters
    ("联系客服", "human") is still that alias and no courtesy, and an address word after a
    section's alias ("refund bro") leaves the alias."""
    answer = kb().ask(message)
    assert answer.confident and answer.sources[0].id == section
    assert kb().smalltalk.match(message, answer.lang) is None
    assert kb().smalltalk.alias(message, answer.lang) == section


@pytest.mark.parametrize(
    ("message", "searched"),
    [
        # a one-character courtesy (好, 在, 嗨, 谢) that starts a word is the word's
        ("好评返现是真的吗", "好评返现是真的吗"),
        ("在线客服怎么找", "在线客服怎么找"),
        ("谢绝退款合法吗", "谢绝退款合法吗"),
        ("你好好评返现是真的吗", "好评返现是真的吗"),
        # hard negatives: a courtesy followed by a separator or by a longer courtesy is dropped
        ("好，退款多久到账", "退款多久到账"),
        ("在 退款多久到账", "退款多久到账"),
        ("嗨~手续费多少", "手续费多少"),
        ("在吗在吗手续费多少", "手续费多少"),
        ("好的好的 退款多久到", "退款多久到"),
    ],
)
def test_a_one_character_courtesy_is_dropped_only_before_a_separator(
    message: str, searched: str
) -> None:
    assert kb().smalltalk.strip(message, "zh") == searched
