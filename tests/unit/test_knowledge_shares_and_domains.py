"""Buyer words for a share kept from the refund, a fee nobody mentioned, a domain asked
about, an error in the payment step, somebody calling himself support, and an account's
settings (the tables of `bot.knowledge.synonyms`, `normalisation.toml` and
`unserved_requests.toml`).

The questions here are written for these tests (none is a labelled question); each rule has
instances and hard negatives that share its words but mean something else.
"""

from __future__ import annotations

import pytest

from bot.knowledge.gate import unserved_request
from bot.knowledge.normalise import normalise
from bot.knowledge.textproc import expand_query
from tests.support.knowledge import top_answer as _ask

# --- a share of the refund kept back ---------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "they took 20 percent from my refund",
        "why do they keep 5 percent of my refund",
        "seller kept 10 percent of the refund, is that allowed",
        "why they take 10 percent from my refund, i cancelled because i dont need it",
    ],
)
def test_a_share_kept_from_the_refund_is_the_fees_question(question: str) -> None:
    assert _ask(question) == ("fees", True)


@pytest.mark.parametrize(
    "question",
    [
        "nobody told me about a fee and they kept some of my refund",
        "i only received 90 of my 100 refund, nobody told me about the fee",
        "only got 270 of 300 back, they never told me about the fee",
    ],
)
def test_a_fee_nobody_mentioned_is_the_disclosure_question(question: str) -> None:
    assert _ask(question) == ("fee-disclosure", True)


def test_nobody_telling_about_something_else_is_no_fee_question() -> None:
    assert _ask("no one told me the order was cancelled")[0] not in {"fees", "fee-disclosure"}


def test_a_discount_in_percent_is_no_fee_kept() -> None:
    assert _ask("got 10 percent off with a coupon, can i still refund")[0] != "fees"


# --- a domain asked about -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelt", "written"),
    [
        ("refund-help dot com", "refund-help .com"),
        ("refundhub dot cn", "refundhub .cn"),
        ("kefu dot top", "kefu .top"),
    ],
)
def test_a_domain_spelt_out_is_a_domain(spelt: str, written: str) -> None:
    assert normalise(spelt) == written


@pytest.mark.parametrize(
    "question",
    [
        "is refund-center dot net legit",
        "is refundhub dot cn official? got it in a text",
        "is steam-refunds.xyz real",
    ],
)
def test_whether_a_domain_is_genuine_is_the_fake_links_question(question: str) -> None:
    assert _ask(question) == ("fake-links", True)


@pytest.mark.parametrize(
    "question",
    [
        "bought on amazon.com, code not working",
        "i paid on the official site dot com and got no code",
        "is this seller legit",
    ],
)
def test_a_domain_without_its_genuineness_is_no_link_question(question: str) -> None:
    assert _ask(question)[0] != "fake-links"


def test_dot_inside_a_word_is_no_domain() -> None:
    assert normalise("the dotcom era") == "the dotcom era"


# --- an error in the payment step ----------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "got a payment error, was i charged?",
        "the app showed a payment error and the money was taken",
        "payment error while paying and money gone from my card",
        "payment error showed up, money left my card, no order in my list",
        "payment error message but my bank shows the money taken and there is no order",
    ],
)
def test_a_payment_error_is_a_payment_problem(question: str) -> None:
    assert _ask(question) == ("causes-payment", True)


def test_money_gone_after_a_phishing_link_stays_with_the_scam() -> None:
    question = "i clicked a link and typed my card info and now money gone what do i do"
    assert _ask(question) == ("if-scammed", True)


# --- somebody calling himself support ------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "有客服自称平台的打电话让我扫码退款 是真的吗",
        "自称是客服的人让我扫qr码 这是诈骗吗",
        "有个人说我的会员开错了 每个月自动扣钱 让我跟着操作",
    ],
)
def test_somebody_calling_himself_support_is_the_scams_question(question: str) -> None:
    assert _ask(question) == ("scams", True)


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("有人自称客服打电话给我", "冒充"),
        ("一个自称是客服的人加我微信", "冒充"),
        ("自称平台的人说要验证", "冒充"),
        ("每个月自动扣钱 怎么回事", "每月"),
        ("说不关的话会自动扣钱", "扣费"),
        ("让我扫qr code", "二维码"),
    ],
)
def test_the_words_of_the_impersonation_call_are_the_texts_words(question: str, words: str) -> None:
    assert words in expand_query(question).split()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("二维码付款扣了两次钱", "duplicate-charge"),
        ("扫qr付款后订单没出来", "payment-sync-delay"),
        ("客服是真的吗 怎么联系官方客服", "official-support"),
        ("买错了面值 每个月都要买 能退吗", "causes-buyer"),
    ],
)
def test_a_qr_code_or_real_support_in_another_question_keeps_its_topic(
    question: str, expected: str
) -> None:
    assert _ask(question)[0] == expected


# --- an account's settings -----------------------------------------------------------------

ACCOUNT_SETTINGS = "change the settings of an account"


@pytest.mark.parametrize(
    "question",
    [
        "how to reset my steam password",
        "where can i update my email address",
        "怎么改登录密码",
        "如何修改账号绑定的手机号",
        "找回密码怎么弄",
    ],
)
def test_an_accounts_settings_are_not_served(question: str) -> None:
    assert unserved_request(question) == ACCOUNT_SETTINGS
    assert not _ask(question)[1]


@pytest.mark.parametrize(
    "question",
    [
        "怎么改手机号 充值填错了",
        "how do i change the phone number for my top-up, i typed it wrong",
        "how can i change the phone number, i entered the wrong one",
        "seller asked me to change my password, is it a scam",
        "卡密提示密码错误",
        "real refund need my password or sms code?",
    ],
)
def test_a_password_or_number_in_scope_is_no_settings_request(question: str) -> None:
    assert unserved_request(question) is None
    assert _ask(question)[1]
