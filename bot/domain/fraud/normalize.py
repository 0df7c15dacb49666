"""Text normalisation before any check.

* NFKC: full-width letters, digits and punctuation fold to their ASCII forms.
* Zero-width, bidi and control characters are removed (they split words invisibly).
* Lower case.
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
_REMOVE_INVISIBLE = {ord(c): None for c in _INVISIBLE}
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

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# separators people put between characters to dodge keyword filters
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])[\s·•・*_\-|/\\~.,，、。'\"`^+=]+(?=[{_CJK}])")
_CJK_LATIN_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[a-z0-9])|(?<=[a-z0-9])\s+(?=[{_CJK}])")
_HAS_CJK = re.compile(rf"[{_CJK}]")

_URL_DOTS = re.compile(
    r"(?<=[a-z0-9])(?:[。｡]|\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)"
    r"|\s*(?:点|\bdot\b)\s*(?=(?:com|cn|net|org|top|xyz|cc|vip|shop|info|me|io|co|tk|icu|link|club|site|online|hk)(?![a-z0-9])))",
)


def normalize(text: str) -> str:
    """NFKC, invisible characters removed, lower case, traditional -> simplified."""
    if not text:
        return ""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_REMOVE_INVISIBLE).translate(_T2S)
    elif "\t" in text or "\r" in text or any(ord(c) < 32 and c != "\n" for c in text):
        text = text.translate(_REMOVE_INVISIBLE)
    return text.lower()


def compact(norm: str) -> str:
    """Spaced-out Chinese closed up ("验 证 码" -> "验证码"); input is `normalize`d."""
    if not _HAS_CJK.search(norm):
        return norm
    norm = _CJK_GAP.sub("", norm)
    return _CJK_LATIN_GAP.sub("", norm)


def url_ready(norm: str) -> str:
    """Obfuscated dots restored ("alipay。com", "alipay[.]com", "alipay点com")."""
    return _URL_DOTS.sub(".", norm)


def to_simplified(text: str) -> str:
    return text.translate(_T2S)
