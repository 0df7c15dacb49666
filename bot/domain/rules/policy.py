"""The refund policy: ordered rules, validated (`validation.py`) and compiled at construction.

The file format is described in docs/rules.md; reading it from disk is `bot.policy_files`.
`Policy.from_data(data, catalog=...)` validates parsed data and raises `PolicyError` listing
every problem, each naming the source, the rule and the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from itertools import product
from typing import Any

from pydantic import BaseModel, ConfigDict

from bot.domain.rules.compiled import CompiledPolicy, CompiledRule, MatchFacts
from bot.domain.rules.models import CENT, Arrival, Duration, Text
from bot.domain.rules.schema import Notes, Rule, Windows
from bot.domain.vocab import Cause, EvidenceKind, OrderStatus, PaymentChannel, PlatformType


class Policy(BaseModel):
    """A validated refund policy. Build it with `Policy.from_data` (or
    `bot.policy_files.load_policy` for a file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    name: str | None = None
    description: str | None = None
    fee_cap_percent: Decimal
    windows: Windows
    deadlines: dict[str, Duration]
    arrival: dict[PaymentChannel, Arrival]
    #: text keys, resolved in `texts`
    arrival_notes: dict[PaymentChannel, str]
    notes: Notes
    rules: list[Rule]
    #: every text key the policy uses, resolved in both languages
    texts: dict[str, Text]
    source: str = "<data>"

    def model_post_init(self, context: Any, /) -> None:
        _ = self.compiled  # compile now: a broken policy fails at load, not at the first decision

    @cached_property
    def compiled(self) -> CompiledPolicy:
        """The match conditions as sets and bounds, built once."""
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

    # -- building

    @classmethod
    def from_data(
        cls,
        data: Any,
        *,
        source: str = "<data>",
        known_refs: Iterable[str] | None = None,
        catalog: Mapping[str, Mapping[str, str]] | None = None,
    ) -> Policy:
        """Validate parsed policy data; raise PolicyError naming source, rule and field.

        `catalog` is the bot's text catalog by language ({"zh": {key: text}, ...}) the rules'
        text keys are looked up in, besides the policy's own `texts:`; `known_refs` the
        knowledge-base section ids a rule may cite (unchecked when None).
        """
        from bot.domain.rules.validation import build

        return build(
            data,
            source=source,
            known_refs=None if known_refs is None else set(known_refs),
            catalog=catalog or {},
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

    def match(self, facts: MatchFacts) -> Rule:
        """The first rule that matches the facts (the catch-all when nothing else does)."""
        return self.compiled.match(facts).rule

    def match_compiled(self, facts: MatchFacts) -> CompiledRule:
        return self.compiled.match(facts)

    def thresholds(self) -> tuple[list[float], list[float], list[Decimal]]:
        """The values where rules change: hours since payment, since completion, amounts."""
        pay: set[float] = set()
        done: set[float] = set()
        amounts: set[Decimal] = set()
        for c in self.compiled.rules:
            for bound, out in ((c.hours_payment, pay), (c.hours_completion, done)):
                if bound is not None:
                    out.update(v for v in (bound.lo, bound.hi) if v is not None)
            if c.amount is not None:
                amounts.update(c.amount.marks())
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
            pays: list[float | None] = (
                [None, *pay_points] if status is OrderStatus.UNPAID else list(pay_points)
            )
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
