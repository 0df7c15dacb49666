"""URL checks of the fraud detector, one table per check."""

from __future__ import annotations

import socket

import pytest

from bot.domain.fraud import Detector, FraudConfig, LinkRef, MessageInput, Risk
from bot.domain.fraud.model import TextModel
from bot.domain.fraud.urls import extract_urls, parse_ip, parse_url
from bot.services.scam import fraud_texts


@pytest.fixture(scope="module")
def detector() -> Detector:
    # the rules on their own: the classifier's contribution is tested in test_fraud_model.py
    return Detector(texts=fraud_texts(), model=TextModel.off())


def checks(detector: Detector, text: str) -> dict[str, str]:
    return {f.check: f.severity.value for f in detector.scan_text(text).findings}


# ----------------------------------------------------------------- extraction


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("点击 https://alipay-tuikuan.com/x 领取", ["https://alipay-tuikuan.com/x"]),
        ("点击alipay-tuikuan.com/x领取", ["alipay-tuikuan.com/x"]),
        ("see www.example.org.", ["www.example.org"]),
        ("(bit.ly/abc)", ["bit.ly/abc"]),
        ("ip 10.0.0.1:8080/a", ["10.0.0.1:8080/a"]),
        ("mail kefu@alipay-refund.com", ["kefu@alipay-refund.com"]),
        ("no links here, version 1.2 and e.g. this", []),
        ("中文句子。没有链接。", []),
    ],
)
def test_extract_urls(text: str, expected: list[str]) -> None:
    assert extract_urls(text) == expected


@pytest.mark.parametrize(
    ("text", "host"),
    [
        ("alipay。com.evil.cn", "evil.cn"),  # ideographic full stop
        ("alipay[.]com.evil.cn", "evil.cn"),
        ("alipay-tuikuan点com", "alipay-tuikuan.com"),
        ("ａｌｉｐａｙ－ｔｕｉｋｕａｎ．ｃｏｍ", "alipay-tuikuan.com"),  # full-width forms
        ("alipay\u200b-tuikuan.com", "alipay-tuikuan.com"),  # zero-width space
    ],
)
def test_obfuscated_urls_are_found(detector: Detector, text: str, host: str) -> None:
    verdict = detector.scan_text(text)
    assert verdict.risk is Risk.HIGH
    assert any(host in (f.detail + (f.url or "")) for f in verdict.findings)


def test_parse_url_userinfo_and_port() -> None:
    p = parse_url("http://alipay.com@evil.cn:8080/path?q=1")
    assert (p.userinfo, p.host, p.path) == ("alipay.com", "evil.cn", "/path?q=1")


@pytest.mark.parametrize(
    ("host", "loose", "ip"),
    [
        ("192.168.1.1", False, "192.168.1.1"),
        ("3232235777", True, "192.168.1.1"),
        ("3232235777", False, None),
        ("0xc0a80101", True, "192.168.1.1"),
        ("0300.0250.1.1", True, "192.168.1.1"),
        ("0x7f.1", True, "127.0.0.1"),
        ("[::1]", True, "::1"),
        ("[2001:db8::1]", False, "2001:db8::1"),
        ("999.1.1.1", False, None),
        ("example.com", True, None),
    ],
)
def test_parse_ip(host: str, loose: bool, ip: str | None) -> None:
    assert parse_ip(host, loose=loose) == ip


# ----------------------------------------------------------------- one table per check


