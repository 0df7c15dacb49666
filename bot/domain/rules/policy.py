"""The refund policy: a data file of ordered rules, validated and compiled at load.

The file (YAML) is described in docs/rules.md. `load_policy(path)` reads and validates it and
raises `PolicyError` listing every problem, each naming the file, the rule and the field.
Match conditions are compiled once into sets and numeric bounds so that `decide` only does
set look-ups and comparisons.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from itertools import product
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.domain.rules.models import CENT, Arrival, Duration, Text, format_number
from bot.domain.vocab import (
    CAUSE_GROUPS,
    Cause,
    CauseGroup,
    EvidenceKind,
    Liable,
    OrderStatus,
    Outcome,
    PaymentChannel,
    PlatformType,
    Route,
)
from bot.paths import project_dir

DEFAULT_POLICY_PATH = project_dir("knowledge") / "policy.yaml"

#: No policy may charge more than this, whatever its own `fee_cap_percent` says.
HARD_FEE_CAP_PERCENT = Decimal(10)

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_ID_RE = re.compile(ID_PATTERN)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C one when built with libyaml
_WINDOW_RE = re.compile(r"^[a-z][a-z0-9_]*_(hours|days)$")

#: Placeholders every explanation may use, besides the window names (e.g. {cancel_hours})
#: and the deadline names (e.g. {merchant_response}: the amount of that deadline).
DECISION_PLACEHOLDERS = frozenset(
    {"amount", "refund_amount", "fee_percent", "fee_amount", "arrival_min_days", "arrival_max_days"}
)

#: Outcomes that move money back to the buyer.
REFUND_OUTCOMES = frozenset({Outcome.FULL_REFUND, Outcome.PARTIAL_REFUND})

BY_CAUSE = "by_cause"
_LIABLE_BY_GROUP: dict[CauseGroup, Liable] = {
    CauseGroup.MERCHANT: Liable.MERCHANT,
    CauseGroup.BUYER: Liable.BUYER,
    CauseGroup.PAYMENT: Liable.PAYMENT,
    CauseGroup.PLATFORM: Liable.PLATFORM,
    CauseGroup.OTHER: Liable.UNKNOWN,
}


class PolicyError(ValueError):
    """A policy file that cannot be used. `errors` holds one message per problem."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))


# --------------------------------------------------------------------------- the schema


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HoursCondition(_Strict):
    """Bounds on an hours fact. A bound is a number of hours or a window name
    (`cancel_hours`, `quality_claim_days`: days are converted to hours).
    `known: false` matches only when the fact is missing; any bound implies `known: true`."""

    lt: float | str | None = None
    lte: float | str | None = None
    gt: float | str | None = None
    gte: float | str | None = None
    known: bool | None = None


class AmountCondition(_Strict):
    lt: Decimal | None = None
    lte: Decimal | None = None
    gt: Decimal | None = None
    gte: Decimal | None = None


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class Match(_Strict):
    """Conditions over the facts; all given conditions must hold. Lists mean "any of"."""

    order_status: list[OrderStatus] | None = None
    cause: list[Cause] | None = None
    cause_group: list[CauseGroup] | None = None
    platform_type: list[PlatformType] | None = None
    payment_channel: list[PaymentChannel] | None = None
    fee_disclosed: bool | None = None
    hours_since_payment: HoursCondition | None = None
    hours_since_completion: HoursCondition | None = None
    amount: AmountCondition | None = None

    _lists = field_validator(
        "order_status", "cause", "cause_group", "platform_type", "payment_channel", mode="before"
    )(_as_list)

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in type(self).model_fields)


