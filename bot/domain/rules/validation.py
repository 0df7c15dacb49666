"""Validating parsed policy data: every problem is collected, each naming source, rule, field.

Checked: the schema (unknown keys are errors), codes against the shared vocabulary, unique
rule ids, fee <= cap <= 10, fees only on partial refunds, deadline and window names, the
texts (every key in zh and en, same and known placeholders, no internal ids), section ids,
a catch-all last rule, an arrival entry per channel, `deadlines.appeal` = `windows.appeal_days`,
and that each rule makes sense as a whole (`consistency.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import suppress
from typing import Any

from pydantic import ValidationError

from bot.domain.rules.consistency import rule_contradictions
from bot.domain.rules.errors import PolicyError
from bot.domain.rules.models import Text
from bot.domain.rules.policy import Policy
from bot.domain.rules.schema import (
    HARD_FEE_CAP_PERCENT,
    ID_RE,
    WINDOW_RE,
    HoursCondition,
    PolicyHead,
    Rule,
)
from bot.domain.rules.texts import LANGUAGES, TextCatalog, check_text, placeholders
from bot.domain.vocab import CAUSE_GROUPS, Outcome, PaymentChannel

#: Placeholders every explanation may use, besides the window names (e.g. {cancel_hours})
#: and the deadline names (e.g. {merchant_response}: the amount of that deadline).
DECISION_PLACEHOLDERS = frozenset(
    {"amount", "refund_amount", "fee_percent", "fee_amount", "arrival_min_days", "arrival_max_days"}
)


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


class _Texts:
    """Resolves text keys once, collecting problems and the placeholders each key uses."""

    def __init__(self, catalog: TextCatalog, allowed: set[str], internal_ids: set[str]) -> None:
        self.catalog = catalog
        self.allowed = allowed
        self.internal_ids = internal_ids
        self.resolved: dict[str, Text] = {}

    def check(self, key: str, field: str) -> tuple[set[str], list[str]]:
        found, errors = check_text(self.catalog, key, field, self.allowed, self.internal_ids)
        names: set[str] = set()
        for text in found.values():
            with suppress(ValueError):  # a bad template is already among the errors
                names |= placeholders(text)
        if not errors and set(found) == set(LANGUAGES):
            self.resolved[key] = Text(zh=found["zh"], en=found["en"])
        return names, errors


def check_rule(
    rule: Rule,
    head: PolicyHead,
    known_refs: set[str] | None,
    texts: _Texts,
) -> list[str]:
    """Problems of one rule, as `field: problem`."""
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
        if not ID_RE.match(ref):
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
                defined = ", ".join(sorted(windows))
                errors.append(f"when.{field}.{key}: unknown window {value!r} (defined: {defined})")
            elif not isinstance(value, str) and value < 0:
                errors.append(f"when.{field}.{key}: must be >= 0")
        if cond.known is False and bounds:
            errors.append(f"when.{field}: known: false cannot have bounds")
        if not bounds and cond.known is None:
            errors.append(f"when.{field}: give bounds (lt, lte, gt, gte) or known: true/false")
    cause, group = rule.when.cause, rule.when.cause_group
    if cause is not None and group is not None and not any(CAUSE_GROUPS[c] in group for c in cause):
        errors.append("when: cause and cause_group exclude each other: the rule can never match")

    used: dict[str, set[str]] = {}
    names, problems = texts.check(rule.explanation, "explanation")
    used["explanation"] = names
    errors += problems
    if rule.explanation_fee_waived is not None:
        if rule.fee_percent == 0:
            errors.append("explanation_fee_waived: only for a rule that charges a fee")
        names, problems = texts.check(rule.explanation_fee_waived, "explanation_fee_waived")
        used["explanation_fee_waived"] = names
        errors += problems
    known_deadlines = set(head.deadlines)
    errors += [
        f"{field}: {problem}" for field, problem in rule_contradictions(rule, used, known_deadlines)
    ]
    return errors


def build(
    data: Any,
    *,
    source: str,
    known_refs: set[str] | None,
    catalog: Mapping[str, Mapping[str, str]],
) -> Policy:
    """Validate parsed policy data into a Policy, or raise PolicyError with every problem."""
    if not isinstance(data, Mapping):
        raise PolicyError([f"{source}: the policy must be a mapping (version, rules, ...)"])
    errors: list[str] = []
    head: PolicyHead | None
    try:
        head = PolicyHead.model_validate(data)
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
    if head is None:
        raise PolicyError(errors)

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
        if not WINDOW_RE.match(extra):
            errors.append(f"{source}: windows.{extra}: a window name must end in _hours or _days")
        elif isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            errors.append(f"{source}: windows.{extra}: must be a number > 0")
    appeal = head.deadlines.get("appeal")
    if appeal is not None and (appeal.unit, appeal.amount) != ("days", head.windows.appeal_days):
        errors.append(
            f"{source}: deadlines.appeal: must be {head.windows.appeal_days} days "
            "(windows.appeal_days)"
        )

    # texts: the bot's catalog plus the policy's own, which may not redefine a bot key
    for lang in head.texts:
        if lang not in LANGUAGES:
            errors.append(f"{source}: texts.{lang}: unknown language (use {', '.join(LANGUAGES)})")
    for lang, own in head.texts.items():
        clash = sorted(set(own) & set(catalog.get(lang, {})))
        if clash:
            errors.append(
                f"{source}: texts.{lang}: keys already in the bot's catalog: {', '.join(clash)}"
            )
    allowed = set(DECISION_PLACEHOLDERS) | set(head.windows.model_dump()) | set(head.deadlines)
    internal = {rule.id for rule, _ in parsed} | set(known_refs or ())
    internal |= {ref for rule, _ in parsed for ref in rule.policy_refs}
    texts = _Texts(TextCatalog.merge(catalog, head.texts), allowed, internal)
    _, problems = texts.check(head.notes.fee_waived, "notes.fee_waived")
    errors += [f"{source}: {e}" for e in problems]
    for channel, key in head.arrival_notes.items():
        _, problems = texts.check(key, f"arrival_notes.{channel.value}")
        errors += [f"{source}: {e}" for e in problems]

    seen: set[str] = set()
    for rule, name in parsed:
        if rule.id in seen:
            errors.append(f"{source}: {name}: id: duplicate rule id")
        seen.add(rule.id)
        errors += [f"{source}: {name}: {e}" for e in check_rule(rule, head, known_refs, texts)]
    if count and len(parsed) == count and not parsed[-1][0].when.is_empty():
        errors.append(
            f"{source}: {parsed[-1][1]}: when: the last rule must be a catch-all "
            "(no conditions), so that every set of facts gets a decision"
        )
    if errors:
        raise PolicyError(errors)
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
        texts=texts.resolved,
        source=source,
    )
