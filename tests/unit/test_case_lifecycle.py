import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.cases import (
    DECIDED_STATUSES,
    TRANSITIONS,
    CaseStatus,
    TransitionError,
    appeal_deadline,
    can_appeal,
    check_transition,
    initial_status,
    is_open,
    new_case_number,
)
from bot.domain.vocab import Outcome, Route

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("outcome", "route", "status"),
    [
        (Outcome.NOTHING_TO_REFUND, Route.SELF_SERVICE, CaseStatus.CLOSED),
        (Outcome.NO_REFUND, Route.MERCHANT_REVIEW, CaseStatus.REJECTED),
        (Outcome.FULL_REFUND, Route.SELF_SERVICE, CaseStatus.APPROVED),
        (Outcome.FULL_REFUND, Route.MERCHANT_REVIEW, CaseStatus.WITH_MERCHANT),
        (Outcome.FULL_REFUND, Route.PLATFORM_REVIEW, CaseStatus.IN_REVIEW),
        (Outcome.PARTIAL_REFUND, Route.MERCHANT_REVIEW, CaseStatus.WITH_MERCHANT),
        (Outcome.NEEDS_REVIEW, Route.HUMAN_AGENT, CaseStatus.IN_REVIEW),
    ],
)
def test_initial_status(outcome: Outcome, route: Route, status: CaseStatus) -> None:
    assert initial_status(outcome, route) is status


def test_transitions() -> None:
    assert check_transition("rejected", "appealed") is CaseStatus.APPEALED
    with pytest.raises(TransitionError):
        check_transition("refunded", "appealed")
    with pytest.raises(TransitionError):
        check_transition("merchant_review", "appealed")
    assert set(TRANSITIONS) == set(CaseStatus)


def test_open_and_decided_do_not_overlap() -> None:
    assert not any(is_open(status) for status in DECIDED_STATUSES)
    assert is_open("appealed") and is_open("merchant_review")


@pytest.mark.parametrize(
    ("status", "decided_ago", "allowed"),
    [
        ("rejected", timedelta(days=1), True),
        ("rejected", timedelta(days=7), True),
        ("rejected", timedelta(days=7, seconds=1), False),
        ("approved", timedelta(hours=1), True),
        ("merchant_review", timedelta(hours=1), False),
        ("appealed", timedelta(hours=1), False),
    ],
)
def test_appeal_window(status: str, decided_ago: timedelta, allowed: bool) -> None:
    assert can_appeal(status, NOW - decided_ago, NOW, 7) is allowed


def test_no_appeal_without_decision_time() -> None:
    assert not can_appeal("rejected", None, NOW, 7)
    assert appeal_deadline(NOW, 7) == NOW + timedelta(days=7)


def test_case_number_is_readable() -> None:
    numbers = {new_case_number(NOW) for _ in range(200)}
    assert all(re.fullmatch(r"RF-20261121-[0-9A-HJKMNP-TV-Z]{4}", n) for n in numbers)
    assert len(numbers) > 190
    assert new_case_number(NOW, token="7K3Q") == "RF-20261121-7K3Q"