class Rule(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    description: str | None = None
    when: Match = Match()
    outcome: Outcome
    liable: Liable | Literal["by_cause"]
    route: Route
    fee_percent: Decimal = Field(default=Decimal(0), ge=0)
    required_evidence: list[EvidenceKind] = []
    deadlines: list[str] = []
    policy_refs: list[str] = Field(min_length=1)
    explanation: Text
    #: used instead of `explanation` when the rule's fee is waived (not disclosed at ordering);
    #: without it the policy's `notes.fee_waived` is appended to `explanation`
    explanation_fee_waived: Text | None = None


class Windows(BaseModel):
    """Time windows used by the rules. Names end in `_hours` or `_days`; more may be added."""

    model_config = ConfigDict(extra="allow", frozen=True)

    cancel_hours: float = Field(default=24, gt=0)
    payment_report_hours: float = Field(default=24, gt=0)
    quality_claim_days: float = Field(default=7, gt=0)
    appeal_days: int = Field(default=7, gt=0)

    def as_hours(self) -> dict[str, float]:
        """Every window in hours, by name."""
        out: dict[str, float] = {}
        for name, value in self.model_dump().items():
            if isinstance(value, int | float) and not isinstance(
                value, bool
            ):  # extras unchecked here
                out[name] = float(value) * (24 if name.endswith("_days") else 1)
        return out


class Notes(_Strict):
    """Sentences the engine appends to an explanation when they apply."""

    fee_waived: Text


class _Head(_Strict):
    """Everything in the file except the rules (validated one by one)."""

    version: str = Field(min_length=1)
    name: str | None = None
    description: str | None = None
    fee_cap_percent: Decimal = Field(ge=0)
    windows: Windows = Windows()
    deadlines: dict[str, Duration]
    arrival: dict[PaymentChannel, Arrival]
    arrival_notes: dict[PaymentChannel, Text] = {}
    notes: Notes
    rules: list[Any] = Field(min_length=1)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        # `version: 2026.1` would arrive as a float; keep what was written
        return (
            str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value
        )


# --------------------------------------------------------------------------- compiled form

_Bound = tuple[
    float | None, bool, float | None, bool, bool | None
]  # lo, lo_incl, hi, hi_incl, known


@dataclass(frozen=True, slots=True)
class CompiledRule:
    index: int
    rule: Rule
    hours_payment: _Bound | None
    hours_completion: _Bound | None
    amount: tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None] | None
    fee_disclosed: bool | None
    liable_by_cause: dict[Cause, Liable]
    deadlines: dict[str, Duration]
    fee: Decimal  # the rule's fee, never above the cap
    fee_text: str
    charges_fee: bool


def _bound_ok(value: float | None, bound: _Bound) -> bool:
    lo, lo_incl, hi, hi_incl, known = bound
    if value is None:
        return known is False
    if known is False:
        return False
    if lo is not None and (value < lo or (value == lo and not lo_incl)):
        return False
    return not (hi is not None and (value > hi or (value == hi and not hi_incl)))


