"""Text processing for retrieval: normalisation, word tokens (zh + en), character n-grams.

Chinese is segmented with jieba (the `rjieba` binding) in search mode, which also emits the
shorter words inside long ones (银行卡 -> 银行, 银行卡), with the domain's own words added to
the dictionary. English is lowercased, stop words are dropped and a light suffix stemmer
folds inflections (refunded, refunds -> refund). Both scripts can appear in one text.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.knowledge import synonyms
from bot.knowledge.normalise import normalise

# words of the domain that the general jieba dictionary splits badly
DOMAIN_WORDS = (
    "卡盟",
    "卡密",
    "点卡",
    "点券",
    "话费",
    "激活码",
    "会员",
    "核销",
    "已核销",
    "未核销",
    "待付款",
    "待支付",
    "待发货",
    "已发货",
    "已完成",
    "已使用",
    "发货",
    "到账",
    "原路退回",
    "手续费",
    "服务费",
    "违约金",
    "申诉",
    "仲裁",
    "初审",
    "终审",
    "重复扣款",
    "扣款",
    "多扣",
    "七天无理由",
    "无理由",
    "描述不符",
    "缺货",
    "超卖",
    "下架",
    "反洗钱",
    "解冻费",
    "保证金",
    "验证码",
    "二维码",
    "共享屏幕",
    "个人代理",
    "区服",
    "大区",
    "充错",
    "拍错",
    "退款",
    "退钱",
    "银行卡",
    "支付宝",
    "微信支付",
    "平台余额",
    "余额",
    "工作日",
    "极速退款",
    "录屏",
    "截图",
    "订单号",
    "客服",
    "人工客服",
    "商家",
    "运营商",
    "诈骗",
    "骗子",
    "仿冒",
    "短链接",
    "报警",
    "止付",
    "12315",
    "12377",
    "110",
)

# English words folded onto the word the knowledge texts use (after stemming)
_EN_SYNONYMS = {
    "seller": "merchant",
    "vendor": "merchant",
    "shop": "merchant",
    "store": "merchant",
    # abbreviated units ("3hrs", "2 mins") and chat spellings
    "hr": "hour",
    "hrs": "hour",
    "h": "hour",
    "min": "minut",
    "mins": "minut",
    "wk": "week",
    "wks": "week",
    "u": "you",
    "ur": "your",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "txt": "text",
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ZH_STOPWORDS = _words(
    """的 了 吗 呢 吧 啊 呀 哦 嘛 么 是 在 有 我 你 他 她 它 我们 你们 他们 这 那 这个 那个 这样 那样
    就 都 也 还 又 和 与 及 或 或者 而 但 但是 如果 因为 所以 为 为了 被 把 给 让 对 从 到 向 于
    一个 一下 一些 什么 怎么 怎么办 怎么样 怎样 如何 为什么 多少 哪 哪里 哪个 请问 请 想 要 能 能不能
    可以 可不可以 会 会不会 应该 是不是 有没有 没有 不 没 很 太 更 最 已经 刚 刚刚 然后 之后 之前
    时候 现在 一直 还是 就是 只是 而且 并且 等 等等 啦 呗 咋 咋办 么样 自己 这么 那么 其他 另外
    上 下 里 中 内 个 次 把 着 过 得 地 之 其 该 此 些 每 各 即 则 呃 嗯 哈 诶 喂 亲 求 急 在线
    哪些 啥 谁 怎 咋回事 回事 一下子 有点 有些 东西 情况 问题 麻烦 帮忙 帮 一般 比如 算"""
)

EN_STOPWORDS = _words(
    """a an the and or but if then else of to in on at by for with from into onto about as is are
    was were be been being am do does did doing have has had having i me my mine we us our you
    your yours he him his she her it its they them their this that these those there here what
    which who whom whose when where why how can could would should will shall may might must
    not no nor so too very just also only than any some all each both few more most other such
    own same s t don doesn didn isn aren wasn weren won wouldn couldn shouldn hasn haven hadn
    get got getting gets please hi hello hey thanks thank ok okay im ive id youre dont cant
    want wanna need know tell say said like one still yet now even much many really ever
    havent hasnt doesnt didnt isnt arent wasnt cant wont wouldnt couldnt shouldnt theres whats
    thats its ive youve weve theyre hes shes lets anyone someone something anything thing
    yo lol lmao omg wtf idk tbh btw bro dude guys man n literally actually basically
    good great nice best better bad cool near nearby help"""
)

_CJK_CHAR = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK = re.compile(f"[{_CJK_CHAR}]")
_LATIN = re.compile(r"[a-z]")
_RUNS = re.compile(f"[{_CJK_CHAR}]+|[a-z0-9]+(?:[.%][0-9]+)?%?")
_EN_PIECE = re.compile(r"[a-z]+|[0-9]+(?:[.%][0-9]+)?%?")
_WORDISH = re.compile(f"[{_CJK_CHAR}a-z0-9]")


@lru_cache(maxsize=1)
def _jieba() -> Any:
    """jieba's process-wide default instance, with the domain words added.

    A private `rjieba.Jieba()` would load the dictionary a second time (about 0.2 s of
    start-up); adding the domain's words to the shared dictionary only makes them whole.
    Imported here, on first use: loading the native library costs about 0.1 s of start-up
    that the console's first prompt does not need.
    """
    import rjieba

    for word in DOMAIN_WORDS:
        rjieba.add_word(word, 20000, None)
    return rjieba


def normalize(text: str) -> str:
    """NFKC, lowercase, traditional -> simplified, buyers' spellings folded (`normalise`)."""
    return normalise(text)


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """A small suffix stemmer: enough to fold the inflections buyers write."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, repl, min_len in (
        ("ational", "ate", 7),
        ("ations", "ate", 6),
        ("ation", "ate", 5),
        ("ments", "", 6),
        ("ment", "", 6),
        ("iness", "y", 6),
        ("ness", "", 6),
        ("ies", "y", 5),
        ("ied", "y", 5),
        ("ing", "", 6),
        ("edly", "", 7),
        ("ed", "", 5),
        ("ly", "", 6),
        ("es", "", 5),
        ("s", "", 4),
    ):
        if word.endswith(suffix) and len(word) >= min_len and not word.endswith("ss"):
            word = word[: len(word) - len(suffix)] + repl
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]  # "stopp" -> "stop"
    return word


def detect_lang(text: str) -> str:
    """`zh` when the text is mostly Chinese, else `en`."""
    text = unicodedata.normalize("NFKC", text).lower()
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    if cjk == 0:
        return "en"
    return "zh" if cjk * 3 >= latin else "en"


def word_tokens(text: str, *, keep_stopwords: bool = False, search: bool = True) -> list[str]:
    """Word tokens for BM25: jieba words for Chinese, stemmed words for English.

    `search=True` (jieba's search mode) adds the shorter words inside long ones, for recall;
    `search=False` gives one token per word, for counting.
    """
    return list(_word_tokens(text, keep_stopwords, search))


@lru_cache(maxsize=4096)
def _word_tokens(text: str, keep_stopwords: bool, search: bool) -> tuple[str, ...]:
    text = normalize(text)
    out: list[str] = []
    jieba = _jieba()
    pieces = jieba.cut_for_search(text, True) if search else jieba.cut(text, True)
    for token in pieces:
        token = token.strip()
        if not token or not _WORDISH.search(token):
            continue
        if _CJK.search(token):
            if keep_stopwords or token not in ZH_STOPWORDS:
                out.append(token)
            continue
        for piece in _EN_PIECE.findall(token):
            word = _EN_SYNONYMS.get(piece, piece)
            if word in EN_STOPWORDS and not keep_stopwords:
                continue
            word = stem(word)
            out.append(_EN_SYNONYMS.get(word, word))
    return tuple(out)


def char_ngrams(text: str, sizes: tuple[int, ...] = (1, 2)) -> list[str]:
    """Character n-grams: 1-2 grams inside each Chinese run, 3-grams of padded English words.

    (1-2 grams measured as good as 1-3 grams on the labelled questions, at a lower cost.)

    They make the TF-IDF retriever robust to segmentation mistakes, typos and spelling
    variants that word tokens miss.
    """
    text = normalize(text)
    out: list[str] = []
    for run in _RUNS.findall(text):
        if _CJK.match(run):
            for size in sizes:
                if size == 1:
                    out.extend(ch for ch in run if ch not in _ZH_FUNCTION_CHARS)
                else:
                    out.extend(run[i : i + size] for i in range(len(run) - size + 1))
        else:
            if run in EN_STOPWORDS:
                continue
            padded = f"<{run}>"
            if len(run) <= 2:
                out.append(padded)
                continue
            out.extend(padded[i : i + 3] for i in range(len(padded) - 2))
            out.append(padded)
    return out


_ZH_FUNCTION_CHARS = frozenset(
    "的了吗呢吧啊呀哦嘛么是在有我你他她它这那就都也还又和与及或而但为被把给让对从向于个不没很太更最着过得地之其该此些每各即则请想要能会"
)


# --- buyer vocabulary (query-time expansion) ------------------------------------------


def _alternation(keys: Iterable[str], *, words: bool) -> re.Pattern[str]:
    ordered = sorted({normalize(k).replace("'", "") for k in keys}, key=lambda k: (-len(k), k))
    body = "|".join(re.escape(k) for k in ordered)
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])" if words else f"(?:{body})")


def _normalized_table(table: dict[str, str]) -> dict[str, str]:
    return {normalize(k).replace("'", ""): v for k, v in table.items()}


_ZH_TABLE = _normalized_table(synonyms.ZH)
_EN_TABLE = _normalized_table(synonyms.EN)
_ZH_PHRASES = _alternation(synonyms.ZH, words=False)
_EN_PHRASES = _alternation(synonyms.EN, words=True)
_DENIED = {
    "zh": re.compile("|".join(f"(?:{p})" for p in synonyms.DENIED_ZH)),
    "en": re.compile("|".join(f"(?:{p})" for p in synonyms.DENIED_EN)),
}


def drop_denied(norm: str) -> str:
    """The normalised question with the parties it denies (`synonyms.DENIED_ZH` / `_EN`)
    replaced by a neutral cause word: "不是商家也不是我的问题" is about a cause, neither the
    merchant's nor the buyer's."""
    for lang, pattern in _DENIED.items():
        norm = pattern.sub(f" {synonyms.DENIED_STAND_IN[lang]} ", norm)
    return norm


_OWN_USE = {lang: re.compile(p) for lang, p in synonyms.OWN_USE.items()}
_OWN_USE_GUARD = {lang: re.compile(p) for lang, p in synonyms.OWN_USE_GUARD.items()}


def own_use(norm: str) -> list[str]:
    """The texts' words for used goods when the normalised question states the buyer's own
    use and neither a claim nor a denial of it (`synonyms.OWN_USE`)."""
    return [
        synonyms.OWN_USE_STAND_IN[lang]
        for lang, pattern in _OWN_USE.items()
        if pattern.search(norm) and not _OWN_USE_GUARD[lang].search(norm)
    ]


# A number in a question is the buyer's own amount, face value or date ("买的是100的卡"),
# not a topic: matched against the texts it pulls in whichever section uses the same number
# in an example. Kept: numbers with a time unit or a percent sign (deadlines and fees the
# texts state) and the hotlines the texts name.
_KEEP_NUMBERS = frozenset({"12315", "12377", "110"})
_NUMBER = re.compile(
    r"(?<![a-z0-9.])(\d+(?:\.\d+)?)(?![\d.a-z])(?!\s*(?:%|个?小时|天|日|分钟|个?工作日|周|h\b|hours?|days?|minutes?|mins?|weeks?|working))"
)


# The same in Chinese numerals ("一百面值", "只到了五十", "两百块"): a numeral with 十, 百,
# 千 or 万 in it, or any numeral followed by a currency word. Single numerals stay: they are
# parts of words (一直, 一下, 七天无理由), and 十分 ("very") is not an amount either.
_ZH_DIGIT = "零一二两三四五六七八九"
_ZH_NUMERAL = re.compile(
    rf"(?<![{_ZH_DIGIT}十百千万])(?:[{_ZH_DIGIT}十百千万]*[百千万][{_ZH_DIGIT}十百千万]*"
    rf"|[{_ZH_DIGIT}]?十[{_ZH_DIGIT}]?(?!分(?!钟))"
    rf"|[{_ZH_DIGIT}十百千万]+(?=块|元))"
    rf"(?![{_ZH_DIGIT}十百千万])(?!\s*(?:个?小时|天|日|分钟|个?工作日|周|个?月|年|次))"
)


def drop_amounts(norm: str) -> str:
    """The normalised question without its amounts and face values (see `_KEEP_NUMBERS`)."""
    norm = _NUMBER.sub(lambda m: m.group(0) if m.group(1) in _KEEP_NUMBERS else " ", norm)
    return _ZH_NUMERAL.sub(" ", norm) if _CJK.search(norm) else norm


@lru_cache(maxsize=4096)
def expand_query(text: str) -> str:
    """The question for retrieval: the normalised question without amounts, followed by the
    texts' words for every buyer phrase found in it (see `synonyms`)."""
    norm = drop_denied(drop_amounts(normalize(text).replace("'", "").replace("\u2019", "")))
    extras = [
        table[m.group(0)] for pattern, table in _phrase_tables(norm) for m in pattern.finditer(norm)
    ] + own_use(norm)
    return f"{norm} {' '.join(extras)}" if extras else norm


def _phrase_tables(norm: str) -> list[tuple[re.Pattern[str], dict[str, str]]]:
    tables = []
    if _CJK.search(norm):
        tables.append((_ZH_PHRASES, _ZH_TABLE))
    if _LATIN.search(norm):
        tables.append((_EN_PHRASES, _EN_TABLE))
    return tables


def query_word_tokens(text: str) -> list[str]:
    """`word_tokens` of a question with its buyer vocabulary expanded."""
    return word_tokens(expand_query(text))


def query_char_ngrams(text: str) -> list[str]:
    """`char_ngrams` of a question with its buyer vocabulary expanded."""
    return char_ngrams(expand_query(text))


def gate_words(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """The question's content words for the confidence gate, each with its stand-ins.

    A word inside a buyer phrase (see `synonyms`) has the texts' words for that phrase as
    stand-ins: the gate counts it as covered when the word or any stand-in is in the texts.
    The number of words stays that of the question itself.
    """
    return list(_gate_words(text))


@lru_cache(maxsize=4096)
def _gate_words(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    norm = normalize(text).replace("'", "").replace("\u2019", "")
    found: list[tuple[str, frozenset[str], tuple[str, ...]]] = []  # (key, key words, stand-ins)
    for pattern, table in _phrase_tables(norm):
        for match in pattern.finditer(norm):
            key = match.group(0)
            found.append(
                (
                    key,
                    frozenset(word_tokens(key, search=False)),
                    tuple(word_tokens(table[key], search=False)),
                )
            )
    out = []
    for word in word_tokens(norm, search=False):
        stand_ins: tuple[str, ...] = ()
        for key, key_words, alts in found:
            if word in key_words or (_CJK.search(word) and (word in key or key in word)):
                stand_ins += alts
        out.append((word, stand_ins))
    return tuple(out)


def pattern_families(
    path: Path, table: str, label: str
) -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    """(label, language, pattern) of every family of question patterns in a TOML file: each
    `[[table]]` entry names its `label` and lists `zh` and `en` regular expressions (the
    meta questions, the requests the assistant does not serve). A bad pattern is a
    ValueError naming the file and the family."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    found = []
    for family in data.get(table, []):
        name = str(family[label])
        for lang in ("zh", "en"):
            for pattern in family.get(lang, []):
                try:
                    found.append((name, lang, re.compile(pattern)))
                except re.error as exc:
                    raise ValueError(f"{path.name}: bad pattern for {name}: {exc}") from exc
    return tuple(found)
