"""The model's uses, as typed functions. Each validates what the model said and returns None
(the caller keeps its behaviour without a model) on any fault; none raises.

    guess = await extract_field(gateway, FieldStep.AMOUNT, "一百二十块", allowed_causes)
    intent = await classify_intent(gateway, "怎么联系人工")
    query = await rewrite_query(gateway, "tk多久到帐")
    answer = await grounded_answer(gateway, question, passages, lang="zh")
    summary = await summarise_case(gateway, events, facts)

`gateway` may be None (no model configured): every use then returns None at once.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from bot.domain.intake import (
    InputError,
    normalize,
    parse_amount,
    parse_order_number,
    parse_payment_time,
)
from bot.i18n import catalog
from bot.llm.gateway import Gateway
from bot.llm.guard import find_urls
from bot.llm.schemas import (
    Answer,
    AnswerReply,
    FieldGuess,
    FieldReply,
    FieldStep,
    Intent,
    IntentReply,
    RewriteReply,
    ScamOpinion,
    ScamReply,
    SummaryReply,
)

MIN_CONFIDENCE = 0.5  # below this a guess is not shown to the buyer
DEFAULT_ORDER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{5,39}$"
DEFAULT_MAX_AMOUNT = Decimal("50000")
DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
MAX_INPUT_CHARS = 2000  # longer buyer texts are cut before sending


class Passage(Protocol):
    """A retrieved section (bot.knowledge.Source fits)."""

    @property
    def id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def text(self) -> str: ...


def _clip(text: str) -> str:
    return text[:MAX_INPUT_CHARS]


# --- a field from a typed answer --------------------------------------------------------

_CN_DIGIT = {
    "零": 0,
    "〇": 0,
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
}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_CN_RUN = re.compile(r"[零〇一二两三四五六七八九十百千万]+")


def chinese_number(text: str) -> int | None:
    """一百二十 -> 120, 两千五 -> 2500 (a trailing digit after a unit is one unit lower),
    三万 -> 30000; None when it is not a number."""
    total, section, digit, last_unit = 0, 0, None, 1
    for char in text:
        if char in _CN_DIGIT:
            digit = _CN_DIGIT[char]
        elif char in _CN_UNIT:
            unit = _CN_UNIT[char]
            if unit == 10000:
                total += (section + (digit or 0)) * unit
                section, digit, last_unit = 0, None, unit
                continue
            section += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
        else:
            return None
    if digit is not None:
        section += digit * (
            last_unit // 10 if last_unit >= 100 and len(text) > 1 and text[-2] in _CN_UNIT else 1
        )
    value = total + section
    return value if text else None


def _amounts_in(text: str) -> set[Decimal]:
    folded = normalize(text)
    values = {
        Decimal(raw.replace(",", "")) for raw in re.findall(r"\d+(?:,\d{3})*(?:\.\d+)?", folded)
    }
    for run in _CN_RUN.findall(folded):
        number = chinese_number(run)
        if number is not None:
            values.add(Decimal(number))
    return values


def _squash(text: str) -> str:
    return re.sub(r"[\s\-_]", "", unicodedata.normalize("NFKC", text)).lower()


def _validate_field(
    step: FieldStep,
    reply: FieldReply,
    text: str,
    allowed_causes: Sequence[str],
    *,
    order_pattern: str,
    max_amount: Decimal,
    now: datetime,
    tz: tzinfo,
) -> str | None:
    """The reply's value in the bot's own format when it passes the same validation as a
    typed answer (and, for order numbers and amounts, was really written by the buyer)."""
    value = reply.value.strip()
    if not reply.found or not value:
        return None
    try:
        if step is FieldStep.ORDER_NUMBER:
            number = parse_order_number(value, order_pattern)
            return number if _squash(number) in _squash(text) else None
        if step is FieldStep.AMOUNT:
            amount = parse_amount(value, max_amount)
            return str(amount) if amount in _amounts_in(text) else None
        if step is FieldStep.PAYMENT_TIME:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", value):
                return None
            return parse_payment_time(value, now=now, tz=tz).isoformat()
        if step is FieldStep.CAUSE:
            return value if value in allowed_causes else None
    except InputError:
        return None
    return None  # pragma: no cover - every step is handled above


async def extract_field(
    gateway: Gateway | None,
    step: FieldStep | str,
    text: str,
    allowed_causes: Sequence[str] = (),
    *,
    lang: str = "zh",
    order_pattern: str = DEFAULT_ORDER_PATTERN,
    max_amount: Decimal = DEFAULT_MAX_AMOUNT,
    now: datetime | None = None,
    tz: tzinfo = DEFAULT_TZ,
    case_key: str | None = None,
) -> FieldGuess | None:
    """The field a typed answer contains, for the buyer to confirm; None when unsure."""
    if gateway is None or not text.strip():
        return None
    step = FieldStep(step)
    now = now or datetime.now(UTC)
    labels_en, labels_zh = catalog("en"), catalog("zh")
    causes = [
        {
            "code": code,
            "en": labels_en.get(f"cause.{code}", code),
            "zh": labels_zh.get(f"cause.{code}", code),
        }
        for code in allowed_causes
    ]
    if step is FieldStep.CAUSE and not causes:
        return None
    reply = await gateway.ask(
        "extract_field",
        FieldReply,
        case_key=case_key,
        step=step.value,
        causes=causes,
        today=now.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        timezone=str(tz),
        text=_clip(text),
    )
    if reply is None:
        return None
    value = _validate_field(
        step,
        reply.value,
        text,
        allowed_causes,
        order_pattern=order_pattern,
        max_amount=max_amount,
        now=now,
        tz=tz,
    )
    if value is None or reply.value.confidence < MIN_CONFIDENCE:
        gateway.reject("invalid_field" if value is None else "low_confidence")
        return None
    gateway.accept()
    return FieldGuess(step=step, value=value, confidence=reply.value.confidence)


# --- intent of free text ----------------------------------------------------------------


async def classify_intent(
    gateway: Gateway | None, text: str, *, case_key: str | None = None
) -> Intent | None:
    """What a free-text message outside the wizard wants; None when unsure."""
    if gateway is None or not text.strip():
        return None
    reply = await gateway.ask("classify_intent", IntentReply, case_key=case_key, text=_clip(text))
    if reply is None:
        return None
    if reply.value.confidence < MIN_CONFIDENCE:
        gateway.reject("low_confidence")
        return None
    gateway.accept()
    return Intent(kind=reply.value.intent, confidence=reply.value.confidence)


# --- a second opinion on a message the fraud checks are unsure about --------------------


async def classify_scam(
    gateway: Gateway | None,
    text: str,
    techniques: Sequence[str],
    *,
    case_key: str | None = None,
) -> ScamOpinion | None:
    """Whether a message is social engineering, and which technique of the taxonomy; None
    when there is no model, no answer, or an answer that does not hold together (a technique
    not in the list, "scam" without a technique or a technique without "scam")."""
    if gateway is None or not text.strip():
        return None
    reply = await gateway.ask(
        "classify_scam",
        ScamReply,
        case_key=case_key,
        text=_clip(text),
        techniques=list(techniques),
    )
    if reply is None:
        return None
    value = reply.value
    technique = value.technique.strip().lower()
    if technique != "none" and technique not in techniques:
        gateway.reject("unknown_technique")
        return None
    if value.scam != (technique != "none"):
        gateway.reject("inconsistent")
        return None
    gateway.accept()
    return ScamOpinion(scam=value.scam, technique=technique, confidence=value.confidence)


# --- query rewriting --------------------------------------------------------------------


async def rewrite_query(
    gateway: Gateway | None, question: str, *, case_key: str | None = None
) -> str | None:
    """The question in plain policy words for a second retrieval; None when the model adds
    nothing usable (empty, the same text, a link, or far longer than the question)."""
    if gateway is None or not question.strip():
        return None
    reply = await gateway.ask(
        "rewrite_query", RewriteReply, case_key=case_key, text=_clip(question)
    )
    if reply is None:
        return None
    query = " ".join(reply.value.query.split())
    if (
        not query
        or normalize(query).lower() == normalize(question).lower()
        or find_urls(query)
        or len(query) > max(60, 3 * len(question))
    ):
        gateway.reject("useless_rewrite")
        return None
    return gateway.guard_text(query, reply, sources=[question], allow_approval=True)


# --- grounded answers -------------------------------------------------------------------


async def grounded_answer(
    gateway: Gateway | None,
    question: str,
    passages: Sequence[Passage],
    *,
    lang: str = "zh",
    case_key: str | None = None,
) -> Answer | None:
    """An answer phrased from the retrieved passages, citing their ids; None (use the
    extractive answer) when it cites nothing, cites a passage that was not retrieved, or a
    guardrail drops it."""
    if gateway is None or not question.strip() or not passages:
        return None
    items = [{"id": p.id, "title": p.title, "text": p.text} for p in passages]
    reply = await gateway.ask(
        "grounded_answer",
        AnswerReply,
        case_key=case_key,
        language=lang,
        passages=items,
        text=_clip(question),
    )
    if reply is None:
        return None
    known = {p.id for p in passages}
    cited = tuple(dict.fromkeys(c.strip() for c in reply.value.cited))
    if not reply.value.answer.strip() or not cited or not set(cited) <= known:
        gateway.reject("bad_citation")
        return None
    text = gateway.guard_text(
        reply.value.answer, reply, sources=[p.text for p in passages if p.id in cited]
    )
    if text is None:
        return None
    return Answer(text=text, cited=cited)


# --- case summary -----------------------------------------------------------------------


def _facts_text(
    facts: BaseModel | Mapping[str, Any], decision: BaseModel | Mapping[str, Any] | None
) -> str:
    def plain(value: BaseModel | Mapping[str, Any]) -> Any:
        return value.model_dump(mode="json") if isinstance(value, BaseModel) else dict(value)

    data: dict[str, Any] = {"facts": plain(facts)}
    if decision is not None:
        data["decision"] = plain(decision)
    return json.dumps(data, ensure_ascii=False, default=str)


async def summarise_case(
    gateway: Gateway | None,
    events: Iterable[Mapping[str, Any]],
    facts: BaseModel | Mapping[str, Any],
    *,
    decision: BaseModel | Mapping[str, Any] | None = None,
    lang: str = "zh",
    case_key: str | None = None,
) -> str | None:
    """Up to three sentences on the case for the operator; None when unavailable. `events`
    are {at, who, text}; the summary may only state numbers found in the facts, the decision
    or the events."""
    if gateway is None:
        return None
    rows = [
        {
            "at": str(e.get("at", "")),
            "who": str(e.get("who", "")),
            "text": _clip(str(e.get("text", ""))),
        }
        for e in events
    ][-30:]
    facts_text = _facts_text(facts, decision)
    reply = await gateway.ask(
        "summarise_case",
        SummaryReply,
        case_key=case_key,
        language=lang,
        facts=facts_text,
        events=rows,
    )
    if reply is None:
        return None
    return gateway.guard_text(
        reply.value.summary, reply, sources=[row["text"] for row in rows], facts=[facts_text]
    )
