"""Does a rule make sense as a whole? Outcome vs route vs liable party vs deadlines vs texts.

A decision is read as one message: "❌ no refund" next to "handled by: merchant review (a
merchant who does not answer is forced to refund)" contradicts itself. Each table below states
one part of the model; `rule_contradictions` applies them all to one rule and returns
(field, problem) pairs. The model:

- Outcome -> routes (`ROUTES`): money moving back needs someone to act (the buyer alone,
  the merchant or the platform); a person (`human_agent`) only with a written `route_reason`
  (the rules already decided, so why a person?); needs_review needs a reviewer; no_refund has
  nobody to review it (`negotiation`: the buyer can only ask the merchant's goodwill);
  nothing_to_refund is self-service.
- Outcome -> liable parties (`LIABLE`): a fee (partial refund) is only charged for the buyer's
  own reasons; a full refund has somebody responsible for it; a no_refund never leaves the
  fault with the merchant, the platform or the payment step (they would owe the money).
  `liable: by_cause` is checked for every cause the rule can match.
- Route -> liable parties: the merchant reviews cases about its own goods (merchant- or
  buyer-side causes), not platform or payment faults.
- Route -> deadlines (`ROUTE_DEADLINES`): merchant_review cites `merchant_response` (the
  answer time whose lapse forces the refund), platform_review cites `platform_response`;
  `merchant_response` belongs to merchant_review only; a route without a review
  (self_service, negotiation) cites no review deadline (answers, evidence), and self_service
  no appeal either (a no_refund may be appealed: the case is rejected, and rejected cases can
  be appealed within the appeal window);
  `platform_complex` extends `platform_response` and needs it.
- Route -> evidence: evidence is only asked for when someone reviews it.
- Texts -> outcome (`OUTCOME_PLACEHOLDERS`): {refund_amount} only where money comes back,
  {fee_percent} and {fee_amount} only with a fee, arrival days only where money may move;
  a deadline placeholder ({merchant_response}) only for a deadline the rule cites.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.domain.rules.schema import BY_CAUSE, Rule
from bot.domain.vocab import CAUSE_GROUPS, Cause, CauseGroup, Liable, Outcome, Route

LIABLE_BY_GROUP: dict[CauseGroup, Liable] = {
    CauseGroup.MERCHANT: Liable.MERCHANT,
    CauseGroup.BUYER: Liable.BUYER,
    CauseGroup.PAYMENT: Liable.PAYMENT,
    CauseGroup.PLATFORM: Liable.PLATFORM,
    CauseGroup.OTHER: Liable.UNKNOWN,
}

#: Outcomes that move money back to the buyer.
REFUND_OUTCOMES = frozenset({Outcome.FULL_REFUND, Outcome.PARTIAL_REFUND})
#: Routes where somebody reviews the case.
REVIEW_ROUTES = frozenset({Route.MERCHANT_REVIEW, Route.PLATFORM_REVIEW, Route.HUMAN_AGENT})

ROUTE_MEANING: dict[Route, str] = {
    Route.SELF_SERVICE: "the buyer acts alone and nobody reviews",
    Route.MERCHANT_REVIEW: "the merchant reviews it, and a merchant who does not answer in time "
    "is forced to refund",
    Route.PLATFORM_REVIEW: "the platform reviews it",
    Route.HUMAN_AGENT: "a support agent reviews it",
    Route.NEGOTIATION: "nobody reviews it: the buyer can only ask the merchant, "
    "who does not have to agree",
}

#: The routes each outcome may take.
ROUTES: dict[Outcome, frozenset[Route]] = {
    Outcome.FULL_REFUND: frozenset(
        {Route.SELF_SERVICE, Route.MERCHANT_REVIEW, Route.PLATFORM_REVIEW}
    ),
    Outcome.PARTIAL_REFUND: frozenset(
        {Route.SELF_SERVICE, Route.MERCHANT_REVIEW, Route.PLATFORM_REVIEW}
    ),
    Outcome.NEEDS_REVIEW: frozenset(
        {Route.MERCHANT_REVIEW, Route.PLATFORM_REVIEW, Route.HUMAN_AGENT}
    ),
    Outcome.NO_REFUND: frozenset({Route.NEGOTIATION}),
    Outcome.NOTHING_TO_REFUND: frozenset({Route.SELF_SERVICE}),
}
#: Routes an outcome may take only with a `route_reason`.
ROUTES_WITH_REASON: dict[Outcome, frozenset[Route]] = {
    Outcome.FULL_REFUND: frozenset({Route.HUMAN_AGENT}),
    Outcome.PARTIAL_REFUND: frozenset({Route.HUMAN_AGENT}),
}

#: The liable parties each outcome allows (None: any).
LIABLE: dict[Outcome, frozenset[Liable] | None] = {
    Outcome.FULL_REFUND: frozenset(
        {Liable.MERCHANT, Liable.BUYER, Liable.PLATFORM, Liable.PAYMENT}
    ),
    Outcome.PARTIAL_REFUND: frozenset({Liable.BUYER}),
    Outcome.NEEDS_REVIEW: None,
    Outcome.NO_REFUND: frozenset({Liable.BUYER, Liable.UNKNOWN}),
    Outcome.NOTHING_TO_REFUND: None,
}
LIABLE_REASON: dict[Outcome, str] = {
    Outcome.FULL_REFUND: "a full refund has a responsible party who pays it",
    Outcome.PARTIAL_REFUND: "a fee is only charged when the buyer cancels for their own reasons",
    Outcome.NO_REFUND: "a party at fault would owe the money back",
}
#: The liable parties each route allows (None: any).
ROUTE_LIABLE: dict[Route, frozenset[Liable] | None] = {
    Route.MERCHANT_REVIEW: frozenset({Liable.MERCHANT, Liable.BUYER}),
}

#: Deadline names with a fixed meaning in the process.
MERCHANT_RESPONSE = "merchant_response"
PLATFORM_RESPONSE = "platform_response"
PLATFORM_COMPLEX = "platform_complex"
APPEAL = "appeal"
REVIEW_DEADLINES = frozenset(
    {MERCHANT_RESPONSE, PLATFORM_RESPONSE, PLATFORM_COMPLEX, "evidence_supplement", APPEAL}
)
#: (must cite, may not cite) per route
ROUTE_DEADLINES: dict[Route, tuple[frozenset[str], frozenset[str]]] = {
    Route.SELF_SERVICE: (frozenset(), REVIEW_DEADLINES),
    # a no_refund can still be appealed (a rejected case may be, within the appeal window)
    Route.NEGOTIATION: (frozenset(), REVIEW_DEADLINES - {APPEAL}),
    Route.MERCHANT_REVIEW: (frozenset({MERCHANT_RESPONSE}), frozenset()),
    Route.PLATFORM_REVIEW: (frozenset({PLATFORM_RESPONSE}), frozenset({MERCHANT_RESPONSE})),
    Route.HUMAN_AGENT: (frozenset(), frozenset({MERCHANT_RESPONSE})),
}

#: Placeholders whose value only means something for some outcomes.
OUTCOME_PLACEHOLDERS: dict[str, frozenset[Outcome]] = {
    "refund_amount": REFUND_OUTCOMES,
    "fee_percent": frozenset({Outcome.PARTIAL_REFUND}),
    "fee_amount": frozenset({Outcome.PARTIAL_REFUND}),
    "arrival_min_days": REFUND_OUTCOMES | {Outcome.NEEDS_REVIEW},
    "arrival_max_days": REFUND_OUTCOMES | {Outcome.NEEDS_REVIEW},
}


def reachable_causes(rule: Rule) -> list[Cause]:
    """The causes a rule's `when` lets through."""
    return [
        c
        for c in Cause
        if (rule.when.cause is None or c in rule.when.cause)
        and (rule.when.cause_group is None or CAUSE_GROUPS[c] in rule.when.cause_group)
    ]


