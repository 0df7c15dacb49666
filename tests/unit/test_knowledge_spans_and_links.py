"""Buyer words for a span of time, a link's legitimacy, bare use verbs and "how do I use
this thing" (the tables of `bot.knowledge.normalisation.toml`, `synonyms` and
`meta_questions.toml`).

The questions here are written for these tests (none is a labelled question); each rule has
instances and hard negatives that share its words but mean something else.
"""

from __future__ import annotations

import pytest

from bot.knowledge.normalise import normalise
from bot.knowledge.textproc import own_use
from tests.support.knowledge import top_answer as _ask

# --- a span of time: 礼拜 and 星期 are weeks ---------------------------------------------


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("一个礼拜", "一周"),
        ("两个礼拜", "两周"),
        ("一个星期", "一周"),
        ("三个星期", "三周"),
        ("礼拜天", "周日"),
        ("星期日", "周日"),
    ],
)
def test_a_spoken_week_is_a_week(spoken: str, written: str) -> None:
    assert normalise(spoken) == written


@pytest.mark.parametrize(
    "question",
    [
        "过了一个星期了还能申请退款吗",
        "买了半个月了还能退吗",
        "都两周了还能申请退款吗",
        "bought it 2 weeks ago, still refundable?",
        "ordered a month ago, is it still eligible for a refund",
    ],
)
def test_weeks_since_the_order_ask_about_the_deadline(question: str) -> None:
    assert _ask(question) == ("deadlines", True)


@pytest.mark.parametrize(
    "question",
    [
        "买了两个礼拜了还能退吗",
        "下单三个礼拜了还能申请售后吗",
    ],
)
def test_weeks_in_the_spoken_form_rank_the_deadline_first(question: str) -> None:
    assert _ask(question)[0] == "deadlines"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # the span is when it happened, the question is about something else
        ("重复扣款两个礼拜了还没退回来", "duplicate-charge"),
        ("paid a week ago, still no code", "undelivered"),
        ("charged twice a week ago, refund?", "duplicate-charge"),
        # days are also the review and appeal windows
        ("结果出来十天了还能申诉吗", "appeals"),
    ],
)
def test_a_span_in_another_question_keeps_its_topic(question: str, expected: str) -> None:
    assert _ask(question)[0] == expected


# --- is this link / site legit ----------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "is this website safe refund-center.net someone sent it",
        "is the link real? it says steam refund",
        "is this site legit, they asked me to log in",
        "got a refund link in a text, is it safe to click",
    ],
)
def test_whether_a_link_is_genuine_is_the_fake_links_question(question: str) -> None:
    assert _ask(question) == ("fake-links", True)


@pytest.mark.parametrize("question", ["is this seller legit", "is this platform legit"])
def test_a_legit_seller_or_platform_is_no_link_question(question: str) -> None:
    assert _ask(question)[0] != "fake-links"


# --- a bare use verb at the start, and not wanting the goods any more ----------------------


@pytest.mark.parametrize(
    "question",
    [
        "activated the vip yesterday and dont need it now, refund?",
        "used the code already, dont want the rest, can i return it",
        "redeemed the gift card but dont want it anymore",
        "i activated the membership but dont want it any more",
    ],
)
def test_a_bare_use_verb_is_the_buyers_own_use(question: str) -> None:
    assert own_use(normalise(question))
    assert _ask(question)[0] == "redeemed-goods"


@pytest.mark.parametrize(
    "question",
    [
        "seller says i activated it but i didnt",
        "never used the code, seller says it was redeemed",
        "activated the membership but it says invalid",
        "used to buy here, is this seller ok",
        "i dont use the code, can i refund",
    ],
)
def test_a_claimed_or_denied_use_is_no_own_use(question: str) -> None:
    assert own_use(normalise(question)) == []


# --- how do I use this thing ----------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    ["这东西怎么用", "这个东西咋操作啊", "这玩意儿该怎么用", "hw do i use this", "hw do i use u"],
)
def test_how_to_use_the_thing_itself(question: str) -> None:
    assert _ask(question) == ("how-to-use", True)


@pytest.mark.parametrize(
    "question",
    ["这卡密咋用", "这东西怎么用不了", "这玩意儿怎么退款"],
)
def test_how_to_use_a_named_thing_is_no_question_about_the_assistant(question: str) -> None:
    assert _ask(question)[0] != "how-to-use"
