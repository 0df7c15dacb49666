"""The policy file's schema: what a rule and the file's other sections may contain.

Pure pydantic models; the checks that span several fields live in `validation.py` (names,
windows, placeholders) and `consistency.py` (outcome vs route vs liable party vs deadlines vs
texts).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.domain.rules.models import Arrival, Duration
from bot.domain.vocab import (
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

#: No policy may charge more than this, whatever its own `fee_cap_percent` says.
HARD_FEE_CAP_PERCENT = Decimal(10)

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
ID_RE = re.compile(ID_PATTERN)
#: A text key: dotted words, e.g. `policy.rule.unpaid-cancel.explanation`.
TEXT_KEY_PATTERN = r"^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$"
WINDOW_RE = re.compile(r"^[a-z][a-z0-9_]*_(hours|days)$")

#: `liable: by_cause`: the liable party follows the group of the buyer's cause.
BY_CAUSE = "by_cause"


def flatten_texts(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`{a: {b: "x"}}` -> `{"a.b": "x"}` (the locale files' key scheme)."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        full = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            out.update(flatten_texts(value, full))
        else:
            out[full] = value
    return out


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
    """Bounds on the amount in CNY."""

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


TextKey = str


class Rule(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    description: str | None = None
    when: Match = Match()
    outcome: Outcome
    liable: Liable | Literal["by_cause"]
    route: Route
    #: why a rule sends a case the rules already decide to a person (see consistency.py)
    route_reason: str | None = Field(default=None, min_length=1)
    fee_percent: Decimal = Field(default=Decimal(0), ge=0)
    required_evidence: list[EvidenceKind] = []
    deadlines: list[str] = []
    policy_refs: list[str] = Field(min_length=1)
    #: the key of the buyer-facing explanation in the text catalog
    explanation: TextKey = Field(pattern=TEXT_KEY_PATTERN)
    #: used instead of `explanation` when the rule's fee is waived (not disclosed at ordering);
    #: without it the policy's `notes.fee_waived` is appended to `explanation`
    explanation_fee_waived: TextKey | None = Field(default=None, pattern=TEXT_KEY_PATTERN)


class Windows(BaseModel):
    """Time windows used by the rules. Names end in `_hours` or `_days`; more may be added."""

    model_config = ConfigDict(extra="allow", frozen=True)

    cancel_hours: float = Field(default=24, gt=0)
    payment_report_hours: float = Field(default=24, gt=0)
    quality_claim_days: float = Field(default=7, gt=0)
    appeal_days: int = Field(default=7, gt=0)

    def as_hours(self) -> dict[str, float]:
        """Every window in hours, by name (extra windows are checked by the validation)."""
        out: dict[str, float] = {}
        for name, value in self.model_dump().items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                out[name] = float(value) * (24 if name.endswith("_days") else 1)
        return out


class Notes(_Strict):
    """Keys of sentences the engine appends to an explanation when they apply."""

    fee_waived: TextKey = Field(pattern=TEXT_KEY_PATTERN)


class PolicyHead(_Strict):
    """Everything in the file except the rules (validated one by one)."""

    version: str = Field(min_length=1)
    name: str | None = None
    description: str | None = None
    fee_cap_percent: Decimal = Field(ge=0)
    windows: Windows = Windows()
    deadlines: dict[str, Duration]
    arrival: dict[PaymentChannel, Arrival]
    arrival_notes: dict[PaymentChannel, TextKey] = {}
    notes: Notes
    #: the policy's own buyer texts, per language: {zh: {key: text}, en: {key: text}};
    #: they add to (and may not repeat) the bot's catalog
    texts: dict[str, dict[str, str]] = {}
    rules: list[Any] = Field(min_length=1)

    @field_validator("texts", mode="before")
    @classmethod
    def _flat_texts(cls, value: Any) -> Any:
        # nested tables (`policy: {rule: {...}}`) become dotted keys, as in the locale files
        if not isinstance(value, dict):
            return value
        return {
            lang: flatten_texts(table) if isinstance(table, dict) else table
            for lang, table in value.items()
        }

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        # `version: 2026.1` would arrive as a float; keep what was written
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return value
