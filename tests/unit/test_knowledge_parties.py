"""Who did what in a question: denied parties, the buyer's own use, a closed card, a
rejected appeal (the phrase rules of `bot.knowledge.synonyms`, applied by `expand_query`).

The questions here are written for these tests (none is a labelled question); each rule has
instances and hard negatives that share its words but mean something else.
"""

from __future__ import annotations

from functools import cache

import pytest

from bot.knowledge import KnowledgeBase
from bot.knowledge.normalise import normalise
from bot.knowledge.textproc import expand_query, own_use


@cache
def shipped() -> KnowledgeBase:
    return KnowledgeBase.load()


def _top(question: str) -> tuple[str | None, bool]:
    answer = shipped().ask(question)
    return (answer.sources[0].id if answer.sources else None), answer.confident


# --- denied parties ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "gone"),
    [
        ("说实话不是卖家的问题也不是我的问题 退款原因选哪个", ("商家", "我的问题")),
        ("既不是商家原因也不是我自己操作失误 这种怎么申请", ("商家", "我自己")),
        ("并非平台的责任 那算谁的", ("平台",)),
        ("its not the merchants fault and not my mistake either", ("merchant", "my mistake")),
        ("neither the seller fault nor my fault", ("seller", "my fault")),
    ],
)
def test_a_denied_party_leaves_the_question(question: str, gone: tuple[str, ...]) -> None:
    expanded = expand_query(question)
    for word in gone:
        assert word not in expanded
    # the question is still about a cause, of some other party
    assert "其他原因" in expanded or "other causes" in expanded
    # and the buyer-side words of "我的问题" / "my fault" are not added
    assert "买家原因" not in expanded and "buyer-side" not in expanded


@pytest.mark.parametrize(
    ("question", "kept"),
    [
        ("是不是商家的问题 我该选什么原因", "商家"),  # a question, not a denial
        ("可不是商家的问题吗", "商家"),
        ("怎么证明卡密不是我用掉的", "我"),  # a denial of use, not of blame
        ("this is not my order", "not my order"),
        ("is it my fault if i picked the wrong server", "buyer-side"),
        ("the merchant's fault, not mine", "merchant"),
    ],
)
def test_a_party_that_is_not_denied_stays(question: str, kept: str) -> None:
    expanded = expand_query(question)
    assert kept in expanded
    assert "其他原因" not in expanded and "other causes" not in expanded


@pytest.mark.parametrize(
    "question",
    [
        "既不是商家原因也不是我自己操作失误 这种怎么申请",
        "说实话不是卖家的问题也不是我的问题 退款原因选哪个",
        "it is not the merchants fault and not my mistake either, which reason do i choose",
    ],
)
def test_denying_both_parties_is_no_answer_about_either(question: str) -> None:
    top, _confident = _top(question)
    assert top == "causes-other"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("不是商家的问题 是平台系统出错了 能退吗", "causes-platform"),
        ("not my fault, the platform was down when i paid", "causes-platform"),
        ("is it my fault if i picked the wrong server", "causes-buyer"),
    ],
)
def test_the_party_that_remains_is_answered(question: str, expected: str) -> None:
    assert _top(question) == (expected, True)


# --- the buyer's own use against a claim or a denial of it ------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "i already activated the key, can i still get a refund",
        "我自己已经激活了 不想要了 能退吗",
        "卡密我已经兑换了 还能退款吗",
        "already used the membership, want my money back",
    ],
)
def test_the_buyers_own_use_is_used_goods(question: str) -> None:
    assert own_use(normalise(question))
    assert _top(question) == ("redeemed-goods", True)


@pytest.mark.parametrize(
    "question",
    [
        "商家说我已经激活了 可我根本没用",
        "seller says i redeemed the code but i never did",
        "i never used the code but it says already redeemed",
        "merchant insists i activated it, i did not",
    ],
)
def test_a_claimed_or_denied_use_is_a_disputed_redemption(question: str) -> None:
    assert own_use(normalise(question)) == []
    assert _top(question) == ("false-redemption", True)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how do i use this assistant", "how-to-use"),  # "use" without a past use
        ("what can i use to pay", None),
    ],
)
def test_use_without_a_past_use_is_no_own_use(question: str, expected: str | None) -> None:
    assert own_use(normalise(question)) == []
    if expected:
        assert _top(question)[0] == expected


# --- a closed card -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "我那张信用卡已经销户了 退款怎么办",
        "换了新卡 之前付款的卡注销了 钱退去哪",
        "my credit card was closed last month, where does the refund go",
        "closed my account at that bank, will the refund be lost",
    ],
)
def test_a_closed_card_is_a_refund_that_cannot_arrive(question: str) -> None:
    assert _top(question) == ("refund-not-received", True)


@pytest.mark.parametrize(
    "question",
    ["退到银行卡要多久", "my order was cancelled, when does the money come back"],
)
def test_a_cancelled_order_or_a_plain_card_is_arrival_times(question: str) -> None:
    assert _top(question) == ("arrival-times", True)


# --- a rejected appeal -------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    ["申诉被驳回了 还能找哪里投诉", "my appeal was rejected, who else can i complain to"],
)
def test_after_a_rejected_appeal_the_way_is_outside(question: str) -> None:
    assert _top(question) == ("outside-channels", True)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("my refund was rejected, can i appeal", "appeals"),
        ("退款被驳回了 还能申诉吗", "appeals"),
        ("商家拒绝退款 我还能找谁", "merchant-review"),
    ],
)
def test_a_rejected_refund_before_the_appeal_stays_inside(question: str, expected: str) -> None:
    assert _top(question) == (expected, True)
