"""The case lifecycle's pure parts: legacy status names, transitions, timers, backoff,
the card's summary."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.cases import (
    TRANSITIONS,
    CaseStatus,
    DeadlineRules,
    EventLine,
    TimerKind,
    TransitionError,
    add_duration,
    backoff_seconds,
    can_transition,
    check_transition,
    needs_person,
    rating_valid,
    summarize,
    timer_still_applies,
    timers_for,
)

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # a Friday
RULES = DeadlineRules(
    merchant_response_hours=24, first_response_hours=4, evidence_hours=72, appeal_hours=168
)


def test_old_rows_are_read_with_the_new_names() -> None:
    assert CaseStatus("merchant_review") is CaseStatus.WITH_MERCHANT
    assert CaseStatus("platform_review") is CaseStatus.IN_REVIEW
    assert CaseStatus("human_review") is CaseStatus.IN_REVIEW
    with pytest.raises(ValueError):
        CaseStatus("nonsense")


def test_the_issue_statuses_exist_and_every_one_has_transitions() -> None:
    names = {
        "submitted",
        "with_merchant",
        "in_review",
        "needs_evidence",
        "approved",
        "rejected",
        "refunded",
        "closed",
        "appealed",
    }
    assert {s.value for s in CaseStatus} == names
    assert set(TRANSITIONS) == set(CaseStatus)


@pytest.mark.parametrize(
    ("source", "target", "allowed"),
    [
        ("with_merchant", "in_review", True),
        ("in_review", "approved", True),
        ("approved", "refunded", True),
        ("refunded", "closed", True),
        ("rejected", "appealed", True),
        ("closed", "appealed", True),
        ("refunded", "appealed", False),
        ("closed", "approved", False),
        ("refunded", "rejected", False),
        ("approved", "rejected", False),
        ("submitted", "refunded", False),
        ("appealed", "refunded", False),
    ],
)
def test_only_allowed_transitions(source: str, target: str, allowed: bool) -> None:
    assert can_transition(source, target) is allowed
    if not allowed:
        with pytest.raises(TransitionError):
            check_transition(source, target)


def test_a_person_is_needed_for_review_routes() -> None:
    assert needs_person("full_refund", "human_agent")
    assert needs_person("full_refund", "platform_review")
    assert needs_person("needs_review", "merchant_review")
    assert not needs_person("full_refund", "merchant_review")
    assert not needs_person("full_refund", "self_service")


def test_timers_per_status() -> None:
    merchant = timers_for("with_merchant", NOW, RULES)
    assert merchant == [type(merchant[0])(TimerKind.MERCHANT_DEADLINE, NOW + timedelta(hours=24))]
    review = {t.kind: t.due_at for t in timers_for("in_review", NOW, RULES)}
    assert review == {
        TimerKind.FIRST_RESPONSE_REMINDER: NOW + timedelta(hours=3),
        TimerKind.FIRST_RESPONSE_DEADLINE: NOW + timedelta(hours=4),
    }
    evidence = {t.kind: t.due_at for t in timers_for("needs_evidence", NOW, RULES)}
    assert evidence[TimerKind.EVIDENCE_DEADLINE] == NOW + timedelta(hours=72)
    assert evidence[TimerKind.EVIDENCE_REMINDER] < evidence[TimerKind.EVIDENCE_DEADLINE]
    assert [t.kind for t in timers_for("rejected", NOW, RULES)] == [TimerKind.APPEAL_WINDOW_END]
    assert timers_for("refunded", NOW, RULES) == []


def test_a_timer_applies_only_while_its_case_waits() -> None:
    assert timer_still_applies("merchant_deadline", "with_merchant", assigned=False)
    assert not timer_still_applies("merchant_deadline", "in_review", assigned=False)
    assert timer_still_applies("first_response_deadline", "in_review", assigned=False)
    assert not timer_still_applies("first_response_deadline", "in_review", assigned=True)
    assert timer_still_applies("evidence_deadline", "needs_evidence", assigned=True)
    assert not timer_still_applies("evidence_deadline", "in_review", assigned=True)


def test_working_days_skip_the_weekend() -> None:
    assert add_duration(NOW, 1, "working_days") == NOW + timedelta(days=3)  # Friday -> Monday
    assert add_duration(NOW, 2, "hours") == NOW + timedelta(hours=2)
    assert add_duration(NOW, 2, "days") == NOW + timedelta(days=2)
    with pytest.raises(ValueError):
        add_duration(NOW, 1, "weeks")


def test_backoff_grows_is_capped_and_honours_retry_after() -> None:
    assert [backoff_seconds(n) for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert backoff_seconds(30) == 600
    assert backoff_seconds(1, retry_after=37) == 37
    assert backoff_seconds(5, retry_after=3) == 32


def test_summary_is_deterministic_and_collapses_repeats() -> None:
    events = [
        EventLine(NOW + timedelta(minutes=i), "buyer:1", "evidence_added", str(i)) for i in range(3)
    ] + [
        EventLine(NOW - timedelta(minutes=1), "rules", "status", "with_merchant"),
        EventLine(NOW + timedelta(hours=1), "timer", "status", "approved"),
    ]
    summary = summarize(events)
    assert [e.kind for e in summary] == ["status", "evidence_added", "status"]
    assert summary[1].detail == "2"
    assert summarize(events) == summary
    assert len(summarize(events * 5, limit=4)) == 4


@pytest.mark.parametrize(("score", "valid"), [(0, False), (1, True), (5, True), (6, False)])
def test_rating_range(score: int, valid: bool) -> None:
    assert rating_valid(score) is valid


def test_operator_settings_are_lists_of_ids(tmp_path: object) -> None:
    from bot.config import ConfigError, load_settings

    settings = load_settings(
        _env_file=None, operator_ids="7001, 7002", lead_ids="7002", show_agent_names="true"
    )
    assert (settings.operator_ids, settings.lead_ids, settings.show_agent_names) == (
        [7001, 7002],
        [7002],
        True,
    )
    assert load_settings(_env_file=None).operator_ids == []
    with pytest.raises(ConfigError, match="OPERATOR_IDS"):
        load_settings(_env_file=None, operator_ids="7001, boss")
