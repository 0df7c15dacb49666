"""Undoing the disguises scam texts put on links and words, before any check reads them.

Each function handles one technique, whatever the brand or word it hides:

* `reverse_overrides`: a right-to-left override (U+202E) shows the characters after it
  reversed, so "\u202epot.dnufer-oabaot" displays as "taobao-refund.top"; the checks
  must read what is shown.
* `unescape_entities`: HTML character references in a domain ("taobao-refund&#46;top").
* `markdown_links`: "[https://www.alipay.com](https://evil.top)" shows one address and
  opens another, like a Telegram text link.
* `encoded_urls`: base64 blobs that decode to a link.
* `rejoin_links`: a link broken over lines or spaced out ("taobao-\\nrefund\\n.top",
  "t . me / x").
* `SMALL_CAPS`: small capital letters ("ᴛᴀᴏʙᴀᴏ"), which NFKC leaves alone.
* `strip_decorations`: emoji and symbols between Chinese characters ("验🔥证🔥码").
* `expand_slang`: abbreviations and pinyin that stand for the trigger words
  ("tk" = 退款, "kou kou" = QQ, "vx" = 微信, "t.g" = Telegram), after words spelt out
  letter by letter are joined ("r e f u n d") and digits inside a word read as the
  letters they imitate ("c0ntact").
"""

from __future__ import annotations

import base64
import binascii
import html
import re

from .models import LinkRef

_RLO, _PDF, _LRO = "\u202e", "\u202c", "\u202d"


def reverse_overrides(text: str) -> str:
    """Each right-to-left-override run (to U+202C, another override or the line end)
    reversed into display order."""
    if _RLO not in text:
        return text
    out: list[str] = []
    i = 0
    while True:
        j = text.find(_RLO, i)
        if j == -1:
            out.append(text[i:])
            break
        out.append(text[i:j])
        ends = [
            k
            for k in (text.find(_PDF, j + 1), text.find(_LRO, j + 1), text.find("\n", j + 1))
            if k != -1
        ]
        k = min(ends) if ends else len(text)
        out.append(text[j + 1 : k][::-1])
        i = k + 1 if k < len(text) and text[k] in (_PDF, _LRO) else k
    return "".join(out)


_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")


def unescape_entities(text: str) -> str:
    if "&" not in text or not _ENTITY.search(text):
        return text
    return html.unescape(text)


_MD_LINK = re.compile(r"\[([^\[\]\n]{1,200})\]\(\s*([^()\s]{3,500})\s*\)")


def markdown_links(text: str) -> list[LinkRef]:
    """Markdown links: the shown text and the target."""
    if "](" not in text:
        return []
    return [LinkRef(url=m.group(2), visible_text=m.group(1)) for m in _MD_LINK.finditer(text)]


_B64 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
_DECODED_URL = re.compile(
    r"^(?:https?://|www\.)[\x21-\x7e]+$|^[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:/[\x21-\x7e]*)?$"
)


# a run of 16 base64 characters, which every blob has: a text without one is not searched
_B64_RUN = re.compile(r"[A-Za-z0-9+/_-]{16}")


def encoded_urls(text: str) -> list[str]:
    """Links hidden as base64 (standard or URL-safe alphabet)."""
    if len(text) < 16 or not _B64_RUN.search(text):
        return []
    out: list[str] = []
    for m in _B64.finditer(text):
        blob = m.group()
        if blob.isdigit() or blob.isalpha() and (blob.islower() or blob.isupper()):
            continue  # a number or a plain word, not base64
        padded = blob + "=" * (-len(blob) % 4)
        try:
            raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
            decoded = raw.decode("ascii").strip()
        except (binascii.Error, ValueError):
            continue
        if _DECODED_URL.match(decoded.lower()):
            out.append(decoded)
    return out


_TLDS = (
    r"com|cn|net|org|top|xyz|cc|vip|shop|info|me|io|co|tk|icu|link|club|site|online|hk|tw|ru|"
    r"app|live|pro|fun|ltd|work|buzz|store|win|bid|cyou|sbs|asia|biz|tv|ws|la|in|us"
)
# "- \n refund", "refund \n .top", "t . me / x": whitespace around the joints of a link
_JOINT_HYPHEN = re.compile(r"(?<=[a-z0-9])-\s+(?=[a-z0-9])")
_JOINT_DOT = re.compile(rf"(?<=[a-z0-9])\s*\.\s*(?=(?:{_TLDS})(?![a-z0-9]))")
_JOINT_SPACED_DOT = re.compile(
    rf"(?<=[a-z0-9])\s+\.\s*(?=[a-z0-9])|(?<=[a-z0-9])\s*\.\s+(?=(?:{_TLDS})\b)"
)
_JOINT_HINT = re.compile(r"-\s|\s\.|\.\s+[a-z]|\s/")
_JOINT_SLASH = re.compile(rf"(\.(?:{_TLDS}))\s+/\s*(?=[a-z0-9_])")