@pytest.mark.parametrize(
    ("text", "check", "severity"),
    [
        # lookalikes: homoglyphs, typos, punycode, suffix swaps
        ("a1ipay.com", "url.lookalike", "high"),
        ("taobaο.com", "url.lookalike", "high"),  # Greek omicron
        ("аlipay.com", "url.lookalike", "high"),  # Cyrillic a
        ("xn--lipay-3ve.com", "url.lookalike", "high"),  # punycode of the above
        ("tmaii.com", "url.lookalike", "high"),
        ("stearncommunity.com", "url.lookalike", "high"),  # rn for m
        ("steamcommunlty.com", "url.lookalike", "high"),
        ("aliapy.com", "url.lookalike", "high"),  # transposition
        ("taobbao.com", "url.lookalike", "high"),  # doubling
        ("1oo86.cn", "url.lookalike", "high"),
        ("I63.com", "url.lookalike", "high"),
        ("alipay.top", "url.lookalike", "high"),  # brand under a foreign suffix
        ("qq.xyz", "url.lookalike", "medium"),  # short brand: medium on its own
        # brand inside an unofficial domain
        ("alipay-tuikuan.com", "url.brand_in_domain", "high"),
        ("taobaorefund.cc", "url.brand_in_domain", "high"),
        ("qq-kefu.top", "url.brand_in_domain", "high"),
        ("jdrefund.com", "url.brand_in_domain", "high"),
        ("a1ipy-kefu.com", "url.brand_in_domain", "high"),
        # brand in front of the real domain
        ("alipay.com.evil.cn", "url.brand_in_subdomain", "high"),
        ("www.qq.com-refund.top", "url.brand_in_subdomain", "high"),
        ("alipay.secure-center.net", "url.brand_in_subdomain", "high"),
        ("jd.kefu-center.net", "url.brand_in_subdomain", "medium"),
        # short aliases count next to a refund/support keyword
        ("tb-kefu.icu", "url.brand_in_domain", "high"),
        ("zfb-tuikuan.com", "url.brand_in_domain", "high"),
        ("wx-refund.top", "url.brand_in_domain", "high"),
        # brand in the path
        ("evil-site.net/alipay", "url.brand_in_path", "low"),
        ("evil-site.net/alipay/refund", "url.brand_in_path", "medium"),
        ("t.me/taobao_kefu", "url.brand_in_path", "medium"),
        # IDN on its own
        ("xn--80ak6aa92e.com", "url.idn", "medium"),
        # shorteners (maintained list and the extra list)
        ("bit.ly/3abcd", "url.shortener", "low"),
        ("t.cn/A6abcd", "url.shortener", "low"),
        ("https://dwz.cn/xyz", "url.shortener", "low"),
        # raw IP hosts in all spellings
        ("http://45.77.12.8/refund", "url.ip_host", "medium"),
        ("http://3232235777/x", "url.ip_host", "medium"),
        ("http://0xc0a80101/x", "url.ip_host", "medium"),
        ("http://[2001:db8::1]/x", "url.ip_host", "medium"),
        # credentials trick
        ("http://alipay.com@evil.cn/x", "url.userinfo", "high"),
        ("https://user@evil.cn/x", "url.userinfo", "medium"),
        # suspicious suffixes
        ("my-shop.top", "url.suspicious_tld", "low"),
        ("cards.xyz/a", "url.suspicious_tld", "low"),
    ],
)
def test_url_check(detector: Detector, text: str, check: str, severity: str) -> None:
    found = checks(detector, text)
    assert check in found, found
    assert found[check] == severity


@pytest.mark.parametrize(
    "text",
    [
        # official domains of the brands, with subdomains and paths
        "https://item.taobao.com/item.htm?id=600123",
        "https://m.tb.cn/h.abcdef",
        "https://pay.weixin.qq.com/",
        "https://help.steampowered.com/zh-cn/",
        "https://steamcommunity.com/id/someone",
        "www.10086.cn",
        "https://3.cn/abc",
        "kefu@alipay.com",
        # fair hard negatives: real sites near a brand, not allowlisted
        "jdsports.com",
        "jdpower.com",
        "steamdb.info",
        "steamgifts.com",
        "paypal.com",
        "unionpay.com",
        "gmail.com",
        "hotmail.com",
        "188.com",
        "139.com",
        "12306.cn",
        "weibo.com",
        "small.com",  # one substitution from "tmall": not a lookalike for a 5-letter name
        "jd.example.com",  # common subdomain names
        "wx.example.com",
        "tbs.com",
        # well-known sites and Telegram links
        "https://github.com/alipay/SoloPi",
        "https://t.me/some_channel",
        "https://zhuanlan.zhihu.com/p/1",
    ],
)
def test_url_passes(detector: Detector, text: str) -> None:
    verdict = detector.scan_text(text)
    assert verdict.risk is Risk.NONE, verdict.findings