def liable_parties(rule: Rule) -> set[Liable]:
    if rule.liable == BY_CAUSE:
        return {LIABLE_BY_GROUP[CAUSE_GROUPS[c]] for c in reachable_causes(rule)}
    return {Liable(rule.liable)}


def _names(values: Iterable[str]) -> str:
    return ", ".join(sorted(str(v) for v in values)) or "none"


def rule_contradictions(
    rule: Rule, texts: Mapping[str, Iterable[str]], deadline_names: Iterable[str]
) -> list[tuple[str, str]]:
    """Every way the rule contradicts itself, as (field, problem).

    `texts` maps a text field (`explanation`, ...) to the placeholders its texts use;
    `deadline_names` are the deadlines the policy defines (a placeholder named like one of
    them stands for that deadline).
    """
    out: list[tuple[str, str]] = []
    outcome, route = rule.outcome, rule.route
    allowed = ROUTES[outcome]
    with_reason = ROUTES_WITH_REASON.get(outcome, frozenset())
    if route in with_reason:
        if rule.route_reason is None:
            out.append(
                (
                    "route",
                    f"{route} for {outcome} needs a route_reason: the rules already decided, "
                    "say why a person still has to look",
                )
            )
    elif route not in allowed:
        out.append(
            (
                "route",
                f"{route} ({ROUTE_MEANING[route]}) contradicts outcome {outcome}; "
                f"use one of: {_names(allowed)}",
            )
        )
    if rule.route_reason is not None and route not in with_reason:
        where = (
            f"only for a {outcome} routed to {_names(with_reason)}"
            if with_reason
            else (f"{outcome} takes no route_reason")
        )
        out.append(("route_reason", where))

    parties = liable_parties(rule)
    allowed_liable = LIABLE[outcome]
    if allowed_liable is not None and not parties <= allowed_liable:
        wrong = _names(parties - allowed_liable)
        via = " (by_cause)" if rule.liable == BY_CAUSE else ""
        out.append(
            (
                "liable",
                f"{wrong}{via} contradicts outcome {outcome}: {LIABLE_REASON[outcome]}; "
                f"use one of: {_names(allowed_liable)}",
            )
        )
    route_liable = ROUTE_LIABLE.get(route)
    if route_liable is not None and not parties <= route_liable:
        out.append(
            (
                "liable",
                f"{_names(parties - route_liable)} cannot go to {route}: the merchant reviews "
                f"cases about its own goods ({_names(route_liable)})",
            )
        )

    cited = set(rule.deadlines)
    must, must_not = ROUTE_DEADLINES[route]
    for name in sorted(must - cited):
        out.append(("deadlines", f"{route} must cite the {name} deadline"))
    for name in sorted(cited & must_not):
        out.append(("deadlines", f"{name} does not fit route {route} ({ROUTE_MEANING[route]})"))
    if PLATFORM_COMPLEX in cited and PLATFORM_RESPONSE not in cited:
        out.append(("deadlines", f"{PLATFORM_COMPLEX} extends {PLATFORM_RESPONSE}: cite both"))

    if rule.required_evidence and route not in REVIEW_ROUTES:
        out.append(
            (
                "required_evidence",
                f"nobody reviews evidence on route {route}: ask for none",
            )
        )

    deadline_names = set(deadline_names)
    for field, names in texts.items():
        for name in sorted(set(names)):
            outcomes = OUTCOME_PLACEHOLDERS.get(name)
            if outcomes is not None and outcome not in outcomes:
                out.append(
                    (
                        field,
                        f"{{{name}}} means nothing for outcome {outcome} "
                        f"(only for: {_names(outcomes)})",
                    )
                )
            elif name in deadline_names and name not in cited:
                out.append(
                    (
                        field,
                        f"the text promises the {name} deadline, which the rule does not cite",
                    )
                )
    return out
