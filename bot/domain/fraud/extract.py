"""Finding URLs and bare domains in a normalised text.

Everything here works on the string alone: no DNS, no HTTP.
"""

from __future__ import annotations

import re

# ---------------------------------------------------------------------------- extraction

_H = r"a-z0-9\u00c0-\u024f\u0250-\u02af\u0370-\u03ff\u0400-\u052f\u0530-\u058f\u1e00-\u1eff"
_LABEL = rf"[{_H}](?:[{_H}-]{{0,61}}[{_H}])?"
# a URL ends at whitespace, quotes, Chinese characters and full-width punctuation
_STOP = r"\s<>\"'`\u3000-\u303f\uff00-\uffef\u3400-\u4dbf\u4e00-\u9fff"
_URL_RE = re.compile(
    rf"(?P<scheme>(?:https?|hxxps?|ftp)://)[^{_STOP}/?#]+(?:[/?#][^{_STOP}]*)?"
    rf"|(?<![{_H}.@_-])(?:[a-z0-9._%+-]+@)?(?:{_LABEL}\.)+(?:xn--[a-z0-9-]{{2,59}}|[a-z\u00c0-\u058f]{{2,24}})"
    rf"(?::\d{{1,5}})?(?:[/?#][^{_STOP}]*)?(?![{_H}])"
    rf"|(?<![\w.])(?:\d{{1,3}}\.){{3}}\d{{1,3}}(?::\d{{1,5}})?(?:[/?#][^{_STOP}]*)?(?![\w.])"
)
_TRAILING = ".,;:!?)]}>'\"*"
_QUICK = re.compile(r"[.:/@]")


def find_urls(text: str) -> list[tuple[int, int, str]]:
    """(start, end, url) of the URLs and bare domains in a normalised text."""
    if not _QUICK.search(text):
        return []
    out: list[tuple[int, int, str]] = []
    for m in _URL_RE.finditer(text):
        url = m.group().rstrip(_TRAILING)
        if url:
            out.append((m.start(), m.start() + len(url), url))
    return out


def extract_urls(text: str) -> list[str]:
    """URLs and bare domains in a normalised text, as found (trailing punctuation cut)."""
    return [url for _, _, url in find_urls(text)]


def mask_urls(text: str, spans: list[tuple[int, int, str]]) -> str:
    """The text with each URL replaced by a space, so its words are not read as prose."""
    if not spans:
        return text
    parts, last = [], 0
    for start, end, _ in spans:
        parts.append(text[last:start])
        parts.append(" ")
        last = end
    parts.append(text[last:])
    return "".join(parts)
