"""Protected brands: which brand a domain label, a contact handle or a text imitates.

The brands are data (`data/brands.yaml`: official domains, the names people write,
hotlines); this module compares a candidate with them after homoglyph folding
(`skeleton.py`) and small edits, which is how lookalikes are made: a changed digit
(10087.cn for 10086.cn), a letter for a digit (1OO86), a swapped pair, an extra
keyword (alipay-tuikuan), another suffix (taobao.top).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import OSA

from .models import RawFinding, Risk
from .skeleton import Skeletonizer


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    skel: str  # strong skeleton, for whole-label comparison
    light: str  # light skeleton, for finding the brand inside a longer label
    brand: str
    domain: str  # the brand's main domain, for details: "alipay.com"
    weak: bool
    primary: bool  # the label of the brand's main domain ("alipay"), not an alias ("zfb")
    numeric: bool  # a number people know by heart (10086): any changed digit imitates it


def max_distance(length: int) -> int:
    """Edit distance tolerated for a brand token of this length."""
    if length <= 3:
        return 0
    if length <= 8:
        return 1
    return 2


class BrandMatcher:
    def __init__(self, brands: list[dict[str, Any]], keywords: list[str]) -> None:
        self.skel = Skeletonizer()
        self.official: set[str] = set()
        self.brand_domains: list[str] = []
        self.hotlines: dict[str, str] = {}
        tokens: list[Token] = []
        for b in brands:
            domains = [str(d).lower() for d in b["domains"]]
            self.official.update(domains)
            self.brand_domains.extend(domains)
            for number in b.get("hotlines", []):
                self.hotlines[re.sub(r"\D", "", str(number))] = str(b["name"])
            weak = {str(w).lower() for w in b.get("weak", [])}
            for raw in b["tokens"]:
                word = str(raw).lower()
                tokens.append(
                    Token(
                        word,
                        self.skel(word, strong=True),
                        self.skel(word),
                        str(b["name"]),
                        domains[0],
                        weak=len(word) < 5 or word in weak,
                        primary=word == domains[0].split(".")[0],
                        numeric=word.isdigit(),
                    )
                )
        self.tokens = tokens
        names = {str(n).lower(): str(b["domains"][0]) for b in brands for n in b.get("names", [])}
        self.brand_names = names
        self.brand_names_re = (
            re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
            if names
            else None
        )
        self.strict = [t for t in tokens if not t.weak]
        # whole-label matches: weak aliases ("tb", "wx", "steam") only count inside a
        # longer label next to a keyword, never as a label of their own
        self.by_skel: dict[str, Token] = {}
        for t in tokens:
            if t.primary or not t.weak:
                self.by_skel.setdefault(t.skel, t)
        self.by_text = {t.text: t for t in tokens if t.primary or not t.weak}
        kw_skels = sorted({self.skel(k.lower()) for k in keywords}, key=len, reverse=True)
        kw_skels += sorted(
            {self.skel(k.lower(), strong=True) for k in keywords} - set(kw_skels),
            key=len,
            reverse=True,
        )
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

    def fuzzy(self, s: str) -> tuple[Token, int] | None:
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
            if n <= 5 and len(s) == n and sorted(s) != sorted(tok.skel) and not tok.numeric:
                # a plain substitution in a short name: small.com is not tmall.com; but any
                # changed digit of a number people know by heart imitates it (10087 ~ 10086)
                continue
            return tok, d
        return None

    def label_findings(self, label: str, registered: str, url: str) -> list[RawFinding]:
        """Checks on the registered domain's own label (`label` is unicode, lower case)."""
        params = {"host": registered}
        suffix = registered[len(label) + 1 :] if registered.startswith(label + ".") else ""
        tok = self.by_text.get(label)
        if tok is not None:
            sev = Risk.MEDIUM if tok.weak else Risk.HIGH
            return [
                RawFinding(
                    "url.lookalike",
                    sev,
                    f"brand name '{tok.text}' under another suffix (.{suffix}), not {tok.domain}",
                    url,
                    {**params, "brand": tok.domain},
                )
            ]
        s = self.skel(label, strong=True)
        hit = self.fuzzy(s)
        if hit is not None:
            tok, d = hit
            how = "homoglyph/confusable spelling" if d == 0 else f"edit distance {d}"
            return [
                RawFinding(
                    "url.lookalike",
                    Risk.HIGH,
                    f"lookalike of {tok.domain} ({how})",
                    url,
                    {**params, "brand": tok.domain},
                )
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
                RawFinding(
                    "url.brand_in_domain",
                    Risk.HIGH,
                    f"brand '{tok.text}' inside unofficial domain {registered}{extra}",
                    url,
                    {**params, "brand": tok.domain},
                )
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
            hit = self.fuzzy(c)
            if hit is not None:
                tok, d = hit
                if tok.weak and not self.keywords_re.search(s):
                    continue
                return [
                    RawFinding(
                        "url.brand_in_domain",
                        Risk.HIGH,
                        f"lookalike of brand '{tok.text}' inside unofficial domain {registered}",
                        url,
                        {**params, "brand": tok.domain},
                    )
                ]
        return []

    def handle_findings(self, handle: str) -> list[RawFinding]:
        """A contact handle ("@taobao_refund_cs") that names a brand's support desk: a
        brand (or a lookalike of one) together with a support or refund keyword."""
        label = handle.lower().lstrip("@").replace("_", "-").strip("-")
        if len(label) < 4 or self.by_text.get(label) is not None:
            return []  # the brand's own name: nothing to compare
        light = self.skel(label.replace("-", ""))
        if not self.keywords_re.search(light):
            return []  # "@taobao_fans": a brand name without a support word
        for f in self.label_findings(label, f"@{handle.lstrip('@')}", f"@{handle.lstrip('@')}"):
            return [
                RawFinding(
                    "contact.brand_handle",
                    Risk.HIGH,
                    f"contact handle @{handle.lstrip('@')} poses as {f.params.get('brand', '')} support",
                    None,
                    {"host": f"@{handle.lstrip('@')}", "brand": f.params.get("brand", "")},
                )
            ]
        return []

    def named_brand(self, text: str) -> str | None:
        """The main domain of a brand named in a (normalised) text, if any."""
        if self.brand_names_re is None:
            return None
        m = self.brand_names_re.search(text)
        return self.brand_names[m.group()] if m else None

    def is_hotline(self, number: str) -> bool:
        return re.sub(r"\D", "", number) in self.hotlines
