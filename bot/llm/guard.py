"""Guardrails on model output. Pure functions: no IO, no model.

- `strip_foreign_urls`: every URL or bare domain not on the allowlist is cut out.
- `unbacked_claims`: amounts, percentages, durations and dates the sources do not contain,
  and any statement that a refund is approved, are reported; the caller drops the text.
- `leaks_prompt`: the output repeats a piece of the system prompt (or its marker).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# --- URLs -------------------------------------------------------------------------------

_URL = re.compile(
    r"(?:(?:https?|hxxps?|ftp|tg)://|www\.)[^\s<>\"'`\u3000-\u303f\uff00-\uffef\u4e00-\u9fff]+"
    r"|(?<![\w.@-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,24}|xn--[a-z0-9-]{2,59})"
    r"(?::\d{1,5})?(?:/[^\s<>\"'`\u3000-\u303f\uff00-\uffef\u4e00-\u9fff]*)?(?![\w-])"
    r"|(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?:/\S*)?",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?)]}>'\"*"
# file names and abbreviations that look like domains but are not links
_NOT_DOMAINS = {"e.g", "i.e", "a.m", "p.m", "etc"}


def _host(url: str) -> str:
    value = url.lower()
    if "://" in value:
        value = value.split("://", 1)[1]
    value = re.split(r"[/?#\\]", value, maxsplit=1)[0]
    value = value.rsplit("@", 1)[-1]
    if value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.strip(".")


def _allowed(host: str, allowlist: Iterable[str]) -> bool:
    for domain in allowlist:
        domain = domain.lower().strip().strip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


def find_urls(text: str) -> list[tuple[int, int, str]]:
    """(start, end, url) of URL-like tokens: schemes, www., bare domains, IP addresses."""
    found = []
    normalised = unicodedata.normalize("NFKC", text) if len(unicodedata.normalize("NFKC", text)) == len(text) else text
    for match in _URL.finditer(normalised):
        url = match.group().rstrip(_TRAILING)
        if not url or url.lower() in _NOT_DOMAINS:
            continue
        found.append((match.start(), match.start() + len(url), text[match.start() : match.start() + len(url)]))
    return found


def strip_foreign_urls(text: str, allowlist: Iterable[str]) -> tuple[str, list[str]]:
    """The text without URLs outside `allowlist` (a domain allows its subdomains), and the
    removed URLs."""
    allow = list(allowlist)
    removed: list[str] = []
    parts: list[str] = []
    last = 0
    for start, end, url in find_urls(text):
        if _allowed(_host(url), allow):
            continue
        removed.append(url)
        parts.append(text[last:start])
        last = end
    parts.append(text[last:])
    cleaned = "".join(parts)
    if removed:
        cleaned = re.sub(r"[ \t]{2,}", " ", cleaned).strip()
    return cleaned, removed


# --- claims the rules did not produce ---------------------------------------------------

_NUM = r"\d+(?:[.,]\d+)?"
_CN_NUM = r"[一二两三四五六七八九十百千万半]+"
_CLAIMS = [
    # money
    re.compile(rf"(?:[¥￥$]|rmb|cny|usd)\s*({_NUM})", re.IGNORECASE),
    re.compile(rf"({_NUM}|{_CN_NUM})\s*(?:元|块|圆|yuan|rmb|cny|dollars?)", re.IGNORECASE),
    # percentages
    re.compile(rf"({_NUM})\s*(?:%|％|percent)", re.IGNORECASE),
    re.compile(rf"百分之\s*({_NUM}|{_CN_NUM})"),
    # durations and deadlines
    re.compile(
        rf"({_NUM}|{_CN_NUM})\s*(?:-|~|至|到)?\s*(?:{_NUM}|{_CN_NUM})?\s*"
        r"(?:个)?(?:工作日|自然日|天|日内|小时|分钟|周|星期|个月|月内|business days?|working days?|days?|hours?|hrs?|minutes?|mins?|weeks?|months?)",
        re.IGNORECASE,
    ),
    # dates
    re.compile(r"(\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?)"),
    re.compile(r"(\d{1,2}月\d{1,2}[日号])"),
]
_APPROVAL = re.compile(
    r"已(?:经)?(?:为您|给您|帮您)?(?:批准|通过|同意|审核通过|退款成功|安排退款|处理退款|退还)"
    r"|(?:批准|同意|通过)了?(?:您的)?退款|保证(?:能|会)?(?:退|全额)|肯定(?:能|会)退|一定(?:能|会)退"
    r"|(?:您|你)(?:将|会|可以|能)(?:获得|收到|拿到)(?:全额|部分)?退款|全额退(?:给|还)(?:您|你)"
    r"|\b(?:approved?|approving|granted|guarantee[ds]?|authori[sz]ed)\b"
    r"|\byou (?:will|'ll|are going to) (?:get|receive|be (?:refunded|paid))"
    r"|\bwe (?:will|'ll) refund\b|\brefund (?:is|has been|was) (?:issued|processed|confirmed|sent)",
    re.IGNORECASE,
)
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _numbers(text: str) -> set[str]:
    """Every number in a text, normalised (full-width folded, 100.00 -> 100, 1,000 -> 1000)."""
    values = set()
    folded = unicodedata.normalize("NFKC", text)
    for raw in re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", folded):
        values.add(_canonical(raw))
    for char, value in _CN_DIGITS.items():
        if char in folded:
            values.add(str(value))
    return values


def _canonical(raw: str) -> str:
    value = raw.replace(",", "")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value.lstrip("0") or "0"


def unbacked_claims(text: str, sources: Iterable[str] = (), *, allow_approval: bool = False) -> list[str]:
    """The amounts, percentages, durations and dates in `text` whose numbers appear in none
    of `sources` (the passages, facts and decision the text may rely on), and any approval
    statement unless `allow_approval`. Empty: nothing unbacked."""
    backed: set[str] = set()
    for source in sources:
        backed |= _numbers(source)
    folded = unicodedata.normalize("NFKC", text)
    problems: list[str] = []
    for pattern in _CLAIMS:
        for match in pattern.finditer(folded):
            claim = match.group(0)
            numbers = _numbers(claim)
            if not numbers or not numbers <= backed:
                problems.append(claim.strip())
    if not allow_approval and (approval := _APPROVAL.search(folded)):
        problems.append(approval.group(0))
    return problems


# --- prompt leaks -----------------------------------------------------------------------

_SQUASH = re.compile(r"[\W_]+", re.UNICODE)


def _squash(text: str) -> str:
    return _SQUASH.sub("", unicodedata.normalize("NFKC", text).lower())


def leaks_prompt(output: str, system_prompt: str, *, marker: str = "", window: int = 40) -> bool:
    """True when the output contains the marker or any `window` consecutive characters of
    the system prompt (punctuation, spaces and case ignored)."""
    if marker and marker in output:
        return True
    prompt, said = _squash(system_prompt), _squash(output)
    if not prompt or not said:
        return False
    if len(prompt) <= window:
        return prompt in said
    step = max(1, window // 4)
    return any(prompt[i : i + window] in said for i in range(0, len(prompt) - window + 1, step))
