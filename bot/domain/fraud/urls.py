"""URL extraction and offline URL checks.

Every check here works on the URL string alone: no DNS, no HTTP. Domains are split
with the public suffix list bundled in tldextract (never refreshed from the network).
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from dataclasses import dataclass, field

import tldextract
from rapidfuzz.distance import OSA

from .models import Risk
from .skeleton import Skeletonizer

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


# ---------------------------------------------------------------------------- parsing


@dataclass(slots=True)
class ParsedUrl:
    raw: str
    has_scheme: bool
    userinfo: str
    host: str
    path: str


def parse_url(raw: str) -> ParsedUrl:
    s = raw.strip()
    has_scheme = "://" in s[:10]
    if has_scheme:
        s = s.split("://", 1)[1]
    cut = len(s)
    for sep in "/?#\\":
        i = s.find(sep)
        if i != -1 and i < cut:
            cut = i
    authority, path = s[:cut], s[cut:]
    userinfo = ""
    if "@" in authority:
        userinfo, authority = authority.rsplit("@", 1)
    host = authority
    if host.startswith("["):
        host = host[: host.find("]") + 1] if "]" in host else host
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return ParsedUrl(raw=raw, has_scheme=has_scheme, userinfo=userinfo, host=host.strip(".").lower(), path=path)


_NUM_PART = re.compile(r"^(?:0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$")


def parse_ip(host: str, *, loose: bool) -> str | None:
    """The IP address a host stands for, or None. `loose` accepts the decimal, hex
    and octal spellings browsers accept in URLs (http://3232235777/, http://0x7f.1/)."""
    if host.startswith("[") and host.endswith("]"):
        try:
            return str(ipaddress.IPv6Address(host[1:-1]))
        except ValueError:
            return None
    parts = host.split(".")
    if len(parts) == 4 and all(p.isdigit() and len(p) <= 3 for p in parts):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            return None
    if not loose or not 1 <= len(parts) <= 4 or not all(_NUM_PART.match(p) for p in parts):
        return None
    nums = [int(p, 16) if p.startswith("0x") else int(p, 8) if len(p) > 1 and p.startswith("0") else int(p) for p in parts]
    # inet_aton: the last part fills the remaining bytes
    value = 0
    for n in nums[:-1]:
        if n > 255:
            return None
        value = value * 256 + n
    rest_bytes = 5 - len(nums)
    if nums[-1] >= 256**rest_bytes:
        return None
    value = value * 256**rest_bytes + nums[-1]
    return str(ipaddress.IPv4Address(value))


def to_unicode_host(host: str) -> str:
    labels = []
    for label in host.split("."):
        if label.startswith("xn--"):
            with contextlib.suppress(UnicodeError, ValueError):
                label = label.encode("ascii").decode("idna")
        labels.append(label)
    return ".".join(labels)


def to_ascii_host(host: str) -> str | None:
    labels = []
    for label in host.split("."):
        if label.isascii():
            labels.append(label)
            continue
        try:
            labels.append(label.encode("idna").decode("ascii"))
        except (UnicodeError, ValueError):
            return None
    return ".".join(labels)


# ---------------------------------------------------------------------------- brands


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    skel: str  # strong skeleton, for whole-label comparison
    light: str  # light skeleton, for finding the brand inside a longer label
    brand: str
    domain: str  # the brand's main domain, for details: "alipay.com"
    weak: bool
    primary: bool  # the label of the brand's main domain ("alipay"), not an alias ("zfb")


@dataclass(slots=True)
class RawFinding:
    check: str
    severity: Risk
    detail: str
    url: str | None = None
    params: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class UrlReport:
    url: str
    host: str
    registered: str
    trusted: bool
    findings: list[RawFinding]


def max_distance(length: int) -> int:
    """Edit distance tolerated for a brand token of this length."""
    if length <= 3:
        return 0
    if length <= 8:
        return 1
    return 2


class UrlAnalyzer:
    def __init__(
        self,
        *,
        brands: list[dict],
        keywords: list[str],
        allow_domains: list[str],
        shorteners: set[str],
        shortener_exempt: set[str],
        suspicious_tlds: set[str],
    ) -> None:
        self.skel = Skeletonizer()
        self.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
        self.official: set[str] = set()
        self.brand_domains: list[str] = []
        tokens: list[Token] = []
        for b in brands:
            domains = [d.lower() for d in b["domains"]]
            self.official.update(domains)
            self.brand_domains.extend(domains)
            weak = {str(w).lower() for w in b.get("weak", [])}
            for t in b["tokens"]:
                t = str(t).lower()
                tokens.append(
                    Token(t, self.skel(t, strong=True), self.skel(t), b["name"], domains[0],
                          weak=len(t) < 5 or t in weak, primary=t == domains[0].split(".")[0])
                )
        self.tokens = tokens
        names = {str(n).lower(): b["domains"][0] for b in brands for n in b.get("names", [])}
        self.brand_names = names
        self.brand_names_re = (
            re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
            if names else None
        )
        self.strict = [t for t in tokens if not t.weak]
        # whole-label matches: weak aliases ("tb", "wx", "steam") only count inside a
        # longer label next to a keyword, never as a label of their own
        self.by_skel: dict[str, Token] = {}
        for t in tokens:
            if t.primary or not t.weak:
                self.by_skel.setdefault(t.skel, t)
        self.by_text = {t.text: t for t in tokens if t.primary or not t.weak}
        self.trusted = self.official | {d.lower() for d in allow_domains}
        self.shorteners = shorteners
        self.shortener_exempt = shortener_exempt
        self.suspicious_tlds = suspicious_tlds
        kw_skels = sorted({self.skel(k.lower()) for k in keywords}, key=len, reverse=True)
        kw_skels += sorted({self.skel(k.lower(), strong=True) for k in keywords} - set(kw_skels), key=len, reverse=True)
        self.keywords_re = re.compile("|".join(re.escape(k) for k in kw_skels))
        self.keywords_full = re.compile(f"(?:{'|'.join(re.escape(k) for k in kw_skels)})+")
        self.brand_domain_re = re.compile(
            r"(?:^|[.-])("
            + "|".join(re.escape(d) for d in sorted(set(self.brand_domains), key=len, reverse=True))
            + r")[.-]"
        )
        path_terms = sorted(
            {t.text for t in self.strict} | set(self.brand_domains), key=len, reverse=True
        )
        self.path_brand_re = re.compile("|".join(re.escape(p) for p in path_terms))
        self.path_kw_re = re.compile(
            r"tuikuan|refund|kefu|support|service|lipei|claim|compensat|verify|login|signin"
            r"|unfreeze|jiedong|secure|account|zhanghu|vip|huiyuan"
        )
        self._cache: dict[tuple[str, str], UrlReport] = {}

    # -------------------------------------------------------------- helpers

    def is_trusted_host(self, host: str) -> bool:
        labels = host.split(".")
        return any(".".join(labels[i:]) in self.trusted for i in range(len(labels) - 1))

    def _fuzzy(self, s: str) -> tuple[Token, int] | None:
        """A brand token that skeleton `s` imitates: equal skeleton or a small edit."""
        tok = self.by_skel.get(s)
        if tok is not None:
            return tok, 0
        for tok in self.strict:
            n = len(tok.skel)
            limit = max_distance(n)
            if limit == 0 or abs(len(s) - n) > limit:
                continue
            d = OSA.distance(s, tok.skel, score_cutoff=limit)
            if d > limit:
                continue
            if n <= 5 and len(s) == n and sorted(s) != sorted(tok.skel):
                continue  # a plain substitution in a short name: small.com is not tmall.com
            return tok, d
        return None

    def _label_findings(self, label: str, registered: str, url: str) -> list[RawFinding]:
        """Checks on the registered domain's own label (`label` is unicode, lower case)."""
        params = {"host": registered}
        suffix = registered[len(label) + 1 :] if registered.startswith(label + ".") else ""
        tok = self.by_text.get(label)
        if tok is not None:
            sev = Risk.MEDIUM if tok.weak else Risk.HIGH
            return [
                RawFinding(
                    "url.lookalike", sev,
                    f"brand name '{tok.text}' under another suffix (.{suffix}), not {tok.domain}",
                    url, {**params, "brand": tok.domain},
                )
            ]
        s = self.skel(label, strong=True)
        hit = self._fuzzy(s)
        if hit is not None:
            tok, d = hit
            how = "homoglyph/confusable spelling" if d == 0 else f"edit distance {d}"
            return [
                RawFinding("url.lookalike", Risk.HIGH, f"lookalike of {tok.domain} ({how})", url,
                           {**params, "brand": tok.domain})
            ]
        # brand token inside a longer label
        s = self.skel(label)
        for tok in self.tokens:
            if tok.light not in s:
                continue
            rest = s.replace(tok.light, "", 1)
            kws = self.keywords_re.findall(rest)
            if tok.weak and not (rest and self.keywords_full.fullmatch(rest)):
                continue
            extra = f" with '{'/'.join(kws)}'" if kws else ""
            return [
                RawFinding("url.brand_in_domain", Risk.HIGH,
                           f"brand '{tok.text}' inside unofficial domain {registered}{extra}", url,
                           {**params, "brand": tok.domain})
            ]
        # a look-alike brand next to keywords: alipy-kefu, a1ipaytuikuan
        candidates = []
        if "-" in label:
            candidates += [self.skel(p, strong=True) for p in label.split("-") if p]
        stripped = self.keywords_re.sub("", s)
        if stripped and stripped != s:
            candidates.append(self.skel(stripped, strong=True))
        for c in candidates:
            if len(c) < 2:
                continue
            hit = self._fuzzy(c)
            if hit is not None:
                tok, d = hit
                if tok.weak and not self.keywords_re.search(s):
                    continue
                return [
                    RawFinding("url.brand_in_domain", Risk.HIGH,
                               f"lookalike of brand '{tok.text}' inside unofficial domain {registered}",
                               url, {**params, "brand": tok.domain})
                ]
        return []

    # -------------------------------------------------------------- analysis

    def analyze(self, raw: str, source: str = "text") -> UrlReport:
        key = (raw, source)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        report = self._analyze(raw, source)
        if len(self._cache) > 20_000:
            self._cache.clear()
        self._cache[key] = report
        return report

    def _analyze(self, raw: str, source: str) -> UrlReport:
        p = parse_url(raw)
        where = "" if source == "text" else f" ({source})"
        findings: list[RawFinding] = []
        host = p.host
        email = bool(p.userinfo) and not p.has_scheme and "." not in p.userinfo
        if p.userinfo and not email:
            looks_like_domain = "." in p.userinfo
            findings.append(
                RawFinding(
                    "url.userinfo", Risk.HIGH if looks_like_domain else Risk.MEDIUM,
                    f"'{p.userinfo}@' before the real host {host}{where}", raw,
                    {"host": host, "visible": p.userinfo},
                )
            )
        ip = parse_ip(host, loose=p.has_scheme)
        if ip is not None:
            findings.append(
                RawFinding("url.ip_host", Risk.MEDIUM, f"raw IP address host {ip}{where}", raw,
                           {"host": ip})
            )
            return UrlReport(raw, host, ip, False, findings)
        ascii_host = to_ascii_host(host) if len(host) <= 253 else None
        if ascii_host is None or len(ascii_host) > 253:  # not a DNS name
            return UrlReport(raw, host, "", False, findings)
        uni_host = to_unicode_host(ascii_host) if "xn--" in ascii_host else host
        ext = self.extract(ascii_host)
        if not ext.suffix or not ext.domain:
            return UrlReport(raw, host, "", False, findings)
        registered = f"{ext.domain}.{ext.suffix}"
        if self.is_trusted_host(ascii_host):
            return UrlReport(raw, uni_host, registered, True, findings)
        uni_registered = to_unicode_host(registered)
        if ascii_host != uni_host or "xn--" in ascii_host:
            findings.append(
                RawFinding("url.idn", Risk.MEDIUM,
                           f"internationalised domain {ascii_host} shows as {uni_host}{where}", raw,
                           {"host": uni_host})
            )
        label = uni_registered.split(".", 1)[0]
        for f in self._label_findings(label, uni_registered, raw):
            f.detail += where
            findings.append(f)
        # the brand's domain in front of the real one: alipay.com.evil.cn, qq.com-refund.top
        m = self.brand_domain_re.search(ascii_host)
        if m and not ascii_host.endswith("." + m.group(1)):
            findings.append(
                RawFinding("url.brand_in_subdomain", Risk.HIGH,
                           f"starts like {m.group(1)} but the site is {registered}{where}", raw,
                           {"host": uni_host, "brand": m.group(1)})
            )
        elif ext.subdomain:
            for sub in ext.subdomain.split("."):
                if sub in ("www", "m", "wap", ""):
                    continue
                sub_u = to_unicode_host(sub)
                tok = self.by_skel.get(self.skel(sub_u, strong=True))
                if tok is not None and tok.weak and not self.keywords_re.search(self.skel(label)):
                    tok = None  # "jd.example.com", "wx.example.com": common subdomain names
                if tok is None:
                    light = self.skel(sub_u)
                    tok = next((t for t in self.strict if t.light in light), None)
                if tok is not None:
                    findings.append(
                        RawFinding("url.brand_in_subdomain",
                                   Risk.MEDIUM if tok.weak else Risk.HIGH,
                                   f"subdomain '{sub}' names {tok.domain} but the site is {registered}{where}",
                                   raw, {"host": uni_host, "brand": tok.domain})
                    )
                    break
        if p.path and len(p.path) > 1:
            m = self.path_brand_re.search(p.path)
            if m:
                kw = self.path_kw_re.search(p.path)
                findings.append(
                    RawFinding("url.brand_in_path", Risk.MEDIUM if kw else Risk.LOW,
                               f"'{m.group()}' in the path of {registered}"
                               + (f" with '{kw.group()}'" if kw else "") + where,
                               raw, {"host": registered, "brand": m.group()})
                )
        if (registered in self.shorteners or ascii_host in self.shorteners) and not (
            registered in self.shortener_exempt or ascii_host in self.shortener_exempt
        ):
            findings.append(
                RawFinding("url.shortener", Risk.LOW, f"link shortener {registered} hides the target{where}",
                           raw, {"host": registered})
            )
        tld = ext.suffix.rsplit(".", 1)[-1]
        if ext.suffix in self.suspicious_tlds or tld in self.suspicious_tlds:
            findings.append(
                RawFinding("url.suspicious_tld", Risk.LOW, f"suffix .{ext.suffix} often used for scam sites{where}",
                           raw, {"host": registered})
            )
        return UrlReport(raw, uni_host, registered, False, findings)

    def named_brand(self, text: str) -> str | None:
        """The main domain of a brand named in a (normalised) text, if any."""
        if self.brand_names_re is None:
            return None
        m = self.brand_names_re.search(text)
        return self.brand_names[m.group()] if m else None

    def registered_domain(self, raw: str) -> tuple[str, bool] | None:
        """(registered domain or IP, trusted) of a URL or bare domain, None when it is not one."""
        p = parse_url(raw)
        ip = parse_ip(p.host, loose=p.has_scheme)
        if ip is not None:
            return ip, False
        ascii_host = to_ascii_host(p.host) if len(p.host) <= 253 else None
        if ascii_host is None or len(ascii_host) > 253:
            return None
        ext = self.extract(ascii_host)
        if not ext.suffix or not ext.domain:
            return None
        return f"{ext.domain}.{ext.suffix}", self.is_trusted_host(ascii_host)
