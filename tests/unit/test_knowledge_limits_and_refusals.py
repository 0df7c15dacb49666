"""Buyer words for a time limit, the latest day to apply, a merchant who will not refund, what
a normal refund does, a game whose servers closed, buying a card, another way to go, an
unclear fault, goods unlike their page and a code used by somebody else (the tables of
`bot.knowledge.normalisation.toml` and `synonyms`).

The questions here are written for these tests (none is a labelled question); each rule has
instances and hard negatives that share its words but mean something else.
"""

from __future__ import annotations

import pytest

from bot.knowledge.evaluation import load_questions
from bot.knowledge.normalise import normalise
from bot.knowledge.textproc import expand_query
from tests.support.knowledge import top_answer as _ask
from tests.unit.test_knowledge_retrieval import QUESTIONS

INSTANCES = {
    # 啥时间 is "what time", not 啥时 (when) + 间: a time limit is the deadline; so is the
    # latest day to apply
    "deadlines": [
        "售后有啥时间限制",
        "最晚什么时候申请退款",
        "退款申请最晚几号前要提交",
        "售后最晚什么时候提",
    ],
    # the merchant refusing, and whom to turn to then, is the merchant review
    "merchant-review": [
        "商家不给退款怎么办",
        "商家不给退 该找谁",
        "商家不肯退 我去找谁",
        "商家不让退 还能找谁帮忙",
        "商家不给退 找谁说理",
    ],
    "real-refunds": [
        "正常退款会让我下载软件吗",
        "正常退款需要提供银行卡密码吗",
        "正常的退款会发链接给我吗",
        "正常退款是怎么操作的 会有人加我微信吗",
        "正常退款会让我扫码吗",
    ],
    "delisting": [
        "游戏停运了 买的月卡还能退吗",
        "这个游戏关服了 充的钱怎么办",
        "the game closed down last month, can i get my coins back",
        "the game shut down, will i get refunded for my top-up",
    ],
    "prevention": ["买卡要注意什么", "买卡之前要看哪些东西", "买卡怎么避免被骗"],
    # another way to go (路子) when the platform will not help: the outside channels
    "outside-channels": ["平台也不管了 还有什么路子", "申诉没用 平台不管 还有别的路子吗"],
    "causes-other": [
        "说不清是谁的责任 能退吗",
        "说不清是谁的 咋办",
        "说不清楚 是谁的原因也搞不明白 咋弄",
        "说不清是谁的错 要怎么填",
    ],
}


@pytest.mark.parametrize(
    ("question", "expected"),
    [(q, section) for section, questions in INSTANCES.items() for q in questions],
)
def test_buyer_words_find_their_section(question: str, expected: str) -> None:
    assert _ask(question) == (expected, True)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # the latest day of the money is the arrival time, not the deadline to apply
        ("退款最晚什么时候到账", "arrival-times"),
        ("退款成功了最晚几天到账", "arrival-times"),
        # how long a normal refund takes is the arrival time
        ("正常退款要多久到账", "arrival-times"),
        # the platform refusing is no merchant review
        ("平台不给退 去哪投诉", "outside-channels"),
        # buying a card that never came is an undelivered order
        ("买卡付了钱一直没发货", "undelivered"),
        # a server down for maintenance is the platform's fault, not goods withdrawn
        ("服务器维护 充值一直没到账", "causes-platform"),
    ],
)
def test_the_same_words_in_another_question_keep_its_topic(question: str, expected: str) -> None:
    assert _ask(question)[0] == expected


@pytest.mark.parametrize(
    "question",
    ["卖家说卡密已经用了所以不给退", "the merchant's store closed down and my code never came"],
)
def test_a_refusal_or_a_closed_shop_is_no_merchant_review_or_delisting(question: str) -> None:
    assert _ask(question)[0] not in ("merchant-review", "delisting")


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("啥时间限制", "什么时间限制"),
        ("啥时候到账", "什么时候到账"),
        ("啥时到账", "什么时候到账"),
        ("游戏关服了", "游戏停服了"),
        ("游戏停运了", "游戏停服了"),
    ],
)
def test_spellings_are_folded(written: str, folded: str) -> None:
    assert normalise(written) == folded


def test_none_of_these_questions_is_labelled() -> None:
    labelled = {q.q for q in load_questions(QUESTIONS)}
    written = {q for questions in INSTANCES.values() for q in questions}
    assert not written & labelled


# goods unlike what their page says are the merchant's "description mismatch"; a code used or
# redeemed by somebody else is the false redemption. Both sections were already first for
# these questions; the phrases add the texts' words the buyer did not write.
@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("收到的会员卡有效期跟商品页写的不一样", "描述不符"),
        ("发来的卡和商品页写的不一样 怎么办", "描述不符"),
        ("到手的月卡跟描述不一样 能退吗", "描述不符"),
        ("卡密被用了 不是我用掉的", "虚假核销"),
        ("怎么证明兑换码不是我兑换的", "虚假核销"),
    ],
)
def test_unlike_the_page_or_used_by_somebody_else_in_the_texts_words(
    question: str, words: str
) -> None:
    assert words in expand_query(question)
    assert _ask(question)[0] in ("causes-merchant", "delivered-not-redeemed", "false-redemption")


@pytest.mark.parametrize(
    "question",
    [
        "充到的不是我用的账号",  # an account, not a code
        "这个号不是我激活的那个 充错了",  # the wrong account topped up
        "商品页写的价格 跟我付的一样",  # the same, not unlike
    ],
)
def test_an_account_or_a_match_is_no_mismatch_or_false_redemption(question: str) -> None:
    expanded = expand_query(question)
    assert "虚假核销" not in expanded and "描述不符" not in expanded
    assert _ask(question)[0] != "false-redemption"
