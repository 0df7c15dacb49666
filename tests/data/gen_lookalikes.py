"""Generate the URL part of the labelled fraud set (tests/data/fraud_cases.jsonl).

    python tests/data/gen_lookalikes.py            # rewrite the generated rows in place
    python tests/data/gen_lookalikes.py --check    # exit 1 if the file is not up to date
    python tests/data/gen_lookalikes.py --seed 7 --out draw.jsonl   # a fresh draw

Rows written here carry "source": "generated"; hand-written rows (no source, or any
other source) are kept as they are, in front. The seed is fixed, so the output is the
same on every run.

This script deliberately shares no code or tables with the detector
(bot/domain/fraud): its homoglyph table, mutation operators, keyword and suffix
lists are written independently, so the set measures the detector instead of
mirroring it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

SEED = 20260521
CASES = Path(__file__).with_name("fraud_cases.jsonl")

# protected brands: (registered domain, name label)
BRANDS = [
    ("alipay.com", "alipay"),
    ("taobao.com", "taobao"),
    ("tmall.com", "tmall"),
    ("tenpay.com", "tenpay"),
    ("qq.com", "qq"),
    ("jd.com", "jd"),
    ("10086.cn", "10086"),
    ("10010.com", "10010"),
    ("189.cn", "189"),
    ("163.com", "163"),
    ("steampowered.com", "steampowered"),
    ("steamcommunity.com", "steamcommunity"),
    ("weixin.qq.com", "weixin"),
]
LONG_BRANDS = [b for b in BRANDS if len(b[1]) >= 5]

# independent homoglyph table: letter -> characters a phisher would put in its place
LOOKS_LIKE = {
    "a": ["а", "ɑ", "à", "á", "4"],
    "c": ["с", "ϲ"],
    "d": ["ԁ", "cl"],
    "e": ["е", "é", "ё", "3"],
    "i": ["і", "ı", "1", "í"],
    "l": ["1", "ӏ", "I"],
    "m": ["rn", "м"],
    "n": ["п", "ո"],
    "o": ["0", "о", "ο", "ö"],
    "p": ["р", "ρ"],
    "s": ["ѕ", "5"],
    "t": ["τ", "т"],
    "u": ["υ", "ս"],
    "w": ["vv", "ѡ"],
    "x": ["х"],
    "y": ["у"],
    "0": ["o", "O"],
    "1": ["l", "I"],
}
KEYWORDS = [
    "tuikuan",
    "kefu",
    "refund",
    "support",
    "service",
    "pay",
    "claim",
    "help",
    "vip",
    "lipei",
    "secure",
    "login",
    "verify",
    "tuifei",
    "kf",
    "account",
    "order",
]
BAD_SUFFIXES = [
    "top",
    "xyz",
    "cc",
    "vip",
    "shop",
    "icu",
    "cyou",
    "buzz",
    "club",
    "online",
    "site",
    "info",
    "com",
    "net",
    "cn",
    "co",
]
SWAP_SUFFIXES = ["top", "xyz", "cc", "vip", "shop", "icu", "club", "online", "site", "info", "buzz"]
FILLER = [
    "secure",
    "center",
    "user",
    "web",
    "portal",
    "cloud",
    "data",
    "go",
    "my",
    "hub",
    "zone",
    "link",
    "pro",
    "sys",
    "biz",
    "cnt",
    "net",
    "xin",
    "hao",
    "kuai",
]
SHORTENERS = [
    "bit.ly",
    "t.cn",
    "url.cn",
    "tinyurl.com",
    "is.gd",
    "suo.im",
    "dwz.cn",
    "rb.gy",
    "cutt.ly",
    "ow.ly",
    "t.ly",
    "s.id",
]

NEUTRAL_ZH = [
    "看看这个 {u}",
    "{u}",
    "链接：{u}",
    "网址 {u} 你打开看下",
    "发你一个地址 {u}",
    "这个网站{u}是什么",
    "{u} 这个能打开吗",
]
NEUTRAL_EN = ["check this {u}", "{u}", "link: {u}", "what is {u}?", "see {u} for details"]
PRETEXT_ZH = [
    "您的订单退款失败，请点击 {u} 重新申请",
    "质量问题双倍赔偿，登记地址：{u}",
    "会员自动扣费取消请进入 {u}",
    "理赔专员提醒：打开 {u} 领取退款",
    "您有一笔退款待领取 {u}",
    "账户异常，请登录 {u} 解冻",
]
PRETEXT_EN = [
    "Your refund failed, claim it again at {u}",
    "Refund pending: open {u} to receive it",
    "Your account is frozen, verify at {u}",
    "Compensation for your order: {u}",
]


# text obfuscations of hand-written scripts (again: the generator's own tables)
TRADITIONAL = dict(
    zip(
        "验证码银行卡号账户转帐冻结费会员续动开关扫维网链点击载装应软体险异质问题赔偿双倍"
        "请发给报说输写图宝东猫财联电讯务专处补还钱买卖价货锁风违约这个来为与从无们么样吗实现错误简语",
        "驗證碼銀行卡號賬戶轉帳凍結費會員續動開關掃維網鏈點擊載裝應軟體險異質問題賠償雙倍"
        "請發給報說輸寫圖寶東貓財聯電訊務專處補還錢買賣價貨鎖風違約這個來為與從無們麼樣嗎實現錯誤簡語",
        strict=True,
    )
)
SPELLINGS = [
    ("验证码", ["验 证 码", "yzm", "yan zheng ma", "驗-證-碼", "验.证.码"]),
    ("微信", ["v信", "VX", "威信", "薇 信"]),
    ("QQ", ["扣扣", "Q Q", "qq"]),
    ("银行卡", ["银 行 卡", "yin hang ka"]),
    ("屏幕共享", ["屏 幕 共 享", "共享屏幕"]),
]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


def obfuscate(rng: random.Random, text: str) -> tuple[str, str]:
    """One random disguise of a text: (new text, what was done)."""
    how = rng.choice(["traditional", "spaced", "zero_width", "full_width", "spelling"])
    if how == "traditional":
        return "".join(TRADITIONAL.get(ch, ch) for ch in text), how
    if how == "spaced":
        sep = rng.choice([" ", " ", "-", "*", "·", "  "])
        return sep.join(text), how
    if how == "zero_width":
        out = []
        for ch in text:
            out.append(ch)
            if rng.random() < 0.3:
                out.append(rng.choice(ZERO_WIDTH))
        return "".join(out), how
    if how == "full_width":
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text), how
    for word, options in SPELLINGS:
        if word in text:
            return text.replace(word, rng.choice(options)), how
    return "".join(TRADITIONAL.get(ch, ch) for ch in text), "traditional"


def rand_word(rng: random.Random, n: int | None = None) -> str:
    n = n or rng.randint(4, 8)
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n))


def mutate_typo(rng: random.Random, name: str) -> str:
    """Random insertion, deletion, adjacent transposition or doubling."""
    for _ in range(20):
        op = rng.choice(["insert", "delete", "transpose", "double"])
        i = rng.randrange(len(name))
        if op == "insert":
            out = name[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + name[i:]
        elif op == "delete" and len(name) > 5:
            out = name[:i] + name[i + 1 :]
        elif op == "transpose" and i < len(name) - 1 and name[i] != name[i + 1]:
            out = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        elif op == "double":
            out = name[:i] + name[i] + name[i:]
        else:
            continue
        if out != name:
            return out
    return name + "s"


def mutate_glyph(rng: random.Random, name: str, *, ascii_only: bool) -> str:
    spots = [i for i, ch in enumerate(name) if ch in LOOKS_LIKE]
    rng.shuffle(spots)
    for i in spots:
        options = [o for o in LOOKS_LIKE[name[i]] if o.isascii() == ascii_only]
        if options:
            return name[:i] + rng.choice(options) + name[i + 1 :]
    return name


def dress(rng: random.Random, host: str, path: str = "") -> str:
    """Write a host the ways it appears in chats: scheme or not, www., odd dots."""
    style = rng.random()
    if not path and rng.random() < 0.5:
        path = "/" + rng.choice(
            ["", "refund", "tk", "a/" + rand_word(rng, 5), "?id=" + str(rng.randint(1000, 99999))]
        )
    if style < 0.35:
        return f"https://{host}{path}"
    if style < 0.5:
        return f"http://www.{host}{path}"
    if style < 0.6:
        return f"www.{host}{path}"
    if style < 0.7:
        return host.replace(".", "。", 1) + path
    if style < 0.75:
        return host.replace(".", "[.]", 1) + path
    return host + path


def wrap(rng: random.Random, url: str, *, pretext_share: float = 0.3) -> str:
    if rng.random() < pretext_share:
        return rng.choice(PRETEXT_ZH + PRETEXT_EN).format(u=url)
    return rng.choice(NEUTRAL_ZH + NEUTRAL_EN).format(u=url)


def scam(text: str, category: str, **extra: object) -> dict:
    return {"text": text, **extra, "label": "scam", "category": category, "source": "generated"}


def benign(text: str, category: str, **extra: object) -> dict:
    return {"text": text, **extra, "label": "benign", "category": category, "source": "generated"}


def generate(seed: int = SEED, hand: list[dict] | None = None) -> list[dict]:
    rng = random.Random(seed)
    rows: list[dict] = []
    # 1. typos of the longer brand names (insertion, deletion, transposition, doubling)
    for _ in range(40):
        domain, name = rng.choice(LONG_BRANDS)
        suffix = domain.rsplit(".", 1)[1] if domain.count(".") > 1 else domain.split(".", 1)[1]
        host = f"{mutate_typo(rng, name)}.{suffix}"
        rows.append(scam(wrap(rng, dress(rng, host)), "lookalike_typo"))
    # 2. ASCII homoglyphs (0/o, 1/l, rn/m, vv/w, cl/d)
    for _ in range(30):
        domain, name = rng.choice(BRANDS)
        suffix = domain.split(".", 1)[1] if domain.count(".") == 1 else "com"
        fake = mutate_glyph(rng, name, ascii_only=True)
        if fake == name:
            continue
        rows.append(scam(wrap(rng, dress(rng, f"{fake}.{suffix}")), "lookalike_homoglyph"))
    # 3. Unicode homoglyphs, written as Unicode or as punycode (xn--)
    for k in range(30):
        domain, name = rng.choice(LONG_BRANDS)
        suffix = domain.rsplit(".", 1)[1] if domain.count(".") > 1 else domain.split(".", 1)[1]
        fake = mutate_glyph(rng, name, ascii_only=False)
        if fake == name:
            continue
        host = f"{fake}.{suffix}"
        if k % 2:
            host = host.encode("idna").decode("ascii")
        rows.append(
            scam(
                wrap(rng, dress(rng, host)), "lookalike_punycode" if k % 2 else "lookalike_unicode"
            )
        )
    # 4. brand + refund/support keyword, hyphenated or glued, on any suffix
    for _ in range(35):
        _, name = rng.choice(BRANDS)
        kw = rng.choice(KEYWORDS)
        label = rng.choice(
            [f"{name}-{kw}", f"{kw}-{name}", f"{name}{kw}", f"{name}-{kw}{rng.randint(1, 99)}"]
        )
        rows.append(
            scam(wrap(rng, dress(rng, f"{label}.{rng.choice(BAD_SUFFIXES)}")), "brand_keyword")
        )
    # 5. the brand's own name under a suffix it does not use
    for _ in range(20):
        _, name = rng.choice(LONG_BRANDS)
        rows.append(scam(wrap(rng, dress(rng, f"{name}.{rng.choice(SWAP_SUFFIXES)}")), "tld_swap"))
    # 6. the brand's domain (or name) in front of someone else's
    for _ in range(20):
        domain, name = rng.choice(BRANDS)
        other = f"{rand_word(rng)}.{rng.choice(BAD_SUFFIXES)}"
        host = rng.choice(
            [
                f"{domain}.{other}",
                f"{domain}-{rng.choice(KEYWORDS)}.{rng.choice(SWAP_SUFFIXES)}",
                f"{name}.{rng.choice(KEYWORDS)}-{rand_word(rng, 4)}.{rng.choice(SWAP_SUFFIXES)}",
            ]
        )
        if len(name) < 5 and host.startswith(f"{name}."):
            host = f"{domain}.{other}"
        rows.append(scam(wrap(rng, dress(rng, host)), "brand_subdomain"))
    # 7. the brand in the path of an unrelated host, next to a refund word
    for _ in range(12):
        domain, name = rng.choice(LONG_BRANDS)
        host = f"{rand_word(rng)}-{rng.choice(FILLER)}.{rng.choice(BAD_SUFFIXES)}"
        path = f"/{rng.choice([name, domain])}/{rng.choice(['refund', 'tuikuan', 'kefu', 'claim', 'verify'])}"
        rows.append(scam(wrap(rng, dress(rng, host, path)), "brand_path"))
    # 8. credentials trick: http://alipay.com@evil.top/
    for _ in range(12):
        domain, _ = rng.choice(BRANDS)
        url = f"http://{rng.choice([domain, 'www.' + domain])}@{rand_word(rng)}.{rng.choice(BAD_SUFFIXES)}/{rand_word(rng, 5)}"
        rows.append(scam(wrap(rng, url), "userinfo_trick"))
    # 9. raw IP hosts (dotted, decimal, hex) with a refund pretext or alone
    for _ in range(12):
        a, b, c, d = (
            rng.randint(11, 223),
            rng.randint(0, 255),
            rng.randint(0, 255),
            rng.randint(1, 254),
        )
        host = rng.choice(
            [
                f"{a}.{b}.{c}.{d}",
                str(((a * 256 + b) * 256 + c) * 256 + d),
                f"0x{a:02x}{b:02x}{c:02x}{d:02x}",
            ]
        )
        port = rng.choice(["", ":8080", ":8888"])
        rows.append(
            scam(
                wrap(
                    rng, f"http://{host}{port}/{rng.choice(['refund', 'pay', 'kf', 'index.html'])}"
                ),
                "ip_host",
            )
        )
    # 10. shorteners inside a refund pretext
    for _ in range(15):
        url = f"{rng.choice(['https://', ''])}{rng.choice(SHORTENERS)}/{rand_word(rng, 6)}"
        rows.append(scam(rng.choice(PRETEXT_ZH + PRETEXT_EN).format(u=url), "shortener_refund"))
    # 11. text links whose shown domain is a brand and whose target is not
    for _ in range(12):
        domain, name = rng.choice(BRANDS)
        target = f"https://{rand_word(rng)}.{rng.choice(BAD_SUFFIXES)}/{rand_word(rng, 5)}"
        shown = rng.choice([f"https://www.{domain}/refund", f"{domain}", f"www.{domain}"])
        rows.append(
            scam(
                rng.choice(["点击查看退款进度", "Open your refund", "退款详情见链接", "订单信息"]),
                "text_link_mismatch",
                links=[{"url": target, "visible_text": shown}],
            )
        )
    # 12. inline-keyboard buttons of a forwarded message
    for _ in range(10):
        _, name = rng.choice(LONG_BRANDS)
        url = (
            f"https://{name}-{rng.choice(KEYWORDS)}.{rng.choice(SWAP_SUFFIXES)}/{rand_word(rng, 4)}"
        )
        rows.append(
            scam(
                rng.choice(["您的退款已到账，点击下方按钮领取", "Refund ready", "官方客服通知"]),
                "button_url",
                button_urls=[url],
            )
        )

    # benign: official domains of the brands, with subdomains and paths, and fair hard negatives
    official = [
        "https://www.alipay.com/",
        "https://cshall.alipay.com/lab/help.htm",
        "https://item.taobao.com/item.htm?id=6000{n}",
        "https://m.tb.cn/h.{w}",
        "https://detail.tmall.com/item.htm?id={n}",
        "https://item.jd.com/{n}.html",
        "https://help.jd.com/user/issue.html",
        "https://kf.qq.com/",
        "https://weixin.qq.com/",
        "https://pay.weixin.qq.com/",
        "https://www.10086.cn/",
        "https://www.10010.com/",
        "https://www.189.cn/",
        "https://mail.163.com/",
        "https://help.steampowered.com/zh-cn/",
        "https://store.steampowered.com/app/{n}",
        "https://steamcommunity.com/id/{w}",
        "https://www.tenpay.com/",
        "https://3.cn/{w}",
        "https://www.1688.com/",
    ]
    # Fair hard negatives: real, legitimate sites whose names are close to or contain a
    # protected brand but that belong to someone else, and which a detector must pass
    # without allowlisting them (none of them is in the detector's data files).
    hard = [
        "jdsports.com",  # JD Sports (UK retailer): contains "jd"
        "jdpower.com",  # J.D. Power (market research): contains "jd"
        "jdate.com",  # a dating site: starts with "jd"
        "steamdb.info",  # SteamDB, a well-known Steam database site: contains "steam"
        "steamgifts.com",  # community giveaway site: contains "steam"
        "steamcharts.com",  # player statistics site: contains "steam"
        "paypal.com",  # another payment brand: shares "pay"
        "unionpay.com",  # China UnionPay: shares "pay"
        "paypay.ne.jp",  # PayPay (Japan): shares "pay"
        "gmail.com",  # two edits from "tmall"
        "hotmail.com",  # shares "mail", far from "tmall"
        "188.com",  # NetEase's 188 mail: one digit from "189" and "163"
        "139.com",  # China Mobile's mailbox: one digit from "189"
        "12306.cn",  # China Railway tickets: digits like "10086"
        "95516.com",  # UnionPay customer service site: digits
        "qunar.com",  # starts with "q"
        "weibo.com",  # three edits from "weixin"
        "tencentgames.com",  # contains "tencent" (a weak token)
    ]
    for _ in range(30):
        url = rng.choice(official).format(n=rng.randint(100000, 999999), w=rand_word(rng, 6))
        rows.append(
            benign(
                rng.choice(
                    NEUTRAL_ZH + NEUTRAL_EN + ["商品链接 {u} 帮我看看值不值", "官网 {u}"]
                ).format(u=url),
                "official_link",
            )
        )
    for host in hard:
        url = dress(rng, host)
        rows.append(
            benign(rng.choice(NEUTRAL_ZH + NEUTRAL_EN).format(u=url), "hard_negative_domain")
        )
        url = dress(rng, host)
        rows.append(
            benign(rng.choice(NEUTRAL_ZH + NEUTRAL_EN).format(u=url), "hard_negative_domain")
        )
    # a text link that shows a brand and opens the same brand
    for _ in range(6):
        domain, _ = rng.choice(BRANDS[:6])
        rows.append(
            benign(
                "官方帮助中心",
                "text_link_ok",
                links=[{"url": f"https://www.{domain}/help", "visible_text": f"www.{domain}"}],
            )
        )
    # disguised copies of hand-written texts (sorted, so the draw does not depend on file order)
    hand = sorted(hand or [], key=lambda r: r["text"])
    scams = [
        r
        for r in hand
        if r["category"] in ("scam_script_zh", "scam_script_en") and not r.get("links")
    ]
    benigns = [
        r for r in hand if r["category"] in ("benign_chat_zh", "benign_mention", "warning_advice")
    ]
    for r in rng.sample(scams, min(30, len(scams))):
        text, how = obfuscate(rng, r["text"])
        rows.append(scam(text, "obfuscated_scam", disguise=how))
    for r in rng.sample(benigns, min(30, len(benigns))):
        text, how = obfuscate(rng, r["text"])
        rows.append(benign(text, "obfuscated_benign", disguise=how))
    return rows


def _hand_rows() -> list[dict]:
    rows = []
    if CASES.exists():
        for line in CASES.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if row.get("source") != "generated":
                    rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only verify the file is up to date")
    ap.add_argument(
        "--seed",
        type=int,
        default=SEED,
        help="another seed: a fresh draw for robustness checks (use with --out)",
    )
    ap.add_argument("--out", type=Path, help="write only the generated rows to this file")
    args = ap.parse_args(argv)
    if args.out:
        rows = generate(args.seed, _hand_rows())
        args.out.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
        print(f"generated rows (seed {args.seed}) -> {args.out}")
        return 0
    kept = _hand_rows()
    rows = kept + generate(args.seed, kept)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if args.check:
        same = CASES.exists() and CASES.read_text(encoding="utf-8") == text
        print("up to date" if same else "out of date: run tests/data/gen_lookalikes.py")
        return 0 if same else 1
    CASES.write_text(text, encoding="utf-8")
    print(f"{len(kept)} hand-written + {len(rows) - len(kept)} generated rows -> {CASES.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
