"""The detector: message in, verdict out (risk, findings, advice).

Layers, each reported as findings like the others: the disguises are undone first
(`reveal.py`), then the URL checks (`urls.py`), the scam-script rules (`text.py`) and
the trained classifier (`model.py`). Texts for people come from the message catalog
the caller passes in (`texts`: language -> {key: text}, keys under `fraud_advice.`);
the domain itself reads no locale files.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any, Protocol

from .model import LOW_AT as LOW_AT
from .model import MEDIUM_AT as MEDIUM_AT
from .model import TextModel, concepts
from .models import Finding, FraudConfig, LinkRef, MessageInput, RawFinding, Risk, Verdict
from .normalize import compact, despace, normalize, quotes_kept, url_ready
from .resources import load_list, load_yaml
from .reveal import (
    encoded_urls,
    expand_slang,
    markdown_links,
    rejoin_links,
    reverse_overrides,
    strip_decorations,
    unescape_entities,
)
from .text import TextChecker, TextSignals, signals_of
from .urls import UrlAnalyzer, UrlReport, extract_urls, find_urls, mask_urls

# requests that are dangerous even without a refund pretext
_LONE_REQUEST_MEDIUM = {
    "code",
    "password",
    "screen_share",
    "fee",
    "transfer",
    "off_platform",
    "prepay",
    "fake_paid",
    "goods",
    "mule",
}
# requests that count only next to a scam line or an impersonation: a merchant's own
# phone number under "refund sent to your original account" is no scam
_NEEDS_SCAM_LINE = {"callback", "pay_me", "invest"}
# the classifier's thresholds (LOW_AT, MEDIUM_AT, from model.py) are defaults: a shipped
# model carries its own, calibrated in training (TextModel.low_at, .medium_at)
LANGS = ("zh", "en")
_TALK_ASIDE = frozenset({"model.text"})
_HANDLE = re.compile(r"(?<![\w.@/])@([a-z][a-z0-9_]{3,31})\b")

# a refund offered right before a link: "退款入口：<link>", "refund here: <link>", "理赔👉 <link>"
_OFFER_BEFORE = re.compile(
    r"(?:退款|退费|退钱|赔偿|理赔|补偿|返还|赔付|\brefunds?|\bcompensation|\bclaim|\breimbursement)"
    r"[^。！？!?\n]{0,16}(?:[:：]|\bhere\b|\bbelow\b|\blink\b|\bat\b|入口|链接|网址|地址|通道|页面|这里|如下|→|👉|>>|->)\s*$"
)

# an urgent account or payment action on an unknown site: "log in at the new address within
# 24h to keep your balance", "settle the unpaid charges today to avoid a penalty"
_URGENT = re.compile(
    r"\d+\s*(?:个)?(?:小时|分钟|天)内|今天|今日|立即|马上|尽快|限时|逾期|过期|"
    r"\bwithin\s+\d+\s*(?:h|hrs?|hours?|minutes?|mins?|days?)\b|\btoday\b|\bimmediately\b|"
    r"\burgent\w*|\bexpir\w*|\bdeadline\b|\bto\s+avoid\s+(?:a\s+|any\s+)?(?:penalty|fine|suspension|closure)"
)
_ACCOUNT_ACTION = re.compile(
    r"登录|登陆|迁移|认证|验证|缴纳|缴费|补缴|支付|付款|续费|续期|连接钱包|授权|"
    r"\b(?:log\s*in|sign\s*in|migrat\w*|verify|pay|settle|update\s+your|renew\w*|"
    r"connect\s+(?:your\s+)?wallet|approve\s+(?:the\s+)?(?:transaction|request))\b"
)
_ACCOUNT_STAKE = re.compile(
    r"账户|账号|资产|余额|罚款|罚金|欠费|扣费|费用|会员|域名|网站|钱包|"
    r"\b(?:account|balance|penalty|fine|charges?|fees?|unpaid|subscription|toll|domain|website|"
    r"wallet|transaction)\b"
)

# a scam's victim addressed ("lost money to a scam?", "被骗的钱能追回"): a fee asked of them is
# the recovery scam, whatever the scam words around it
_VICTIM = re.compile(
    r"被骗的?(?:钱|资金|款)|追回|出黑|\blost\s+(?:money|funds|\w+)\s+to\b|\bbeen\s+scammed\b|"
    r"\b(?:money|funds)\s+you\s+lost\b"
)

Texts = Mapping[str, Mapping[str, str]]


def _cap_low(findings: list[RawFinding], why: str) -> None:
    """Lower the findings above "low" to "low", saying why."""
    for f in findings:
        if f.severity.rank > Risk.LOW.rank:
            f.severity = Risk.LOW
            f.detail += f" ({why})"


class SecondOpinion(Protocol):
    """An optional model check (e.g. an LLM under its own guardrails) asked about
    messages the other layers are unsure about (`unsure`). Returns the probability that
    the text is a scam, or None when it cannot tell (no answer, refused, timed out)."""

    async def scam_probability(self, text: str) -> float | None: ...


# The unsure band: a verdict of risk "low" means at least one layer found something and
# none found enough to warn. Only such a message is worth a second opinion: one no layer
# flagged is never decided by the second opinion alone, and a medium or high verdict is
# already a warning. A second opinion of at least SECOND_OPINION_AT raises the verdict to
# medium (never higher); a lower one changes nothing (it never lowers a verdict).
SECOND_OPINION_AT = 0.8


@functools.cache
def technique_ids() -> tuple[str, ...]:
    """The ids of the scam techniques of the taxonomy (data/techniques.yaml)."""
    return tuple(str(t["id"]) for t in load_yaml("techniques.yaml")["techniques"])


def unsure(verdict: Verdict) -> bool:
    """Whether the verdict is in the band a second opinion may settle."""
    return verdict.risk is Risk.LOW and bool(verdict.findings)


def reveal(raw: str) -> tuple[str, list[LinkRef], list[str]]:
    """The text as shown (overrides reversed, HTML entities decoded), its Markdown links
    and its base64-hidden links."""
    shown = unescape_entities(reverse_overrides(raw))
    return shown, markdown_links(shown), encoded_urls(shown)


def _masked(ready: str, spans: list[tuple[int, int, str]]) -> tuple[str, str]:
    """What the classifier and the text checks read of a ready text: links masked, slang
    spelt out; the checks' version keeps the quotes of a Chinese text (`quotes_kept`), the
    classifier's is the text it was trained on."""
    spelt = expand_slang(mask_urls(ready, spans))
    kept = quotes_kept(spelt)
    prose = compact(spelt)
    return prose, (prose if kept is spelt else compact(kept))


