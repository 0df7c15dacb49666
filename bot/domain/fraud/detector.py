"""The detector: message in, verdict out (risk, findings, advice)."""

from __future__ import annotations

from collections import defaultdict

from .models import Finding, FraudConfig, LinkRef, MessageInput, Risk, Verdict
from .normalize import compact, despace, normalize, url_ready
from .resources import load_list, load_yaml
from .text import TextChecker, TextSignals
from .urls import RawFinding, UrlAnalyzer, UrlReport, extract_urls, find_urls, mask_urls

# requests that are dangerous even without a refund pretext
_LONE_REQUEST_MEDIUM = {"code", "password", "screen_share", "fee", "transfer"}


def _brands_from_domains(domains: list[str]) -> list[dict]:
    brands = []
    for d in domains:
        d = d.strip().lower()
        if not d:
            continue
        label = d.split(".", 1)[0]
        brands.append({"name": label, "domains": [d], "tokens": [label]})
    return brands


class Detector:
    """Scans messages for refund-scam links and scripts. Build once, reuse: the data
    files are read and compiled in the constructor; `scan` does no I/O."""

    def __init__(self, config: FraudConfig | None = None) -> None:
        self.config = config = config or FraudConfig()
        brand_data = load_yaml("brands.yaml")
        if config.protected_brands is None:
            brands = [dict(b) for b in brand_data["brands"]]
        else:
            brands = _brands_from_domains(config.protected_brands)
        if config.platform_domains:
            platform = _brands_from_domains(config.platform_domains)
            brands += [{**b, "name": "platform"} for b in platform]
        shorteners = set(load_list("shorteners.txt")) | set(load_list("shorteners_extra.txt"))
        shorteners |= {d.lower() for d in config.extra_shorteners}
        tlds = (
            set(load_list("suspicious_tlds.txt"))
            if config.suspicious_tlds is None
            else {t.lower().lstrip(".") for t in config.suspicious_tlds}
        )
        self.urls = UrlAnalyzer(
            brands=brands,
            keywords=[str(k) for k in brand_data["keywords"]],
            allow_domains=[*brand_data["allow_domains"], *config.allow_domains],
            shorteners=shorteners,
            shortener_exempt=set(brand_data["shortener_exempt"]),
            suspicious_tlds=tlds,
        )
        self.text = TextChecker()
        advice = load_yaml("advice.yaml")
        self._risk_text: dict[str, dict[str, str]] = advice["risk"]
        self._real_refund: dict[str, str] = advice["real_refund"]
        self._finding_text: dict[str, dict[str, str]] = advice["findings"]
        self._request_text: dict[str, dict[str, str]] = advice["requests"]
        self._none_advice = dict(self._risk_text["none"])

    # ------------------------------------------------------------------ API

    def scan_text(self, text: str) -> Verdict:
        return self.scan(MessageInput(text=text))

    def scan(self, message: MessageInput) -> Verdict:
        raw = message.text if not message.caption else f"{message.text}\n{message.caption}"
        ready = url_ready(despace(normalize(raw)))
        spans = find_urls(ready)
        reports: list[UrlReport] = [self.urls.analyze(url) for _, _, url in spans]
        raw_findings: list[RawFinding] = []
        for link in message.links:
            raw_findings += self._link(link, reports)
        for url in message.button_urls:
            target = normalize(url).strip()
            if target:
                reports.append(self.urls.analyze(target, "button"))
        sig = self.text.check(compact(mask_urls(ready, spans)), context=bool(reports))
        if not reports and not raw_findings and not (sig.requests or sig.scam_claims or sig.impersonation):
            return self._clean()
        for r in reports:
            raw_findings += r.findings
        raw_findings += self._text_findings(sig, reports, bool(message.button_urls))
        if not raw_findings:
            return self._clean()
        return self._verdict(raw_findings, sig)

    # ------------------------------------------------------------------ parts

    def _clean(self) -> Verdict:
        return Verdict.model_construct(risk=Risk.NONE, findings=[], advice=dict(self._none_advice))

    def _link(self, link: LinkRef, reports: list[UrlReport]) -> list[RawFinding]:
        target = normalize(link.url).strip()
        if not target:
            return []
        report = self.urls.analyze(target, "link")
        reports.append(report)
        if not link.visible_text:
            return []
        shown_text = url_ready(normalize(link.visible_text))
        visible = extract_urls(shown_text)
        shown = self.urls.registered_domain(visible[0]) if visible else None
        if shown is None:
            # no address shown: a brand's name over a link to a domain it does not own
            brand = self.urls.named_brand(shown_text)
            if brand is None or report.trusted or not (report.registered or report.findings):
                return []
            target_domain = report.registered or report.host
            if report.findings:
                sev = Risk.HIGH
            elif self.text.claims.search(compact(shown_text)):
                sev = Risk.MEDIUM  # "支付宝退款中心", "Taobao support"
            else:
                sev = Risk.LOW  # "腾讯" over a news article
            return [
                RawFinding(
                    "link.text_mismatch", sev,
                    f"link text names {brand} but opens {target_domain}", target,
                    {"host": target_domain, "visible": link.visible_text.strip()[:40]},
                )
            ]
        shown_domain, shown_trusted = shown
        target_domain = report.registered or report.host
        if shown_domain == target_domain or (report.trusted and shown_trusted and shown_domain == target_domain):
            return []
        if report.trusted and shown_trusted:
            return []  # e.g. shows taobao.com, opens tb.cn: both official
        sev = Risk.HIGH if shown_trusted or any(f.severity == Risk.HIGH for f in report.findings) else Risk.MEDIUM
        return [
            RawFinding(
                "link.text_mismatch", sev,
                f"link text shows {shown_domain} but opens {target_domain}", target,
                {"host": target_domain, "visible": shown_domain},
            )
        ]

    def _text_findings(
        self, sig: TextSignals, reports: list[UrlReport], has_buttons: bool
    ) -> list[RawFinding]:
        out: list[RawFinding] = []
        claim = sig.impersonation or (sig.scam_claims[0] if sig.scam_claims else None) or sig.claim
        weak = sig.weak_claim
        sensitive, soft = sig.sensitive, sig.soft
        handed = [r for r in sensitive if r.giving]
        params = {}
        if sensitive or soft:
            kinds = list(dict.fromkeys(r.kind for r in (sensitive or soft)))
            params = {
                "request": "、".join(self._request_text[k]["zh"] for k in kinds),
                "request_en": ", ".join(self._request_text[k]["en"] for k in kinds),
            }
        script = None
        if (claim or weak) and handed:
            script = (Risk.HIGH, claim or weak, sensitive, "a request for")
        elif claim and sensitive:  # data typed into a page: "输入验证码"
            script = (Risk.MEDIUM, claim, sensitive, "a request for")
        elif claim and soft:
            script = (Risk.MEDIUM, claim, soft, "a request to")
        elif weak and (sensitive or soft):
            script = (Risk.LOW, weak, sensitive or soft, "a request for" if sensitive else "a request to")
        if script is not None:
            sev, why, reqs, what = script
            out.append(RawFinding(
                "text.scam_script", sev,
                f"claim '{why}' with {what} {'/'.join(r.kind for r in reqs)} ('{reqs[0].text}')",
                None, params,
            ))
        elif sensitive:
            kinds = [r.kind for r in sensitive]
            alarming = {r.kind for r in handed} & _LONE_REQUEST_MEDIUM
            sev = Risk.MEDIUM if alarming else Risk.LOW
            out.append(RawFinding(
                "text.sensitive_request", sev,
                f"request for {'/'.join(kinds)} ('{sensitive[0].text}')", None, params,
            ))
        if sig.scam_claims and script is None:
            if sig.impersonation:
                out.append(RawFinding(
                    "text.scam_script", Risk.MEDIUM,
                    f"impersonation '{sig.impersonation}' with scam line '{sig.scam_claims[0]}'",
                    None, {"request": "相信对方的说法", "request_en": "trust this story"},
                ))
            else:
                out.append(RawFinding(
                    "text.scam_claim", Risk.LOW, f"scam line '{sig.scam_claims[0]}'", None,
                    {"claim": sig.scam_claims[0]},
                ))
        # a refund or compensation offered through a link
        untrusted = [r for r in reports if not r.trusted and (r.registered or r.findings)]
        pretext = sig.refund or sig.scam_claims or sig.impersonation
        flagged = [r for r in untrusted if r.findings]
        if untrusted and pretext and (
            sig.link_verb or sig.scam_claims or sig.impersonation or has_buttons or flagged
        ):
            target = (flagged or untrusted)[0]
            out.append(RawFinding(
                "text.refund_link", Risk.HIGH if flagged else Risk.MEDIUM,
                f"refund/compensation talk with a link to {target.registered or target.host}",
                target.url, {"host": target.registered or target.host},
            ))
        if sig.discussion and out and not any(r.findings for r in reports):
            # talk about scams ("骗子会让你提供验证码") rather than a scam: keep it low
            for f in out:
                if f.severity.rank > Risk.LOW.rank:
                    f.severity = Risk.LOW
                    f.detail += " (in a message that talks about scams)"
        return out

    def _verdict(self, raw_findings: list[RawFinding], sig: TextSignals) -> Verdict:
        seen: set[tuple[str, str | None, str]] = set()
        findings: list[Finding] = []
        for rf in raw_findings:
            key = (rf.check, rf.url, rf.detail)
            if key in seen:
                continue
            seen.add(key)
            findings.append(Finding(
                check=rf.check, severity=rf.severity, detail=rf.detail, url=rf.url,
                explain=self._explain(rf),
            ))
        findings.sort(key=lambda f: -f.severity.rank)
        rank = max(f.severity.rank for f in findings)
        by_sev: dict[int, set[str]] = defaultdict(set)
        for f in findings:
            by_sev[f.severity.rank].add(f.check)
        if len(by_sev[2]) >= 2:
            rank = 3
        elif rank < 2 and len(by_sev[1]) >= 2:
            rank = 2
        risk = Risk.from_rank(rank)
        return Verdict(risk=risk, findings=findings, advice=self._advice(risk, findings))

    def _explain(self, rf: RawFinding) -> dict[str, str]:
        texts = self._finding_text.get(rf.check)
        if not texts:
            return {}
        params = defaultdict(str, rf.params)
        return {lang: text.format_map(params) for lang, text in texts.items()}

    def _advice(self, risk: Risk, findings: list[Finding]) -> dict[str, str]:
        out = {}
        for lang in ("zh", "en"):
            lines = [self._risk_text[risk.value][lang]]
            done: set[str] = set()
            for f in findings:
                text = f.explain.get(lang)
                if text and text not in done:
                    done.add(text)
                    lines.append(f"- {text}")
            if risk is not Risk.NONE:
                lines.append(self._real_refund[lang])
            out[lang] = "\n".join(lines)
        return out
