"""Batch 9's two techniques still missed, as techniques with zh/en instances and hard negatives:

- a cheat, glitch or generator promising game currency free or for next to nothing, with the
  "tool" on a site: the scam line, and with a link the same as a refund offer before a link;
- gift cards named as the only way to pay a fee, a leave or a debt (the romance and
  "stranded abroad" scripts): no real body takes them, so it is a request for the goods.

Every text is a new instance written for these tests, none a data file's sentence.
"""

from __future__ import annotations

from bot.domain.fraud import Detector, Risk

from .conftest import assert_caught

CHEAT_TOOL = (
    "Free Robux generator 2025, unlimited robux in 2 minutes, tool at rbx-gen-free.xyz",
    "V-bucks glitch still working!! 13500 vbucks for $0.99 → fn-vbucks-glitch.top hurry before patch",
    "王者荣耀点券漏洞，1元秒到1000点券，教程和工具在这 wzry-dq.top",
    "原神创世结晶卡bug，白嫖6480结晶，工具下载 ys-bug.icu",
)
CHEAT_HARMLESS = (
    "The devs patched the glitch that gave free gems and banned the accounts that used it",
    "游戏充值出bug了，钻石没到账，客服说24小时内补发",
    "Anyone else hit the inventory glitch after the update? My coins are fine though",
    "外挂党又被封号了一批，官方公告里有名单",
)
CARD_PAYMENT = (
    "My love, the customs fee for my package can only be paid with iTunes gift cards, please help me",
    "Darling, my flight ticket home must be paid with Google Play cards, I will pay you back",
    "亲爱的，部队探亲假只能用苹果礼品卡支付，你帮我买几张",
    "宝贝，这边医院押金必须用Steam卡缴纳，我回国就还你",
)
CARD_HARMLESS = (
    "I paid for the DLC with a Steam gift card my brother gave me",
    "You can pay with Steam Wallet gift cards at checkout",
    "我用京东E卡付了电费，挺方便的",
    "生日礼物送了他一张Steam卡，他很喜欢",
)


def test_a_cheat_tool_promising_game_currency_is_caught(
    rules: Detector, detector: Detector
) -> None:
    assert_caught(rules, detector, CHEAT_TOOL, CHEAT_HARMLESS, at=Risk.MEDIUM)


def test_gift_cards_as_the_only_way_to_pay_are_caught(rules: Detector, detector: Detector) -> None:
    assert_caught(rules, detector, CARD_PAYMENT, CARD_HARMLESS, at=Risk.MEDIUM)


# gift cards named as the only way to pay, said after the payment ("pay with … gift cards only")
CARD_ONLY = (
    "Concert tickets at face value, pay with Steam gift cards only, I'll send the PDFs after",
    "Selling my old console, pay by Google Play cards only, no PayPal",
)
CARD_ONLY_HARMLESS = (
    "I bought the tickets and paid with a gift card only because my credit card was blocked",
    "The shop accepts payment by gift cards only on weekends, weird rule",
    "I'd pay with gift cards only if the store gave a discount",
)
# an urgent renewal or a wallet connection on an unknown site (a domain, a mint, a service)
URGENT_SITE = (
    "FINAL NOTICE: your store's domain expires today. Renew now at domain-renew-desk.net to keep your website",
    "Whitelist confirmed! Connect your wallet at cyberfox-mint.io and approve the transaction within 1 hour",
    "您的网站域名今天到期，请立即登录 ym-xufei.cc 续费，逾期网站将无法访问",
)
URGENT_SITE_HARMLESS = (
    "Renew your library card online at mylibrary-portal.org before it expires next month",
    "Your domain renews automatically next year, no action needed",
    "Connect your wallet at uniswap.org to swap tokens",
)


def test_gift_cards_only_after_the_payment_are_caught(rules: Detector, detector: Detector) -> None:
    assert_caught(rules, detector, CARD_ONLY, CARD_ONLY_HARMLESS, at=Risk.MEDIUM)


def test_an_urgent_renewal_or_wallet_connection_on_an_unknown_site(
    rules: Detector, detector: Detector
) -> None:
    assert_caught(rules, detector, URGENT_SITE, URGENT_SITE_HARMLESS, at=Risk.MEDIUM)
