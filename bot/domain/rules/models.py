"""The rules contract: the facts a decision is made from, and the decision itself.

Both are pydantic models. Their JSON shapes are the stable contract of `refund-bot check`
(see docs/rules.md): add fields if needed, never rename or remove one.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.domain.vocab import (
    Cause,
    EvidenceKind,
    Liable,
    OrderStatus,
    Outcome,
    PaymentChannel,
    PlatformType,
    Route,
)

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000000")  # 1e9 CNY: anything above is a typo, not an order


def to_cents(value: Decimal) -> Decimal:
    """Round a CNY amount to 0.01, half up (the way a receipt rounds)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def format_number(value: Decimal | float | int) -> str:
    """A number as a buyer reads it: 10 -> "10", 7.5 -> "7.5", 24.0 -> "24"."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if number == number.to_integral_value():
        return f"{number.to_integral_value():f}"
    return f"{number.normalize():f}"


def _no_bool(value: Any) -> Any:
    # JSON true/false would otherwise pass as 1/0 in a number field
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    return value


def _json_number(value: Decimal) -> int | float:
    """Decimals go out as JSON numbers: 10 for 10, 89.5 for 89.50."""
    return int(value) if value == value.to_integral_value() else float(value)


Number = Annotated[
    Decimal, PlainSerializer(_json_number, return_type=int | float, when_used="json")
]
Hours = Annotated[float, BeforeValidator(_no_bool), Field(ge=0, allow_inf_nan=False)]


class Facts(BaseModel):
    """What is known about one order, as the buyer reported it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_status: OrderStatus = Field(description="Where the order stands.")
    cause: Cause = Field(description="Why the buyer wants the money back.")
    platform_type: PlatformType = Field(description="Who the goods were bought from.")
    payment_channel: PaymentChannel = Field(description="How the order was paid.")
    amount: Annotated[Decimal, BeforeValidator(_no_bool), Field(allow_inf_nan=False)] = Field(
        description="The amount paid in CNY, > 0 and at most 1e9; rounded half up to 0.01."
    )
    hours_since_payment: Hours | None = Field(
        default=None,
        description="Hours since the payment, >= 0; required unless order_status is unpaid.",
    )
    hours_since_completion: Hours | None = Field(
        default=None,
        description="Hours since the order completed or was redeemed, >= 0 and not more than "
        "hours_since_payment; null or absent when unknown.",
    )
    fee_disclosed: StrictBool = Field(
        default=True, description="Whether a fee was disclosed when ordering (else none is due)."
    )
    evidence: tuple[EvidenceKind, ...] = Field(
        default=(), description="Evidence kinds already provided (duplicates are ignored)."
    )

    @field_validator("amount")
    @classmethod
    def _amount_in_cents(cls, value: Decimal) -> Decimal:
        if value <= 0:
            raise ValueError("must be greater than 0")
        if value > MAX_AMOUNT:
            raise ValueError(f"must be at most {MAX_AMOUNT}")
        cents = to_cents(value)
        if cents <= 0:
            raise ValueError("must be at least 0.01")
        return cents

    @field_validator("evidence", mode="before")
    @classmethod
    def _evidence_list(cls, value: Any) -> Any:
        if value is None:
            return ()
        if isinstance(value, str):  # a single kind instead of a list
            raise ValueError("must be a list of evidence kinds")
        return value

    @field_validator("evidence")
    @classmethod
    def _evidence_unique(cls, value: tuple[EvidenceKind, ...]) -> tuple[EvidenceKind, ...]:
        return tuple(dict.fromkeys(value))

    @model_validator(mode="after")
    def _times_consistent(self) -> Facts:
        errors = _cross_field_errors(
            self.order_status, self.hours_since_payment, self.hours_since_completion
        )
        if errors:
            field, reason = next(iter(errors.items()))
            raise ValueError(f"{field}: {reason}")
        return self


def _cross_field_errors(
    order_status: Any, hours_since_payment: Any, hours_since_completion: Any
) -> dict[str, str]:
    if order_status != OrderStatus.UNPAID and hours_since_payment is None:
        return {"hours_since_payment": "required unless order_status is unpaid"}
    if (
        isinstance(hours_since_payment, int | float)
        and isinstance(hours_since_completion, int | float)
        and not isinstance(hours_since_payment, bool)
        and not isinstance(hours_since_completion, bool)
        and hours_since_completion > hours_since_payment
    ):
        return {"hours_since_completion": "cannot be more than hours_since_payment"}
    return {}


