"""Text normalisation before any check.

* NFKC: full-width letters, digits and punctuation fold to their ASCII forms.
* Zero-width, bidi and control characters are removed (they split words invisibly).
* Lower case; small capital letters (ᴛᴀᴏʙᴀᴏ) to their letters.
* A run of five or more digits written as Chinese numerals, plain or financial
  ("壹零叁 捌捌 柒陆", "一零三八八", "幺三五…"), reads as the ASCII digits it spells, so a
  QQ or phone number hidden that way meets the same checks as "103 88 76"; amounts
  ("壹佰贰拾") and short numbers ("二〇二四") have other characters or are too short.
* Traditional Chinese characters of the matched vocabulary fold to simplified
  (data/t2s.txt).
* For the text checks, spaces and separators between Chinese characters are
  removed so "验 证 码" or "验-证-码" read as "验证码".
* For the URL checks, an ideographic full stop between ASCII letters ("alipay。com"),
  "[.]" and "点com" / "dot com" spellings become a dot.
"""

from __future__ import annotations

import re
import unicodedata

from .resources import read_text
from .reveal import SMALL_CAPS, SMALL_CAPS_RE

_INVISIBLE = (
    [chr(c) for c in range(0x00, 0x09)]
    + ["\x0b", "\x0c"]
    + [chr(c) for c in range(0x0E, 0x20)]
    + [chr(c) for c in range(0x7F, 0xA0)]
    + ["\u00ad", "\u034f", "\u061c", "\u115f", "\u1160", "\u17b4", "\u17b5", "\u3164", "\uffa0"]
    + [chr(c) for c in range(0x180B, 0x180F)]
    + [chr(c) for c in range(0x200B, 0x2010)]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2060, 0x2070)]
    + [chr(c) for c in range(0xFE00, 0xFE10)]
    + ["\ufeff"]
)
_REMOVE_INVISIBLE: dict[int, str | None] = {ord(c): None for c in _INVISIBLE}
_REMOVE_INVISIBLE[ord("\t")] = " "
_REMOVE_INVISIBLE[ord("\r")] = "\n"


def _load_t2s() -> dict[int, str]:
    table: dict[int, str] = {}
    for line in read_text("t2s.txt").splitlines():
        if not line or line.startswith("#"):
            continue
        trad, simp = line.split()
        table[ord(trad)] = simp
    return table


_T2S = _load_t2s()
_TRAD_RE = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_T2S)) + "]")
_INVISIBLE_RE = re.compile("[" + "".join(re.escape(c) for c in _INVISIBLE + ["\t", "\r"]) + "]")

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# separators people put between characters to dodge keyword filters
# decorative separators only: commas, full stops and colons still end clauses
_SEPS = re.compile(r"[\s·•・*_\-|/\\~.'\"`^+=]+")
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_ALNUM = re.compile(r"[a-z0-9]")
_ASCII_QUOTED = re.compile(r'"([^"\n]{1,40})"')
_ASCII_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_HAS_CJK = re.compile(rf"[{_CJK}]")

# digits written as Chinese numerals: plain, financial (大写) and "幺" for one in numbers
_CN_DIGITS = {
    **dict.fromkeys("零〇", "0"),
    **{c: str(i) for i, c in enumerate("一二三四五六七八九", 1)},
    **{c: str(i) for i, c in enumerate("壹贰叁肆伍陆柒捌玖", 1)},
    "幺": "1",
}
_CN_DIGIT = "".join(_CN_DIGITS) + "0-9"
# five or more digits in a row, a space, hyphen or dot between groups allowed
_CN_NUMBER = re.compile(rf"[{_CN_DIGIT}](?:[ \-·]?[{_CN_DIGIT}]){{4,}}")
_FOLD_CN_DIGITS = {ord(c): d for c, d in _CN_DIGITS.items()}


def _fold_cn_number(m: re.Match[str]) -> str:
    return m.group().translate(_FOLD_CN_DIGITS)


def fold_cn_numbers(text: str) -> str:
    """Runs of five or more digits spelt in Chinese numerals as ASCII digits, one
    character for one (offsets keep): "扣扣：壹零叁 捌捌 柒陆" -> "扣扣：103 88 76"."""
    return _CN_NUMBER.sub(_fold_cn_number, text)


