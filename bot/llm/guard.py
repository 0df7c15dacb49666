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
    for match in _URL.finditer(text):
        url = match.group().rstrip(_TRAILING)
        if url and url.lower() not in _NOT_DOMAINS:
            found.append((match.start(), match.start() + len(url), url))
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
# amounts and percentages: the number must appear in a source with the same kind of unit
_MONEY = [
    re.compile(rf"(?:[¥￥$]|rmb|cny|usd)\s*({_NUM})", re.IGNORECASE),
    re.compile(rf"({_NUM}|{_CN_NUM})\s*(?:元|块|圆|yuan|rmb|cny|dollars?)", re.IGNORECASE),
]
_PERCENT = [
    re.compile(rf"({_NUM})\s*(?:%|percent)", re.IGNORECASE),
    re.compile(rf"百分之\s*({_NUM}|{_CN_NUM})"),
]
# dates: their numbers must appear in a source
_DATES = [
    re.compile(r"(\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?)"),
    re.compile(r"(\d{1,2}月\d{1,2}[日号])"),
]
# durations: a number (or a range) and a unit; the unit must match the source's too
_UNITS = {
    "workday": r"个?工作日|business days?|working days?|workdays?",
    "day": r"个?自然日|天|日内|days?",
    "hour": r"个?小时|hours?|hrs?",
    "minute": r"分钟|minutes?|mins?",
    "week": r"个?(?:星期|礼拜)|周|weeks?",
    "month": r"个月|月内|months?",
}
_DURATION = re.compile(
    rf"(?P<n1>{_NUM}|{_CN_NUM})(?:\s*(?:-|~|–|至|到|to)\s*(?P<n2>{_NUM}|{_CN_NUM}))?\s*(?P<unit>"
    + "|".join(f"(?P<{name}>{pattern})" for name, pattern in _UNITS.items())
    + r")",
    re.IGNORECASE,
)
_APPROVAL = re.compile(
    r"已(?:经)?(?:为您|给您|帮您)?(?:批准|通过|同意|审核通过|退款成功|安排退款|处理退款|退还)"
    r"|(?:批准|同意|通过)了?(?:您的)?退款|保证(?:能|会)?(?:退|全额)|肯定(?:能|会)退|一定(?:能|会)退"
    r"|(?:您|你)(?:将|会|可以|能)(?:获得|收到|拿到)(?:全额|部分)?退款|全额退(?:给|还)(?:您|你)"
    r"|\b(?:approved?|approving|granted|guarantee[ds]?|authori[sz]ed)\b"
    r"|\byou (?:will|'ll|are going to) (?:get|receive|be (?:refunded|paid))"
    r"|\bwe (?:will|'ll) refund\b|\brefund (?:is|has been|was) (?:issued|processed|confirmed|sent)",
    re.IGNORECASE,
)
_CN_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}


def _canonical(raw: str) -> str:
    if raw in _CN_DIGITS:
        return str(_CN_DIGITS[raw])
    value = raw.replace(",", "")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value.lstrip("0") or "0"


def _numbers(text: str) -> set[str]:
    """Every number in a text, normalised (full-width folded, 100.00 -> 100, 1,000 -> 1000,
    single Chinese numerals to digits)."""
    folded = unicodedata.normalize("NFKC", text)
    values = {_canonical(raw) for raw in re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", folded)}
    values |= {_canonical(char) for char in folded if char in _CN_DIGITS}
    return values


def _claimed(texts: Iterable[str], patterns: Iterable[re.Pattern[str]]) -> set[str]:
    """The numbers of every claim of these patterns in the texts."""
    found: set[str] = set()
    for pattern in patterns:
        for text in texts:
            for match in pattern.finditer(text):
                found |= _numbers(match.group(1))
    return found


def _durations(text: str) -> set[tuple[str, str]]:
    """(number, unit) of every duration in a text: "1-3个工作日" -> (1, workday), (3, workday)."""
    found = set()
    for match in _DURATION.finditer(unicodedata.normalize("NFKC", text)):
        unit = next(name for name in _UNITS if match.group(name))
        for group in ("n1", "n2"):
            if match.group(group):
                found |= {(number, unit) for number in _numbers(match.group(group))}
    return found


def unbacked_claims(
    text: str,
    sources: Iterable[str] = (),
    *,
    facts: Iterable[str] = (),
    allow_approval: bool = False,
) -> list[str]:
    """What `text` states that neither the prose `sources` (passages, the buyer's messages)
    nor the structured `facts` (facts and decision as JSON) back: amounts, percentages and
    durations whose number does not appear with the same kind of unit in a source, dates
    whose numbers appear in none (any number in `facts` backs a claim), and any approval
    statement unless `allow_approval`. Empty: nothing unbacked."""
    sources, facts = list(sources), list(facts)
    fact_numbers: set[str] = set()
    for fact in facts:
        fact_numbers |= _numbers(fact)
    prose = [unicodedata.normalize("NFKC", source) for source in sources]
    backed = {
        "money": _claimed(prose, _MONEY) | fact_numbers,
        "percent": _claimed(prose, _PERCENT) | fact_numbers,
        "date": set().union(*(_numbers(p) for p in prose)) | fact_numbers
        if prose
        else fact_numbers,
    }
    durations: set[tuple[str, str]] = set()
    for source in prose:
        durations |= _durations(source)
    folded = unicodedata.normalize("NFKC", text)
    problems: list[str] = []
    for kind, patterns in (("money", _MONEY), ("percent", _PERCENT), ("date", _DATES)):
        for pattern in patterns:
            for match in pattern.finditer(folded):
                found = _numbers(match.group(1))
                if not found or not found <= backed[kind]:
                    problems.append(match.group(0).strip())
    for match in _DURATION.finditer(folded):
        claimed = _durations(match.group(0))
        if not claimed or not all(d in durations or d[0] in fact_numbers for d in claimed):
            problems.append(match.group(0).strip())
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