# ----------------------------------------------------------------- links and buttons


@pytest.mark.parametrize(
    ("url", "visible", "severity"),
    [
        ("https://evil.top/x", "https://www.alipay.com/refund", "high"),  # shows a brand
        ("https://evil.net/x", "www.example.org", "medium"),  # shows another site
        ("https://a1ipay.com/x", "www.example.org", "high"),  # target itself is a lookalike
    ],
)
def test_text_link_mismatch(detector: Detector, url: str, visible: str, severity: str) -> None:
    verdict = detector.scan(
        MessageInput(text="退款详情", links=[LinkRef(url=url, visible_text=visible)])
    )
    found = {f.check: f.severity.value for f in verdict.findings}
    assert found.get("link.text_mismatch") == severity


@pytest.mark.parametrize(
    ("url", "visible"),
    [
        ("https://www.taobao.com/help", "www.taobao.com"),
        ("https://m.tb.cn/h.x", "taobao.com"),  # both official domains of the brand
        ("https://example.org/page", "点击这里"),  # visible text is not an address
    ],
)
def test_text_link_consistent(detector: Detector, url: str, visible: str) -> None:
    verdict = detector.scan(
        MessageInput(text="看看", links=[LinkRef(url=url, visible_text=visible)])
    )
    assert "link.text_mismatch" not in verdict.checks


def test_button_urls_are_scanned(detector: Detector) -> None:
    verdict = detector.scan(
        MessageInput(
            text="您的退款已到账，点击下方按钮领取", button_urls=["https://taobao-refund.top/r"]
        )
    )
    assert verdict.risk is Risk.HIGH
    assert any(
        f.url == "https://taobao-refund.top/r" and "(button)" in f.detail for f in verdict.findings
    )


# ----------------------------------------------------------------- configuration


def test_allowlist_passes() -> None:
    text = "see https://alipay-partner-shop.com/x"
    assert Detector().scan_text(text).risk is Risk.HIGH
    allowed = Detector(FraudConfig(allow_domains=["alipay-partner-shop.com"]))
    assert allowed.scan_text(text).risk is Risk.NONE


def test_platform_domains_pass_and_are_protected() -> None:
    d = Detector(FraudConfig(platform_domains=["kamenshop.com"]))
    assert d.scan_text("https://www.kamenshop.com/order/1").risk is Risk.NONE
    assert d.scan_text("kamenshop-kefu.top").risk is Risk.HIGH
    assert d.scan_text("karnenshop.com").risk is Risk.HIGH


def test_protected_brands_replace_defaults() -> None:
    d = Detector(FraudConfig(protected_brands=["example-pay.com"]))
    assert d.scan_text("examp1e-pay.com").risk is Risk.HIGH
    assert d.scan_text("a1ipay.com").risk is Risk.NONE


def test_suspicious_tlds_configurable() -> None:
    d = Detector(FraudConfig(suspicious_tlds=["example"]))
    assert "url.suspicious_tld" not in d.scan_text("shop.top").checks


def test_no_network_while_building_or_scanning(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    d = Detector()
    assert d.scan_text("http://alipay.com.evil.co.uk/x").risk is Risk.HIGH


@pytest.mark.parametrize(
    ("url", "visible", "severity"),
    [
        ("https://evil.top/x", "支付宝退款中心", "high"),  # the target has findings of its own
        ("https://example.org/x", "淘宝官方客服", "medium"),  # a brand's support desk, elsewhere
        ("https://36kr.com/p/1", "腾讯发布财报", "low"),  # a brand named over a news article
    ],
)
def test_text_link_naming_a_brand(
    detector: Detector, url: str, visible: str, severity: str
) -> None:
    verdict = detector.scan(
        MessageInput(text="看看", links=[LinkRef(url=url, visible_text=visible)])
    )
    found = {f.check: f.severity.value for f in verdict.findings}
    assert found.get("link.text_mismatch") == severity