def ready_of(shown: str) -> str:
    """Normalised text for the URL checks: disguises removed, broken links rejoined."""
    return url_ready(rejoin_links(despace(strip_decorations(normalize(shown)))))


def prose_of(raw: str) -> str:
    """The text as the classifier reads it (links masked); the text checks read it with a
    Chinese text's quotes kept (`quotes_kept`)."""
    ready = ready_of(reveal(raw)[0])
    return _masked(ready, find_urls(ready))[0]


def _brands_from_domains(domains: list[str]) -> list[dict[str, Any]]:
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

    def __init__(
        self,
        config: FraudConfig | None = None,
        texts: Texts | None = None,
        model: TextModel | None = None,
    ) -> None:
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
        self.text = TextChecker(frozenset(self.urls.brands.hotlines))
        paired = load_yaml("scripts.yaml")["request_pretext"]
        self._pretext_requests = frozenset(map(str, paired["requests"]))
        self._pretext_concepts = frozenset(map(str, paired["concepts"]))
        self._pretext_unless = frozenset(map(str, paired["unless"]))
        self._refund_for = frozenset(map(str, paired["refund_for"]))
        self.model = model if model is not None else TextModel.load()
        self.texts: Texts = texts or {}
        self._explained: dict[tuple[Any, ...], dict[str, str]] = {}
        self._none_advice = self._advice(Risk.NONE, [])

    # ------------------------------------------------------------------ API

    def model_input(self, raw: str) -> tuple[str, tuple[str, ...]]:
        """The prose and the rule signals the classifier reads for a text, as `scan` gives
        them (for training and benchmarks)."""
        ready = ready_of(reveal(raw)[0])
        spans = find_urls(ready)
        prose, checked = _masked(ready, spans)
        return prose, signals_of(self.text.check(checked, context=bool(spans)))

    def scan_text(self, text: str) -> Verdict:
        return self.scan(MessageInput(text=text))

    def scan(self, message: MessageInput) -> Verdict:
        raw = message.text if not message.caption else f"{message.text}\n{message.caption}"
        shown, md_links, hidden = reveal(raw)
        ready = ready_of(shown)
        spans = find_urls(ready)
        reports: list[UrlReport] = [self.urls.analyze(url) for _, _, url in spans]
        raw_findings: list[RawFinding] = []
        for link in [*message.links, *md_links]:
            raw_findings += self._link(link, reports)
        for url in message.button_urls:
            target = normalize(url).strip()
            if target:
                reports.append(self.urls.analyze(target, "button"))
        for url in hidden:
            report = self.urls.analyze(normalize(url), "encoded")
            reports.append(report)
            raw_findings.append(
                RawFinding(
                    "url.encoded",
                    Risk.MEDIUM,
                    f"base64-encoded link to {report.registered or report.host}",
                    url,
                    {"host": report.registered or report.host},
                )
            )
        if "@" in ready:
            for handle in _HANDLE.findall(ready):
                raw_findings += self.urls.brands.handle_findings(handle)
        prose, checked = _masked(ready, spans)
        sig = self.text.check(checked, context=bool(reports))
        offered = [
            r
            for (start, _, _), r in zip(spans, reports, strict=False)
            if _OFFER_BEFORE.search(ready, max(0, start - 40), start)
        ]
        quiet = not reports and not raw_findings and not sig.suspect
        signals = signals_of(sig)
        if quiet:
            probability = self.model.score(prose, signals=signals).probability
            if probability < self.model.low_at:
                return self._clean()
        for r in reports:
            raw_findings += r.findings
        raw_findings += self._text_findings(
            sig, reports, bool(message.button_urls), offered, checked
        )
        if not quiet:
            # the classifier cannot raise a verdict the rules already made high: skip it then
            high = any(f.severity is Risk.HIGH for f in raw_findings)
            probability = 0.0 if high else self.model.score(prose, signals=signals).probability
        # the writer talks about scams, with no suspicious link: a warning reads like the
        # scam it quotes, so the classifier's finding stays low and is no second low one
        # that raises the verdict ("有人私聊我让加QQ拿双倍退款，这是骗子吧？")
        # a bill split among friends (`TextSignals.bill_split`) reads like "pay me": the same
        talk = (sig.discussion or sig.bill_split) and not sig.secrecy
        if probability >= self.model.low_at and not sig.suspect and not talk:
            # the text checks look for talk about scams only when something asks; a text
            # only the classifier flags is read for it too ("刷单就是骗局…我同事被骗了")
            talk = bool(self.text.discussion.search(checked))
        talk = talk and not any(r.findings for r in reports)
        if probability >= self.model.low_at:
            # the classifier alone, on a text that sends the reader only to known sites and
            # asks, claims and names nothing the rules know ("check your gift card balance at
            # amazon.com/gc/balance"): the way it points to is the official one, so it stays low
            official = (
                bool(reports)
                and not raw_findings
                and not (sig.suspect or sig.secrecy)
                and not message.button_urls
                and all(r.trusted and not r.findings for r in reports)
            )
            raw_findings.append(
                self._model_finding(
                    prose, signals, probability, sig, reports, talk=talk or official
                )
            )
        if not raw_findings:
            return self._clean()
        return self._verdict(raw_findings, sig, aside=_TALK_ASIDE if talk else frozenset())

    def with_second_opinion(
        self, verdict: Verdict, probability: float | None, technique: str = ""
    ) -> Verdict:
        """The verdict with a second opinion's finding added: an unsure verdict whose second
        opinion reaches SECOND_OPINION_AT becomes medium; anything else is returned as it is."""
        if probability is None or not unsure(verdict) or probability < SECOND_OPINION_AT:
            return verdict
        finding = RawFinding(
            "model.second_opinion",
            Risk.MEDIUM,
            f"second opinion: scam probability {probability:.2f}"
            + (f" ({technique})" if technique else ""),
            None,
            {"score": f"{probability:.2f}"},
        )
        findings = [
            Finding(
                check=finding.check,
                severity=finding.severity,
                detail=finding.detail,
                url=None,
                explain=self._explain(finding),
            ),
            *verdict.findings,
        ]
        # at most medium: the second opinion settles an unsure message, it does not make a
        # high one of it together with another medium finding
        return Verdict(
            risk=Risk.MEDIUM, findings=findings, advice=self._advice(Risk.MEDIUM, findings)
        )

    def _model_finding(
        self,
        prose: str,
        signals: tuple[str, ...],
        p: float,
        sig: TextSignals,
        reports: list[UrlReport],
        *,
        talk: bool = False,
    ) -> RawFinding:
        score = self.model.score(prose, signals=signals, explain=True)
        sev = Risk.LOW if talk or p < self.model.medium_at else Risk.MEDIUM
        words = ", ".join(f"'{w}'" for w in score.top)
        return RawFinding(
            "model.text",
            sev,
            f"text classifier: scam probability {p:.2f} (strongest: {words})",
            None,
            {"score": f"{p:.2f}"},
        )

    # ------------------------------------------------------------------ parts

    def _clean(self) -> Verdict:
        # validating three fields is cheaper than pydantic's `model_construct`
        return Verdict(risk=Risk.NONE, findings=[], advice=self._none_advice)

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
                    "link.text_mismatch",
                    sev,
                    f"link text names {brand} but opens {target_domain}",
                    target,
                    {"host": target_domain, "visible": link.visible_text.strip()[:40]},
                )
            ]
        shown_domain, shown_trusted = shown
        target_domain = report.registered or report.host
        if shown_domain == target_domain or (
            report.trusted and shown_trusted and shown_domain == target_domain
        ):
            return []
        if report.trusted and shown_trusted:
            return []  # e.g. shows taobao.com, opens tb.cn: both official
        sev = (
            Risk.HIGH
            if shown_trusted or any(f.severity == Risk.HIGH for f in report.findings)
            else Risk.MEDIUM
        )
        return [
            RawFinding(
                "link.text_mismatch",
                sev,
                f"link text shows {shown_domain} but opens {target_domain}",
                target,
                {"host": target_domain, "visible": shown_domain},
            )
        ]

    def _text_findings(
        self,
        sig: TextSignals,
        reports: list[UrlReport],
        has_buttons: bool,
        offered: list[UrlReport],
        prose: str = "",
    ) -> list[RawFinding]:
        out: list[RawFinding] = []
        # what the reader is asked, before the requests that need a scam line are dropped
        asked = [
            r.kind
            for r in sig.requests
            if r.kind in self._pretext_requests and (r.giving or r.level == "soft")
        ]
        if sig.payee is not None and "payee" in self._pretext_requests:
            asked.append("payee")
        if not (sig.scam_claims or sig.impersonation) and any(
            r.kind in _NEEDS_SCAM_LINE for r in sig.requests
        ):
            sig.requests = [r for r in sig.requests if r.kind not in _NEEDS_SCAM_LINE]
        claim = sig.impersonation or (sig.scam_claims[0] if sig.scam_claims else None) or sig.claim
        weak = sig.weak_claim
        sensitive, soft = sig.sensitive, sig.soft
        handed = [r for r in sensitive if r.giving]
        params = {}
        if sensitive or soft:
            kinds = list(dict.fromkeys(r.kind for r in (sensitive or soft)))
            params = {"requests": ",".join(kinds)}
        script = None
        if (claim or weak) and handed:
            script = (Risk.HIGH, claim or weak, sensitive, "a request for")
        elif claim and sensitive:  # data typed into a page: "输入验证码"
            script = (Risk.MEDIUM, claim, sensitive, "a request for")
        elif claim and soft:
            script = (Risk.MEDIUM, claim, soft, "a request to")
        elif weak and (sensitive or soft):
            script = (
                Risk.LOW,
                weak,
                sensitive or soft,
                "a request for" if sensitive else "a request to",
            )
        if script is not None:
            sev, why, reqs, what = script
            out.append(
                RawFinding(
                    "text.scam_script",
                    sev,
                    f"claim '{why}' with {what} {'/'.join(r.kind for r in reqs)} ('{reqs[0].text}')",
                    None,
                    params,
                )
            )
        elif sensitive:
            kinds = [r.kind for r in sensitive]
            alarming = {r.kind for r in handed} & _LONE_REQUEST_MEDIUM
            sev = Risk.MEDIUM if alarming else Risk.LOW
            out.append(
                RawFinding(
                    "text.sensitive_request",
                    sev,
                    f"request for {'/'.join(kinds)} ('{sensitive[0].text}')",
                    None,
                    params,
                )
            )
        if sig.scam_claims and script is None:
            if sig.impersonation:
                out.append(
                    RawFinding(
                        "text.scam_script",
                        Risk.MEDIUM,
                        f"impersonation '{sig.impersonation}' with scam line '{sig.scam_claims[0]}'",
                        None,
                        {"requests": "trust"},
                    )
                )
            else:
                out.append(
                    RawFinding(
                        "text.scam_claim",
                        Risk.LOW,
                        f"scam line '{sig.scam_claims[0]}'",
                        None,
                        {"claim": sig.scam_claims[0]},
                    )
                )
        # talk about scams never makes this finding: a warning names the fee and the payee
        # it warns of ("有人冒充群主要交88元验证费，别转")
        if sig.pay_writer is not None and not (
            sig.discussion and not any(r.findings for r in reports)
        ):
            payee, why = sig.pay_writer
            out.append(
                RawFinding(
                    "text.pay_writer",
                    Risk.MEDIUM,
                    f"money to the writer ('{payee}') for '{why}'",
                    None,
                    {"reason": why},
                )
            )
        # a request with any pretext of the wide vocabulary: a technique no rule names
        if (
            asked
            and not sig.discussion
            and not any(f.severity.rank >= Risk.MEDIUM.rank for f in out)
        ):
            named = concepts(prose)
            reasons = sorted(named & self._pretext_concepts)
            if "refund" in named and any(k in self._refund_for for k in asked):
                reasons.append("refund")
            if reasons and not named & self._pretext_unless:
                kinds = list(dict.fromkeys(k for k in asked if k != "payee"))
                out.append(
                    RawFinding(
                        "text.request_pretext",
                        Risk.MEDIUM,
                        f"request ({'/'.join(asked)}) with a pretext ({', '.join(reasons)})",
                        None,
                        {"requests": ",".join(kinds or ["transfer"])},
                    )
                )
        # a refund or compensation offered through a link
        untrusted = [r for r in reports if not r.trusted and (r.registered or r.findings)]
        pretext = sig.refund or sig.scam_claims or sig.impersonation
        flagged = [r for r in untrusted if r.findings]
        # the platform never sends refund links: a refund offered right before a link to
        # an unknown domain is enough ("refund here: <link>")
        if (
            untrusted
            and pretext
            and (
                sig.link_verb
                or sig.scam_claims
                or sig.impersonation
                or has_buttons
                or flagged
                or any(r in untrusted for r in offered)
            )
        ):
            target = (flagged or untrusted)[0]
            out.append(
                RawFinding(
                    "text.refund_link",
                    Risk.HIGH if flagged else Risk.MEDIUM,
                    f"refund/compensation talk with a link to {target.registered or target.host}",
                    target.url,
                    {"host": target.registered or target.host},
                )
            )
        if (
            untrusted
            and not any(f.check == "text.refund_link" for f in out)
            and _URGENT.search(prose)
            and _ACCOUNT_ACTION.search(prose)
            and _ACCOUNT_STAKE.search(prose)
        ):
            target = (flagged or untrusted)[0]
            out.append(
                RawFinding(
                    "text.urgent_link",
                    Risk.MEDIUM,
                    f"urgent account or payment action on {target.registered or target.host}",
                    target.url,
                    {"host": target.registered or target.host},
                )
            )
        # a fee asked of a scam's victim to recover their money is the second scam, not advice
        victim_fee = bool(_VICTIM.search(prose)) and any(
            r.kind in ("prepay", "fee") for r in sig.requests
        )
        if sig.discussion and out and not victim_fee and not any(r.findings for r in reports):
            # talk about scams ("骗子会让你提供验证码") rather than a scam: keep it low
            _cap_low(out, "in a message that talks about scams")
        elif sig.official_notice and out and not victim_fee and not reports:
            # a notice that sends the reader to the official way and forbids the other, with
            # no link and no channel of the writer's ("入驻保证金通过官方后台缴纳，请勿向个人转账")
            _cap_low(out, "in a notice that points to the official way")
        elif sig.documented and out and not victim_fee and not reports:
            # the writer's own payment told with its paper trail ("展会摊位需要交押金…主办方
            # 给了正式收据"), nothing asked of the reader
            _cap_low(out, "in a payment told with its receipt or contract")
        return out

    def _verdict(
        self,
        raw_findings: list[RawFinding],
        sig: TextSignals,
        aside: frozenset[str] = frozenset(),
    ) -> Verdict:
        """`aside`: checks whose low findings do not count towards "two lows make medium"."""
        seen: set[tuple[str, str | None, str]] = set()
        findings: list[Finding] = []
        for rf in raw_findings:
            key = (rf.check, rf.url, rf.detail)
            if key in seen:
                continue
            seen.add(key)
            findings.append(
                Finding(
                    check=rf.check,
                    severity=rf.severity,
                    detail=rf.detail,
                    url=rf.url,
                    explain=self._explain(rf),
                )
            )
        findings.sort(key=lambda f: -f.severity.rank)
        rank = max(f.severity.rank for f in findings)
        by_sev: dict[int, set[str]] = defaultdict(set)
        for f in findings:
            if not (f.severity is Risk.LOW and f.check in aside):
                by_sev[f.severity.rank].add(f.check)
        if len(by_sev[2]) >= 2:
            rank = 3
        elif rank < 2 and len(by_sev[1]) >= 2:
            rank = 2
        risk = Risk.from_rank(rank)
        return Verdict(risk=risk, findings=findings, advice=self._advice(risk, findings))

    def _text(self, lang: str, key: str) -> str:
        return self.texts.get(lang, {}).get(f"fraud_advice.{key}", "")

    def _explain(self, rf: RawFinding) -> dict[str, str]:
        # the same finding (check and parameters) is explained with the same words
        key = (rf.check, *sorted(rf.params.items()))
        cached = self._explained.get(key)
        if cached is None:
            cached = self._explain_new(rf)
            if len(self._explained) > 10_000:
                self._explained.clear()
            self._explained[key] = cached
        return cached  # Finding validates it into a dict of its own

    def _explain_new(self, rf: RawFinding) -> dict[str, str]:
        out: dict[str, str] = {}
        key = "finding." + rf.check.replace(".", "_")
        for lang in LANGS:
            text = self._text(lang, key)
            if not text:
                continue
            params: defaultdict[str, str] = defaultdict(str, rf.params)
            kinds = [k for k in rf.params.get("requests", "").split(",") if k]
            if kinds:
                sep = "、" if lang == "zh" else ", "
                params["request"] = sep.join(self._text(lang, f"request.{k}") or k for k in kinds)
            out[lang] = text.format_map(params)
        return out

    def _advice(self, risk: Risk, findings: list[Finding]) -> dict[str, str]:
        out = {}
        for lang in LANGS:
            head = self._text(lang, f"risk.{risk.value}")
            if not head:
                continue
            lines = [head]
            done: set[str] = set()
            for f in findings:
                text = f.explain.get(lang)
                if text and text not in done:
                    done.add(text)
                    lines.append(f"- {text}")
            if risk is not Risk.NONE:
                lines.append(self._text(lang, "real_refund"))
            out[lang] = "\n".join(lines)
        return out