def facts_json_schema() -> dict[str, Any]:
    """The JSON schema of the facts `refund-bot check` reads (`check --schema`)."""
    schema = Facts.model_json_schema(mode="validation")
    props = schema["properties"]
    amount = props["amount"]
    props["amount"] = {
        "type": "number",
        "exclusiveMinimum": 0,
        "maximum": int(MAX_AMOUNT),
        "title": amount.get("title", "Amount"),
        "description": amount["description"],
    }
    for name in ("hours_since_payment", "hours_since_completion"):
        props[name] = {
            "anyOf": [{"type": "number", "minimum": 0}, {"type": "null"}],
            "default": None,
            "title": props[name].get("title", name),
            "description": props[name]["description"],
        }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "refund-bot facts"
    schema["description"] = (
        "One order's facts, as `refund-bot check` reads them (one object, an array of "
        "objects, or JSON Lines). Unknown fields are errors."
    )
    schema["additionalProperties"] = False
    schema["examples"] = [
        {
            "order_status": "delivered",
            "cause": "changed_mind",
            "platform_type": "aggregator",
            "payment_channel": "alipay",
            "amount": 59.9,
            "hours_since_payment": 5,
        }
    ]
    return schema


class FactsError(ValueError):
    """Invalid facts; `fields` maps every bad field to the reason."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields
        super().__init__("invalid facts: " + "; ".join(f"{k}: {v}" for k, v in fields.items()))


_REASONS = {
    "missing": "required",
    "extra_forbidden": "unknown field",
    "finite_number": "must be a finite number",
}


_NUMBER_ERRORS = {
    "decimal_parsing",
    "decimal_type",
    "float_parsing",
    "float_type",
    "int_parsing",
    "int_type",
}


def _reason(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind in _REASONS:
        return _REASONS[kind]
    if kind == "enum":
        expected = str(error.get("ctx", {}).get("expected", "")).replace(" or ", ", ")
        return f"unknown code {error['input']!r}; expected one of: {expected.replace(chr(39), '')}"
    if kind in _NUMBER_ERRORS:
        return "must be a number"
    if kind == "bool_type" or kind == "bool_parsing":
        return "must be true or false"
    if kind in ("list_type", "tuple_type"):
        return "must be a list"
    ctx = error.get("ctx", {})
    if kind == "greater_than_equal":
        return f"must be >= {ctx.get('ge')}"
    if kind == "greater_than":
        return f"must be > {ctx.get('gt')}"
    msg = str(error["msg"])
    return msg.removeprefix("Value error, ")


def parse_facts(data: Any) -> Facts:
    """Validate raw facts (a JSON object); raise FactsError naming every bad field."""
    if not isinstance(data, Mapping):
        raise FactsError({"": "expected a JSON object"})
    try:
        return Facts.model_validate(data)
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for error in exc.errors():
            loc = error["loc"]
            name = str(loc[0]) if loc else ""
            if not name:  # the model validator: "field: reason"
                field, _, reason = _reason(error).partition(": ")
                fields.setdefault(field, reason)
                continue
            if len(loc) > 1:  # evidence.2 -> evidence[2]
                name += "".join(f"[{part}]" for part in loc[1:])
            fields.setdefault(name, _reason(error))
        # the cross-field checks only run when every field is valid: run them here too,
        # so one answer names every bad field
        bad = {name.split("[")[0] for name in fields}
        extra = _cross_field_errors(
            data.get("order_status"),
            data.get("hours_since_payment"),
            data.get("hours_since_completion"),
        )
        for field, reason in extra.items():
            if field not in bad and not (field == "hours_since_payment" and "order_status" in bad):
                fields[field] = reason
        raise FactsError(fields) from None


class Duration(BaseModel):
    """A named deadline: how long someone has to act."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: int = Field(gt=0)
    unit: Literal["hours", "days", "working_days"]


class Arrival(BaseModel):
    """When refunded money is expected back, counted from the refund's approval."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_days: int = Field(ge=0)
    max_days: int = Field(ge=0)
    working_days: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> Arrival:
        if self.max_days < self.min_days:
            raise ValueError("max_days must be >= min_days")
        return self


class Text(BaseModel):
    """A user-facing text in both languages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Decision(BaseModel):
    """The answer to "will I get my money back, how much, and when?".

    `refund_amount` is the money that goes back: amount x (1 - fee) for full and partial
    refunds, 0 for no_refund and nothing_to_refund, and null for needs_review (a person
    decides; it is at most the amount). `expected_arrival` is null when no money moves
    (no_refund, nothing_to_refund); for needs_review it tells when money arrives if granted.
    """

    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    liable: Liable
    route: Route
    fee_percent: Number
    refund_amount: Number | None
    required_evidence: list[EvidenceKind]
    missing_evidence: list[EvidenceKind]
    deadlines: dict[str, Duration]
    expected_arrival: Arrival | None
    rule_id: str
    policy_version: str
    policy_refs: list[str]
    explanation: Text
