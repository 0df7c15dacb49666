"""The typed draft: steps, what is missing, the completion check, the facts, storage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.config import DEFAULT_POLICY_FILE
from bot.domain.draft import Draft, IncompleteDraft, Moment, Step
from bot.domain.intake import describe
from bot.domain.rules import decide
from bot.domain.vocab import Cause, EvidenceKind, OrderStatus, Outcome, PaymentChannel, PlatformType
from bot.policy_files import load_policy

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")
PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{5,39}$"


def complete(**changes: object) -> Draft:
    draft = Draft(
        order_number="KM20261121000123",
        platform_type=PlatformType.AGGREGATOR,
        order_status=OrderStatus.PAID_UNDELIVERED,
        cause=Cause.OUT_OF_STOCK,
        payment_channel=PaymentChannel.ALIPAY,
        amount=Decimal("98.50"),
        paid=Moment.typed(NOW - timedelta(hours=2)),
    )
    for name, value in changes.items():
        setattr(draft, name, value)
    return draft


def test_steps_follow_the_order_status() -> None:
    draft = Draft()
    assert draft.missing() == [
        Step.ORDER_NUMBER,
        Step.PLATFORM_TYPE,
        Step.ORDER_STATUS,
        Step.CAUSE,
        Step.PAYMENT_CHANNEL,
        Step.AMOUNT,
        Step.PAYMENT_TIME,
    ]
    assert draft.next_step() is Step.ORDER_NUMBER
    draft.set_status(OrderStatus.REDEEMED)
    assert Step.COMPLETION_TIME in draft.steps() and Step.COMPLETION_TIME in draft.missing()
    draft.set_status(OrderStatus.UNPAID)
    assert Step.PAYMENT_TIME not in draft.steps() and Step.COMPLETION_TIME not in draft.steps()
    assert draft.steps().index(Step.EVIDENCE) == 6  # step 7 for an unpaid order


def test_next_step_is_the_first_missing_then_evidence_then_summary() -> None:
    draft = complete(amount=None)
    assert draft.next_step() is Step.AMOUNT
    draft.amount = Decimal("98.50")
    assert draft.complete and draft.next_step() is Step.EVIDENCE
    draft.evidence_done = True
    assert draft.next_step() is Step.SUMMARY
    draft.set_status(OrderStatus.COMPLETED)
    assert draft.next_step() is Step.COMPLETION_TIME
    draft.set_completion(None)  # "not sure" is an answer
    assert draft.complete


def test_previous_step_skips_what_does_not_apply() -> None:
    draft = complete(order_status=OrderStatus.UNPAID, paid=None)
    assert draft.previous_step(Step.EVIDENCE) is Step.AMOUNT
    assert draft.previous_step(Step.ORDER_NUMBER) is None
    draft.set_status(OrderStatus.REDEEMED)
    assert draft.previous_step(Step.EVIDENCE) is Step.COMPLETION_TIME


def test_quick_choices_are_ranges_compared_consistently() -> None:
    """Paid "about a week ago", completed "more than 7 days ago": possible, and the rules
    count the completion from the payment, never before it."""
    draft = complete(order_status=OrderStatus.COMPLETED, paid=Moment.paid_choice("7d", NOW))
    completed = Moment.completion_choice("8d", NOW)
    assert completed is not None and draft.completion_possible(completed)
    draft.set_completion(completed)
    assert draft.completed_at == draft.paid_at
    facts = draft.to_facts(NOW)
    assert facts.hours_since_completion == facts.hours_since_payment == 7 * 24


def test_a_completion_before_the_payment_is_impossible() -> None:
    draft = complete(order_status=OrderStatus.REDEEMED, paid=Moment.typed(NOW - timedelta(days=2)))
    assert not draft.completion_possible(Moment.typed(NOW - timedelta(days=3)))
    assert draft.completion_possible(
        Moment.typed(NOW - timedelta(days=2, minutes=4))
    )  # clock slack
    assert not draft.completion_possible(Moment.typed(NOW - timedelta(days=2, minutes=6)))
    choice = Moment.completion_choice("5d", NOW)  # 3 to 7 days ago: the latest is 3 days ago
    assert choice is not None and not draft.completion_possible(choice)
    assert draft.completion_possible(Moment.completion_choice("2d", NOW))  # type: ignore[arg-type]


def test_facts_are_typed_and_the_amount_stays_decimal() -> None:
    draft = complete()
    facts = draft.to_facts(NOW)
    assert isinstance(facts.amount, Decimal) and facts.amount == Decimal("98.50")
    assert facts.hours_since_payment == 2
    assert facts.hours_since_completion is None
    assert decide(load_policy(DEFAULT_POLICY_FILE), facts).outcome is Outcome.FULL_REFUND
    assert facts.evidence == () and facts.fee_disclosed
    draft.label_file(
        draft.add_file({"file_id": "F", "file_unique_id": "U"}).seq, EvidenceKind.ORDER_SCREENSHOT
    )
    draft.add_file({"file_id": "G", "file_unique_id": "V"})  # not labelled yet: not counted
    draft.fee_disclosed = False
    facts = draft.to_facts(NOW)
    assert facts.evidence == (EvidenceKind.ORDER_SCREENSHOT,) and not facts.fee_disclosed
    with pytest.raises(IncompleteDraft) as caught:
        complete(cause=None).to_facts(NOW)
    assert caught.value.missing == [Step.CAUSE]


def test_unpaid_orders_have_no_payment_time_in_the_facts() -> None:
    facts = complete(order_status=OrderStatus.UNPAID, paid=None).to_facts(NOW)
    assert facts.hours_since_payment is None


def test_storage_round_trip_keeps_types_and_utc() -> None:
    shanghai = datetime(2026, 11, 20, 14, 30, tzinfo=TZ)
    draft = complete(paid=Moment.typed(shanghai))
    draft.add_file({"file_id": "F", "file_unique_id": "U", "kind": EvidenceKind.ORDER_SCREENSHOT})
    again = Draft.load(draft.dump())
    assert again == draft
    assert again.amount == Decimal("98.50") and isinstance(again.amount, Decimal)
    assert (
        again.paid_at == shanghai
        and again.paid_at is not None
        and again.paid_at.utcoffset() == timedelta(0)
    )
    assert again.key == draft.key


def test_amounts_are_cents_and_positive() -> None:
    with pytest.raises(ValidationError):
        Draft(amount=Decimal("0"))
    with pytest.raises(ValidationError):
        Draft(amount=Decimal("1.005"))


def test_evidence_can_be_relabelled_and_removed_by_its_number() -> None:
    draft = complete()
    first = draft.add_file({"file_id": "A", "file_unique_id": "a"})
    second = draft.add_file({"file_id": "B", "file_unique_id": "b"})
    draft.label_file(first.seq, EvidenceKind.CHAT_RECORD)
    draft.label_file(first.seq, EvidenceKind.ORDER_SCREENSHOT)
    assert draft.evidence_kinds() == [EvidenceKind.ORDER_SCREENSHOT]
    assert draft.remove_file(first.seq) and not draft.remove_file(first.seq)
    third = draft.add_file({"file_id": "C", "file_unique_id": "c"})
    assert third.seq not in (first.seq, second.seq)  # numbers are never reused
    assert draft.label_file(first.seq, EvidenceKind.CHAT_RECORD) is None
    assert draft.evidence_kinds() == []
    assert draft.has_file("b") and not draft.has_file("a")


def test_fill_from_one_description_keeps_given_answers() -> None:
    found = describe(
        "订单号 KM20261130000512，卡盟上买的点卡，商家说缺货一直没发，支付宝付了98.5，两小时前",
        pattern=PATTERN,
        maximum=Decimal("50000"),
        now=NOW,
        tz=TZ,
    )
    draft = Draft(payment_channel=PaymentChannel.WECHAT)
    filled = draft.fill(found)
    assert Step.PAYMENT_CHANNEL not in filled and draft.payment_channel is PaymentChannel.WECHAT
    assert filled == [
        Step.ORDER_NUMBER,
        Step.PLATFORM_TYPE,
        Step.ORDER_STATUS,
        Step.CAUSE,
        Step.AMOUNT,
        Step.PAYMENT_TIME,
    ]
    assert draft.complete and draft.next_step() is Step.EVIDENCE
