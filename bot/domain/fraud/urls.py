"""Offline URL checks: one URL in, the findings about it out.

Every check here works on the URL string alone: no DNS, no HTTP. Domains are split
with the public suffix list bundled in tldextract (never refreshed from the network).
Finding URLs in a text is `extract.py`, parsing a host `hosts.py`, comparing with the
protected brands `brands.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import tldextract

from .brands import BrandMatcher
from .extract import extract_urls, find_urls, mask_urls
from .hosts import ParsedUrl, parse_ip, parse_url, to_ascii_host, to_unicode_host
from .models import RawFinding, Risk

__all__ = [
    "ParsedUrl",
    "RawFinding",
    "UrlAnalyzer",
    "UrlReport",
    "extract_urls",
    "find_urls",
    "mask_urls",
    "parse_ip",
    "parse_url",
]


# (host, registered domain, trusted, findings before the path's, after them, path not read)
_HostPart = tuple[str, str, bool, list[RawFinding], list[RawFinding], bool]


@dataclass(slots=True)
class UrlReport:
    url: str
    host: str
    registered: str
    trusted: bool
    findings: list[RawFinding]


class UrlAnalyzer:
    def __init__(
        self,
        *,
        brands: list[dict[str, Any]],
        keywords: list[str],
        allow_domains: list[str],
        shorteners: set[str],
        shortener_exempt: set[str],
        suspicious_tlds: set[str],
    ) -> None:
        self.brands = BrandMatcher(brands, keywords)
        self.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
        self.trusted = self.brands.official | {d.lower() for d in allow_domains}
        self.shorteners = shorteners
        self.shortener_exempt = shortener_exempt
        self.suspicious_tlds = suspicious_tlds
        self.path_kw_re = re.compile(
            r"tuikuan|refund|kefu|support|service|lipei|claim|compensat|verify|login|signin"
            r"|unfreeze|jiedong|secure|account|zhanghu|vip|huiyuan"
        )
        self._cache: dict[tuple[str, str], UrlReport] = {}
        self._hosts: dict[tuple[str, str, bool, str], _HostPart] = {}
        self._registered: dict[str, tuple[str, bool] | None] = {}

    def is_trusted_host(self, host: str) -> bool:
        labels = host.split(".")
        return any(".".join(labels[i:]) in self.trusted for i in range(len(labels) - 1))

    def named_brand(self, text: str) -> str | None:
        return self.brands.named_brand(text)

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
        """The host's findings (cached per host: a site's links differ in their paths),
        then the path's."""
        p = parse_url(raw)
        key = (p.host, p.userinfo, p.has_scheme, source)
        part = self._hosts.get(key)
        if part is None:
            part = self._host_part(p, raw, source)
            if len(self._hosts) > 20_000:
                self._hosts.clear()
            self._hosts[key] = part
        host, registered, trusted, before, after, final = part
        findings = [RawFinding(f.check, f.severity, f.detail, raw, f.params) for f in before]
        if not final and p.path and len(p.path) > 1:
            where = "" if source == "text" else f" ({source})"
            m = self.brands.path_brand_re.search(p.path)
            if m:
                kw = self.path_kw_re.search(p.path)
                findings.append(
                    RawFinding(
                        "url.brand_in_path",
                        Risk.MEDIUM if kw else Risk.LOW,
                        f"'{m.group()}' in the path of {registered}"
                        + (f" with '{kw.group()}'" if kw else "")
                        + where,
                        raw,
                        {"host": registered, "brand": m.group()},
                    )
                )
        findings += [RawFinding(f.check, f.severity, f.detail, raw, f.params) for f in after]
        return UrlReport(raw, host, registered, trusted, findings)

    def _host_part(self, p: ParsedUrl, raw: str, source: str) -> _HostPart:
        """(host, registered domain, trusted, findings before the path's, findings after
        it, whether the path is not looked at) of a parsed URL."""
        where = "" if source == "text" else f" ({source})"
        findings: list[RawFinding] = []
        host = p.host
        email = bool(p.userinfo) and not p.has_scheme and "." not in p.userinfo
        if p.userinfo and not email:
            looks_like_domain = "." in p.userinfo
            findings.append(
                RawFinding(
                    "url.userinfo",
                    Risk.HIGH if looks_like_domain else Risk.MEDIUM,
                    f"'{p.userinfo}@' before the real host {host}{where}",
                    raw,
                    {"host": host, "visible": p.userinfo},
                )
            )
        ip = parse_ip(host, loose=p.has_scheme)
        if ip is not None:
            findings.append(
                RawFinding(
                    "url.ip_host",
                    Risk.MEDIUM,
                    f"raw IP address host {ip}{where}",
                    raw,
                    {"host": ip},
                )
            )
            return host, ip, False, findings, [], True
        ascii_host = to_ascii_host(host) if len(host) <= 253 else None
        if ascii_host is None or len(ascii_host) > 253:  # not a DNS name
            return host, "", False, findings, [], True
        uni_host = to_unicode_host(ascii_host) if "xn--" in ascii_host else host
        ext = self.extract(ascii_host)
        if not ext.suffix or not ext.domain:
            return host, "", False, findings, [], True
        registered = f"{ext.domain}.{ext.suffix}"
        if self.is_trusted_host(ascii_host):
            return uni_host, registered, True, findings, [], True
        uni_registered = to_unicode_host(registered)
        if ascii_host != uni_host or "xn--" in ascii_host:
            findings.append(
                RawFinding(
                    "url.idn",
                    Risk.MEDIUM,
                    f"internationalised domain {ascii_host} shows as {uni_host}{where}",
                    raw,
                    {"host": uni_host},
                )
            )
        label = uni_registered.split(".", 1)[0]
        for f in self.brands.label_findings(label, uni_registered, raw):
            f.detail += where
            findings.append(f)
        # the brand's domain in front of the real one: alipay.com.evil.cn, qq.com-refund.top
        m = self.brands.brand_domain_re.search(ascii_host)
        if m and not ascii_host.endswith("." + m.group(1)):
            findings.append(
                RawFinding(
                    "url.brand_in_subdomain",
                    Risk.HIGH,
                    f"starts like {m.group(1)} but the site is {registered}{where}",
                    raw,
                    {"host": uni_host, "brand": m.group(1)},
                )
            )
        elif ext.subdomain:
            for sub in ext.subdomain.split("."):
                if sub in ("www", "m", "wap", ""):
                    continue
                sub_u = to_unicode_host(sub)
                tok = self.brands.by_skel.get(self.brands.skel(sub_u, strong=True))
                if (
                    tok is not None
                    and tok.weak
                    and not self.brands.keywords_re.search(self.brands.skel(label))
                ):
                    tok = None  # "jd.example.com", "wx.example.com": common subdomain names
                if tok is None:
                    light = self.brands.skel(sub_u)
                    tok = next((t for t in self.brands.strict if t.light in light), None)
                if tok is not None:
                    findings.append(
                        RawFinding(
                            "url.brand_in_subdomain",
                            Risk.MEDIUM if tok.weak else Risk.HIGH,
                            f"subdomain '{sub}' names {tok.domain} but the site is {registered}{where}",
                            raw,
                            {"host": uni_host, "brand": tok.domain},
                        )
                    )
                    break
        before, findings = findings, []
        if (registered in self.shorteners or ascii_host in self.shorteners) and not (
            registered in self.shortener_exempt or ascii_host in self.shortener_exempt
        ):
            findings.append(
                RawFinding(
                    "url.shortener",
                    Risk.LOW,
                    f"link shortener {registered} hides the target{where}",
                    raw,
                    {"host": registered},
                )
            )
        tld = ext.suffix.rsplit(".", 1)[-1]
        if ext.suffix in self.suspicious_tlds or tld in self.suspicious_tlds:
            findings.append(
                RawFinding(
                    "url.suspicious_tld",
                    Risk.LOW,
                    f"suffix .{ext.suffix} often used for scam sites{where}",
                    raw,
                    {"host": registered},
                )
            )
        return uni_host, registered, False, before, findings, False

    def registered_domain(self, raw: str) -> tuple[str, bool] | None:
        """(registered domain or IP, trusted) of a URL or bare domain, None when it is not one
        (remembered per string: link texts repeat, "www.alipay.com" over many links)."""
        if raw in self._registered:
            return self._registered[raw]
        found = self._registered_domain(raw)
        if len(self._registered) > 20_000:
            self._registered.clear()
        self._registered[raw] = found
        return found

    def _registered_domain(self, raw: str) -> tuple[str, bool] | None:
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
