"""Numeric conditions compiled into bounds, and the comparisons `decide` makes with them.

`{gt: 24}` is "more than 24": 24 does not match, 24.01 does; `{gte: 24}` includes 24;
`{lt: 24}` excludes it, `{lte: 24}` includes it. The boundary tests in
tests/unit/test_rules_conditions.py pin every operator on both sides of its bound.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from bot.domain.rules.schema import AmountCondition, HoursCondition


@dataclass(frozen=True, slots=True)
class HoursBound:
    """An interval over an hours fact; `known` False matches only a missing fact."""

    lo: float | None
    lo_inclusive: bool
    hi: float | None
    hi_inclusive: bool
    known: bool | None

    def holds(self, value: float | None) -> bool:
        if value is None:
            return self.known is False
        if self.known is False:
            return False
        if self.lo is not None and (
            value < self.lo or (value == self.lo and not self.lo_inclusive)
        ):
            return False
        return not (
            self.hi is not None
            and (value > self.hi or (value == self.hi and not self.hi_inclusive))
        )


@dataclass(frozen=True, slots=True)
class AmountBound:
    """Bounds on the amount, each operator kept as written."""

    gt: Decimal | None
    gte: Decimal | None
    lt: Decimal | None
    lte: Decimal | None

    def holds(self, value: Decimal) -> bool:
        if self.gt is not None and value <= self.gt:
            return False
        if self.gte is not None and value < self.gte:
            return False
        if self.lt is not None and value >= self.lt:
            return False
        return not (self.lte is not None and value > self.lte)

    def marks(self) -> list[Decimal]:
        return [v for v in (self.gt, self.gte, self.lt, self.lte) if v is not None]


def compile_hours(cond: HoursCondition | None, windows: Mapping[str, float]) -> HoursBound | None:
    """Turn window names into hours and keep the tighter bound when two are given."""
    if cond is None:
        return None

    def value(v: float | str | None) -> float | None:
        if v is None:
            return None
        return windows[v] if isinstance(v, str) else float(v)

    gt, gte, lt, lte = value(cond.gt), value(cond.gte), value(cond.lt), value(cond.lte)
    lo: float | None = None
    lo_inclusive = True
    if gte is not None:
        lo, lo_inclusive = gte, True
    if gt is not None and (lo is None or gt >= lo):
        lo, lo_inclusive = gt, False
    hi: float | None = None
    hi_inclusive = True
    if lte is not None:
        hi, hi_inclusive = lte, True
    if lt is not None and (hi is None or lt <= hi):
        hi, hi_inclusive = lt, False
    has_bounds = lo is not None or hi is not None
    known = True if has_bounds else cond.known
    return HoursBound(lo, lo_inclusive, hi, hi_inclusive, known)


def compile_amount(cond: AmountCondition | None) -> AmountBound | None:
    if cond is None:
        return None
    return AmountBound(cond.gt, cond.gte, cond.lt, cond.lte)