def rejoin_links(norm: str) -> str:
    """A normalised text with links broken by spaces or line breaks put back together.
    Only joints of a link are closed: a hyphen at a line end, spaces around a dot before
    a domain suffix, a space before the path of a domain."""
    if "." not in norm or not _JOINT_HINT.search(norm):
        return norm
    text = norm
    if "-" in text:
        text = _JOINT_HYPHEN.sub("-", text)
    text = _JOINT_DOT.sub(".", text)
    text = _JOINT_SPACED_DOT.sub(".", text)
    return _JOINT_SLASH.sub(r"\1/", text)


SMALL_CAPS = str.maketrans(
    {
        "ᴀ": "a",
        "ʙ": "b",
        "ᴄ": "c",
        "ᴅ": "d",
        "ᴇ": "e",
        "ꜰ": "f",
        "ɢ": "g",
        "ʜ": "h",
        "ɪ": "i",
        "ᴊ": "j",
        "ᴋ": "k",
        "ʟ": "l",
        "ᴍ": "m",
        "ɴ": "n",
        "ᴏ": "o",
        "ᴘ": "p",
        "ǫ": "q",
        "ʀ": "r",
        "ꜱ": "s",
        "ᴛ": "t",
        "ᴜ": "u",
        "ᴠ": "v",
        "ᴡ": "w",
        "ʏ": "y",
        "ᴢ": "z",
    }
)
SMALL_CAPS_RE = re.compile("[ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘǫʀꜱᴛᴜᴠᴡʏᴢ]")

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
_DECOR = r"\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2190-\u21ff\u25a0-\u25ff\u2700-\u27bf\u3297\u3299\ufe0f"
_DECOR_BETWEEN = re.compile(rf"(?<=[{_CJK}])[{_DECOR}\s]+(?=[{_CJK}])")
_HAS_DECOR = re.compile(rf"[{_DECOR}]")


def strip_decorations(text: str) -> str:
    """Emoji and symbols put between Chinese characters removed ("验🔥证🔥码" -> "验证码")."""
    if text.isascii() or not _HAS_DECOR.search(text):
        return text
    return _DECOR_BETWEEN.sub(lambda m: "" if _HAS_DECOR.search(m.group()) else m.group(), text)


# whole-word ASCII slang next to Chinese or spaces: what it stands for
_SLANG = {
    "tk": "退款",
    "tuikuan": "退款",
    "kf": "客服",
    "kefu": "客服",
    "vx": "微信",
    "v x": "微信",
    "wx": "微信",
    "weixin": "微信",
    "wei xin": "微信",
    "v信": "微信",
    "koukou": "qq",
    "kou kou": "qq",
    "扣扣": "qq",
    "抠抠": "qq",
    "企鹅号": "qq",
    "jia wo": "加我",
    "jiawo": "加我",
    "yzm": "验证码",
    "zfb": "支付宝",
    "k.f": "客服",
    "tg": "telegram",
    "t.g": "telegram",
    "tele": "telegram",
}
_SLANG_RE = re.compile(
    r"(?<![a-z0-9])(?:"
    + "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in sorted(_SLANG, key=len, reverse=True))
    + r")(?![a-z0-9])"
)
_SLANG_HINT = re.compile(
    r"tk|kf|k\.f|tg|t\.g|tele|vx|v x|wx|xin|kou|扣扣|抠抠|企鹅|jia|yzm|zfb|tuikuan|kefu"
)
# a word spelt out letter by letter, four letters or more: "r e f u n d", "c o n t a c t"
_SPELT = re.compile(r"(?<![a-z0-9])[a-z](?: [a-z]){3,}(?![a-z0-9])")
# a digit between letters standing for the letter it looks like: "c0ntact", "supp0rt", "fr33"
_LEET = re.compile(r"(?<=[a-z])[0345]+(?=[a-z])")
_LEET_MAP = str.maketrans("0345", "oeas")
# what every match of each contains, as patterns that start with a class: `re` skips the
# positions that cannot start one at C speed (the lookbehinds above try every position)
_SPELT_HINT = re.compile(r"[a-z] [a-z] [a-z] [a-z]")
_LEET_HINT = re.compile(r"[a-z][0345]+[a-z]")


def respell(text: str) -> str:
    """Words spelt out letter by letter joined, digits inside words read as letters."""
    if _SPELT_HINT.search(text):
        text = _SPELT.sub(lambda m: m.group().replace(" ", ""), text)
    if _LEET_HINT.search(text):
        text = _LEET.sub(lambda m: m.group().translate(_LEET_MAP), text)
    return text


def expand_slang(text: str) -> str:
    """Slang words replaced by what they stand for (on normalised text), after `respell`."""
    text = respell(text)
    if not _SLANG_HINT.search(text):
        return text
    return _SLANG_RE.sub(_expand, text)


def _expand(m: re.Match[str]) -> str:
    """A slang word's meaning, or nothing when the meaning is written right before it
    ("加我 jia wo qq": the pinyin repeats the characters, it adds no second 加我)."""
    meaning = _SLANG[re.sub(r"\s+", " ", m.group())]
    before = m.string[max(0, m.start() - len(meaning) - 2) : m.start()].rstrip()
    return "" if before.endswith(meaning) else meaning