class Policy(BaseModel):
    """A validated refund policy. Build it with `load_policy` or `Policy.from_data`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    name: str | None = None
    description: str | None = None
    fee_cap_percent: Decimal
    windows: Windows
    deadlines: dict[str, Duration]
    arrival: dict[PaymentChannel, Arrival]
    arrival_notes: dict[PaymentChannel, Text]
    notes: Notes
    rules: list[Rule]
    source: str = "<data>"

    def model_post_init(self, context: Any, /) -> None:
        _ = self.compiled  # compile now: a broken policy fails at load, not at the first decision

    @cached_property
    def compiled(self) -> CompiledPolicy:
        """The match conditions as sets and bounds, built once (a plain object: fast access)."""
        return CompiledPolicy(self)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Policy:
        copy = super().model_copy(update=update, deep=deep)
        copy.__dict__.pop("compiled", None)  # recompile from the copied fields
        return copy

    @property
    def text_values(self) -> dict[str, str]:
        """Window and deadline values an explanation can interpolate, as text."""
        return {
            k: v
            for k, v in self.compiled.text_values[PaymentChannel.ALIPAY].items()
            if not k.startswith("arrival_")
        }

    # -- loading

    @classmethod
    def from_data(
        cls, data: Any, *, source: str = "<data>", known_refs: Iterable[str] | None = None
    ) -> Policy:
        """Validate parsed policy data; raise PolicyError naming source, rule and field."""
        return _build(
            data, source=source, known_refs=None if known_refs is None else set(known_refs)
        )

    # -- helpers for the bot

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    @property
    def policy_refs(self) -> set[str]:
        """Every knowledge-base section id the policy cites."""
        return {ref for rule in self.rules for ref in rule.policy_refs}

    def evidence_for(
        self,
        cause: Cause | str,
        order_status: OrderStatus | str,
        *,
        platform_type: PlatformType | str | None = None,
        payment_channel: PaymentChannel | str | None = None,
    ) -> list[EvidenceKind]:
        """The evidence checklist to show before a decision is possible.

        Every kind that some rule reachable for this cause and order status may require,
        over all the facts not yet known (platform type, channel, times, fee disclosure).
        Pass `platform_type` when known for a tighter list.
        """
        key = (
            Cause(cause),
            OrderStatus(order_status),
            None if platform_type is None else PlatformType(platform_type),
            None if payment_channel is None else PaymentChannel(payment_channel),
        )
        cache = self.compiled.evidence_cache
        if key not in cache:
            found: set[EvidenceKind] = set()
            for probe in self.probes(
                cause=key[0], order_status=key[1], platform_type=key[2], payment_channel=key[3]
            ):
                found.update(self.compiled.match(probe).rule.required_evidence)
            cache[key] = tuple(kind for kind in EvidenceKind if kind in found)
        return list(cache[key])

    def match(self, facts: Any) -> Rule:
        """The first rule that matches the facts (the catch-all when nothing else does)."""
        return self.match_compiled(facts).rule

    def match_compiled(self, facts: Any) -> CompiledRule:
        return self.compiled.match(facts)

    def thresholds(self) -> tuple[list[float], list[float], list[Decimal]]:
        """The values where rules change: hours since payment, since completion, amounts."""
        pay: set[float] = set()
        done: set[float] = set()
        amounts: set[Decimal] = set()
        for c in self.compiled.rules:
            for bound, out in ((c.hours_payment, pay), (c.hours_completion, done)):
                if bound is not None:
                    out.update(v for v in (bound[0], bound[2]) if v is not None)
            if c.amount is not None:
                amounts.update(v for v in c.amount if v is not None)
        return sorted(pay), sorted(done), sorted(amounts)

    def probes(
        self,
        *,
        order_status: OrderStatus | None = None,
        cause: Cause | None = None,
        platform_type: PlatformType | None = None,
        payment_channel: PaymentChannel | None = None,
        amounts: Iterable[Decimal] = (Decimal("100.00"),),
    ) -> Iterator[Probe]:
        """Facts that reach every rule this policy can reach, for the values given.

        Unknown codes run over all codes; hours are taken at 0, at every threshold the
        policy uses and 0.01 h either side, and far beyond (completion also unknown, and
        never after the payment); amounts at the given ones and around each threshold.
        """
        pay_marks, done_marks, amount_marks = self.thresholds()

        def around(marks: list[float]) -> list[float]:
            points = {0.0, 10_000.0}
            for m in marks:
                points.update(v for v in (m - 0.01, m, m + 0.01) if v >= 0)
            return sorted(points)

        amount_points = set(amounts)
        for m in amount_marks:
            amount_points.update(v for v in (m - CENT, m, m + CENT) if v > 0)
        pay_points = around(pay_marks)
        done_points: list[float | None] = [None, *around(done_marks)]
        for status, cause_, platform, channel, amount, disclosed in product(
            list(OrderStatus) if order_status is None else [order_status],
            list(Cause) if cause is None else [cause],
            list(PlatformType) if platform_type is None else [platform_type],
            list(PaymentChannel) if payment_channel is None else [payment_channel],
            sorted(amount_points),
            (True, False),
        ):
            pays = [None, *pay_points] if status is OrderStatus.UNPAID else pay_points
            for pay in pays:
                for done in done_points:
                    if done is not None and (pay is None or done > pay):
                        continue
                    yield Probe(status, cause_, platform, channel, amount, pay, done, disclosed)

    def unreachable_rules(self) -> list[str]:
        """Ids of rules that no facts can reach: the rules above catch all they match."""
        reached = {self.compiled.match(probe).rule.id for probe in self.probes()}
        return [rule.id for rule in self.rules if rule.id not in reached]


@dataclass(frozen=True, slots=True)
class Probe:
    """The facts a rule looks at, unvalidated: for exploring a policy quickly."""

    order_status: OrderStatus
    cause: Cause
    platform_type: PlatformType
    payment_channel: PaymentChannel
    amount: Decimal
    hours_since_payment: float | None
    hours_since_completion: float | None
    fee_disclosed: bool


class CompiledPolicy:
    """A policy's rules compiled for matching.

    One candidate list per combination of the enumerated facts (status, cause, platform,
    channel): at decision time only the numeric conditions are left to check.
    """

    __slots__ = (
        "evidence_cache",
        "arrival",
        "arrival_notes",
        "fee_cap",
        "index",
        "notes",
        "rules",
        "text_values",
        "version",
    )

    def __init__(self, policy: Policy) -> None:
        hours = policy.windows.as_hours()
        self.evidence_cache: dict[tuple[Any, ...], tuple[EvidenceKind, ...]] = {}
        self.version = policy.version
        self.fee_cap = policy.fee_cap_percent
        self.arrival = dict(policy.arrival)
        self.arrival_notes = dict(policy.arrival_notes)
        self.notes = policy.notes
        common = {name: str(d.amount) for name, d in policy.deadlines.items()} | {
            name: format_number(value) for name, value in policy.windows.model_dump().items()
        }
        # per payment channel: the common values plus that channel's arrival days
        self.text_values: dict[PaymentChannel, dict[str, str]] = {
            channel: common
            | {
                "arrival_min_days": str(arrival.min_days),
                "arrival_max_days": str(arrival.max_days),
            }
            for channel, arrival in policy.arrival.items()
        }
        self.rules: list[CompiledRule] = []
        for index, rule in enumerate(policy.rules):
            when = rule.when
            liable = (
                {c: _LIABLE_BY_GROUP[CAUSE_GROUPS[c]] for c in Cause}
                if rule.liable == BY_CAUSE
                else {c: Liable(rule.liable) for c in Cause}
            )
            amount = (
                None
                if when.amount is None
                else (when.amount.gt, when.amount.gte, when.amount.lt, when.amount.lte)
            )
            self.rules.append(
                CompiledRule(
                    index=index,
                    rule=rule,
                    hours_payment=_compile_hours(when.hours_since_payment, hours),
                    hours_completion=_compile_hours(when.hours_since_completion, hours),
                    amount=amount,
                    fee_disclosed=when.fee_disclosed,
                    liable_by_cause=liable,
                    deadlines={name: policy.deadlines[name] for name in rule.deadlines},
                    fee=min(rule.fee_percent, self.fee_cap),
                    fee_text=format_number(min(rule.fee_percent, self.fee_cap)),
                    charges_fee=rule.fee_percent > 0,
                )
            )
        self.index: dict[
            tuple[OrderStatus, Cause, PlatformType, PaymentChannel], tuple[CompiledRule, ...]
        ] = {}
        for key in product(OrderStatus, Cause, PlatformType, PaymentChannel):
            status, cause, platform, channel = key
            self.index[key] = tuple(
                c
                for c in self.rules
                if (c.rule.when.order_status is None or status in c.rule.when.order_status)
                and (c.rule.when.cause is None or cause in c.rule.when.cause)
                and (
                    c.rule.when.cause_group is None
                    or CAUSE_GROUPS[cause] in c.rule.when.cause_group
                )
                and (c.rule.when.platform_type is None or platform in c.rule.when.platform_type)
                and (c.rule.when.payment_channel is None or channel in c.rule.when.payment_channel)
            )

    def match(self, facts: Any) -> CompiledRule:
        """The first rule whose conditions hold for the facts."""
        hp = facts.hours_since_payment
        hc = facts.hours_since_completion
        for c in self.index[
            (facts.order_status, facts.cause, facts.platform_type, facts.payment_channel)
        ]:
            if c.hours_payment is not None and not _bound_ok(hp, c.hours_payment):
                continue
            if c.hours_completion is not None and not _bound_ok(hc, c.hours_completion):
                continue
            if c.fee_disclosed is not None and facts.fee_disclosed is not c.fee_disclosed:
                continue
            if c.amount is not None and not _amount_ok(facts.amount, c.amount):
                continue
            return c
        # unreachable: validation makes the last rule a catch-all
        raise LookupError("no rule matched")  # pragma: no cover


def _amount_ok(value: Decimal, cond: tuple[Decimal | None, ...]) -> bool:
    gt, gte, lt, lte = cond
    return not (
        (gt is not None and value <= gt)
        or (gte is not None and value < gte)
        or (lt is not None and value >= lt)
        or (lte is not None and value > lte)
    )


def _compile_hours(cond: HoursCondition | None, windows: Mapping[str, float]) -> _Bound | None:
    if cond is None:
        return None

    def value(v: float | str | None) -> float | None:
        return None if v is None else windows[v] if isinstance(v, str) else float(v)

    lo: float | None = None
    lo_incl = True
    hi: float | None = None
    hi_incl = True
    gt, gte, lt, lte = value(cond.gt), value(cond.gte), value(cond.lt), value(cond.lte)
    if gte is not None:
        lo, lo_incl = gte, True
    if gt is not None and (lo is None or gt >= lo):
        lo, lo_incl = gt, False
    if lte is not None:
        hi, hi_incl = lte, True
    if lt is not None and (hi is None or lt <= hi):
        hi, hi_incl = lt, False
    has_bounds = lo is not None or hi is not None
    known = True if has_bounds else cond.known
    return (lo, lo_incl, hi, hi_incl, known)


# --------------------------------------------------------------------------- validation


def _loc(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _pydantic_errors(exc: ValidationError, prefix: str) -> list[str]:
    out = []
    for error in exc.errors():
        where = _loc(error["loc"])
        msg = str(error["msg"]).removeprefix("Value error, ")
        out.append(f"{prefix}{where}: {msg}" if where else f"{prefix.rstrip(': ')}: {msg}")
    return out


def _placeholders(template: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        return [f"!{exc}"]


def _check_text(text: Text, field: str, allowed: set[str]) -> list[str]:
    errors = []
    for lang in ("zh", "en"):
        for name in _placeholders(getattr(text, lang)):
            if name.startswith("!"):
                errors.append(f"{field}.{lang}: bad template: {name[1:]}")
            elif name not in allowed:
                errors.append(
                    f"{field}.{lang}: unknown placeholder {{{name}}} "
                    f"(allowed: {', '.join(sorted(allowed))})"
                )
    return errors


def _check_rule(
    rule: Rule, head: _Head, known_refs: set[str] | None, placeholders: set[str]
) -> list[str]:
    errors: list[str] = []
    cap = head.fee_cap_percent
    if rule.fee_percent > cap:
        errors.append(f"fee_percent: must be <= fee cap {cap:g}")
    if rule.outcome == Outcome.PARTIAL_REFUND and rule.fee_percent == 0:
        errors.append(
            "fee_percent: a partial_refund needs a fee above 0 (else it is a full_refund)"
        )
    if rule.outcome != Outcome.PARTIAL_REFUND and rule.fee_percent != 0:
        errors.append(
            f"fee_percent: only a partial_refund may charge a fee, not {rule.outcome.value}"
        )
    for i, name in enumerate(rule.deadlines):
        if name not in head.deadlines:
            known = ", ".join(sorted(head.deadlines)) or "none"
            errors.append(f"deadlines[{i}]: unknown deadline {name!r} (defined: {known})")
    for i, ref in enumerate(rule.policy_refs):
        if not _ID_RE.match(ref):
            errors.append(
                f"policy_refs[{i}]: {ref!r} is not a section id (lowercase words joined by '-')"
            )
        elif known_refs is not None and ref not in known_refs:
            errors.append(f"policy_refs[{i}]: unknown knowledge-base section {ref!r}")
    windows = head.windows.as_hours()
    for field in ("hours_since_payment", "hours_since_completion"):
        cond: HoursCondition | None = getattr(rule.when, field)
        if cond is None:
            continue
        bounds = {
            k: getattr(cond, k) for k in ("lt", "lte", "gt", "gte") if getattr(cond, k) is not None
        }
        for key, value in bounds.items():
            if isinstance(value, str) and value not in windows:
                errors.append(
                    f"when.{field}.{key}: unknown window {value!r} (defined: {', '.join(sorted(windows))})"
                )
            elif not isinstance(value, str) and value < 0:
                errors.append(f"when.{field}.{key}: must be >= 0")
        if cond.known is False and bounds:
            errors.append(f"when.{field}: known: false cannot have bounds")
        if not bounds and cond.known is None:
            errors.append(f"when.{field}: give bounds (lt, lte, gt, gte) or known: true/false")
    cause, group = rule.when.cause, rule.when.cause_group
    if cause is not None and group is not None and not any(CAUSE_GROUPS[c] in group for c in cause):
        errors.append("when: cause and cause_group exclude each other: the rule can never match")
    errors += _check_text(rule.explanation, "explanation", placeholders)
    if rule.explanation_fee_waived is not None:
        if rule.fee_percent == 0:
            errors.append("explanation_fee_waived: only for a rule that charges a fee")
        errors += _check_text(rule.explanation_fee_waived, "explanation_fee_waived", placeholders)
    return errors


def _build(data: Any, *, source: str, known_refs: set[str] | None) -> Policy:
    if not isinstance(data, Mapping):
        raise PolicyError([f"{source}: the policy must be a mapping (version, rules, ...)"])
    errors: list[str] = []
    try:
        head = _Head.model_validate(data)
    except ValidationError as exc:
        head = None
        errors += _pydantic_errors(exc, f"{source}: ")
    raw_rules = data.get("rules")
    parsed: list[tuple[Rule, str]] = []
    count = 0
    if isinstance(raw_rules, list):
        count = len(raw_rules)
        for i, raw in enumerate(raw_rules):
            rid = raw.get("id") if isinstance(raw, Mapping) else None
            name = f"rule {rid!r}" if isinstance(rid, str) and rid else f"rule #{i + 1}"
            try:
                parsed.append((Rule.model_validate(raw), name))
            except ValidationError as exc:
                errors += _pydantic_errors(exc, f"{source}: {name}: ")
    if head is not None:
        cap = head.fee_cap_percent
        if cap > HARD_FEE_CAP_PERCENT:
            errors.append(
                f"{source}: fee_cap_percent: must be <= {HARD_FEE_CAP_PERCENT} (the legal maximum)"
            )
        missing = [ch.value for ch in PaymentChannel if ch not in head.arrival]
        if missing:
            errors.append(f"{source}: arrival: missing payment channels: {', '.join(missing)}")
        for extra in head.windows.model_extra or {}:
            value = getattr(head.windows, extra)
            if not _WINDOW_RE.match(extra):
                errors.append(
                    f"{source}: windows.{extra}: a window name must end in _hours or _days"
                )
            elif isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                errors.append(f"{source}: windows.{extra}: must be a number > 0")
        appeal = head.deadlines.get("appeal")
        if appeal is not None and (appeal.unit, appeal.amount) != (
            "days",
            head.windows.appeal_days,
        ):
            errors.append(
                f"{source}: deadlines.appeal: must be {head.windows.appeal_days} days "
                "(windows.appeal_days)"
            )
        placeholders = (
            set(DECISION_PLACEHOLDERS) | set(head.windows.model_dump()) | set(head.deadlines)
        )
        errors += _check_text(head.notes.fee_waived, f"{source}: notes.fee_waived", placeholders)
        for channel, text in head.arrival_notes.items():
            errors += _check_text(text, f"{source}: arrival_notes.{channel.value}", placeholders)
        seen: set[str] = set()
        for rule, name in parsed:
            if rule.id in seen:
                errors.append(f"{source}: {name}: id: duplicate rule id")
            seen.add(rule.id)
            errors += [
                f"{source}: {name}: {e}" for e in _check_rule(rule, head, known_refs, placeholders)
            ]
        if count and len(parsed) == count and not parsed[-1][0].when.is_empty():
            errors.append(
                f"{source}: {parsed[-1][1]}: when: the last rule must be a catch-all "
                "(no conditions), so that every set of facts gets a decision"
            )
    if errors:
        raise PolicyError(errors)
    assert head is not None
    return Policy(
        version=head.version,
        name=head.name,
        description=head.description,
        fee_cap_percent=head.fee_cap_percent,
        windows=head.windows,
        deadlines=head.deadlines,
        arrival=head.arrival,
        arrival_notes=head.arrival_notes,
        notes=head.notes,
        rules=[rule for rule, _ in parsed],
        source=source,
    )


def load_policy(
    path: str | Path = DEFAULT_POLICY_PATH, *, known_refs: Iterable[str] | None = None
) -> Policy:
    """Read, validate and compile a policy file.

    Raises PolicyError whose messages name the file, the rule and the field, e.g.
    `knowledge/policy.yaml: rule 'delivered-buyer-side': fee_percent: must be <= fee cap 10`.
    `known_refs`, when given, is the set of knowledge-base section ids a rule may cite.
    """
    path = Path(path)
    source = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError([f"{source}: cannot read: {exc.strerror or exc}"]) from None
    try:
        data = yaml.load(text, Loader=_YAML_LOADER)  # a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError([f"{source}:{where}: not valid YAML: {problem}"]) from None
    return _build(data, source=source, known_refs=None if known_refs is None else set(known_refs))


def _display(path: Path) -> str:
    """The path as the user knows it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