_HOST_LETTER = r"a-z0-9\u00c0-\u024f\u0370-\u03ff\u0400-\u052f\u0530-\u058f\u1e00-\u1eff"
_URL_DOTS = re.compile(
    rf"(?<=[{_HOST_LETTER}])(?:[。｡](?=[{_HOST_LETTER}])|\[\.\]|\(\.\)|\{{\.\}}|\[dot\]|\(dot\)"
    r"|\s*(?:点|\bdot\b)\s*(?=(?:com|cn|net|org|top|xyz|cc|vip|shop|info|me|io|co|tk|icu|link|club|site|online|hk)(?![a-z0-9])))",
)


_DOT_HINTS = ("。", "[", "(", "{", "点", "dot")
# one search for them all: a text without any has no disguised dot
_DOT_HINT = re.compile("|".join(map(re.escape, _DOT_HINTS)))


def normalize(text: str) -> str:
    """NFKC, invisible characters removed, lower case, traditional -> simplified."""
    if not text:
        return ""
    if not text.isascii():
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        if _INVISIBLE_RE.search(text):
            text = text.translate(_REMOVE_INVISIBLE)
        if _TRAD_RE.search(text):
            text = text.translate(_T2S)
        if SMALL_CAPS_RE.search(text):
            text = text.translate(SMALL_CAPS)  # "ᴛᴀᴏʙᴀᴏ": NFKC keeps small capitals
        if _HAS_CJK.search(text):
            text = fold_cn_numbers(text)  # "壹零叁捌捌…": a number spelt in numerals
    elif _ASCII_CONTROL.search(text):
        text = text.translate(_REMOVE_INVISIBLE)
    return text.lower()


_SPACERS = " *·-_|~/"


def despace(norm: str) -> str:
    """Letter-spaced text closed up: "t h i s   i s" -> "this is", "验*证*码" -> "验证码".

    Only when one separator character makes up over a third of the text and splits it
    mostly into single characters; a longer run of it than the shortest stays a space.
    """
    n = len(norm)
    if n < 12:
        return norm
    for sep in _SPACERS:
        count = norm.count(sep)
        if count * 3 < n:
            continue
        runs = re.split(f"({re.escape(sep)}+)", norm)
        tokens = runs[0::2]
        gaps = runs[1::2]
        if not gaps:
            continue
        singles = sum(1 for t in tokens if len(t) == 1)
        if singles * 10 < len(tokens) * 7:
            continue
        shortest = min(len(g) for g in gaps)
        out = [tokens[0]]
        for gap, token in zip(gaps, tokens[1:], strict=True):
            out.append("" if len(gap) == shortest else " ")
            out.append(token)
        return "".join(out)
    return norm


def compact(norm: str) -> str:
    """Spaced-out Chinese closed up ("验 证 码" -> "验证码"); input is `normalize`d."""
    if not _HAS_CJK.search(norm):
        return norm

    def close(m: re.Match[str]) -> str:
        s, e = m.span()
        if s == 0 or e == len(norm):
            return m.group()
        left, right = norm[s - 1], norm[e]
        if _CJK_CHAR.match(left):
            if _CJK_CHAR.match(right) or (m.group().isspace() and _ALNUM.match(right)):
                return ""
        elif _CJK_CHAR.match(right) and m.group().isspace() and _ALNUM.match(left):
            return ""
        return m.group()

    return _SEPS.sub(close, norm)


def quotes_kept(norm: str) -> str:
    """A Chinese text's ASCII-quoted phrases in Chinese quotes, which `compact` keeps (it
    drops ASCII quotes between Chinese characters as separators): the text checks tell a
    scam's words named ('那个"交保证金成为代理"的群') from the same words said."""
    if '"' not in norm or not _HAS_CJK.search(norm):
        return norm
    return _ASCII_QUOTED.sub(r"“\1”", norm)


def url_ready(norm: str) -> str:
    """Obfuscated dots restored ("alipay。com", "alipay[.]com", "alipay点com")."""
    if _DOT_HINT.search(norm):
        return _URL_DOTS.sub(".", norm)
    return norm


def to_simplified(text: str) -> str:
    return text.translate(_T2S)
