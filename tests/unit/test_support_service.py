"""The support service on SQLite with a controllable clock: every deadline, the outbox's
retries, authorization and its audit trail, and timers that survive a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.policy_files import DEFAULT_POLICY_PATH, load_policy
from bot.services.support import Action, ActResult, Operators, SupportService
from bot.storage import repo
from bot.storage.db import create_engine, session_factory
from bot.storage.models import Case, CaseEvent
from bot.storage.support_models import CaseTimer, OutboxMessage, SupportAudit, SupportTopic
from tests.support.cases import decision
from tests.unit.conftest import file_case

CHAT = -100500
THREAD = 70  # the topic of the case under test
START = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
POLICY = load_policy(DEFAULT_POLICY_PATH)


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


async def seed(
    sessions: async_sessionmaker[AsyncSession],
    *,
    user_id: int = 1001,
    number: str = "RF-20261130-AAAA",
    status: str = "in_review",
    route: str = "platform_review",
    filed_by: SupportService | None = None,
) -> int:
    """A case as the wizard stores it; `filed_by` runs the workspace's submit hook in the
    same transaction, as the running bot does."""
    async with sessions() as session:
        case = await file_case(
            session,
            user_id=user_id,
            number=number,
            language="en",
            paid_at=START,
            status=status,
            decision=decision(route=route),
            also=filed_by.case_filed if filed_by is not None else None,
        )
        # the case was filed at the start of the fake clock
        case.created_at = case.updated_at = START
        session.add(case)
        await session.commit()
        assert case.id is not None
        return case.id


async def members(statuses: dict[int, str]) -> Any:
    async def lookup(user_id: int) -> str:
        return statuses.get(user_id, "left")

    return lookup


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service(engine: AsyncEngine, clock: FakeClock) -> SupportService:
    return SupportService(
        sessions=session_factory(engine), policy=POLICY, chat_id=CHAT, clock=clock, staff_lang="en"
    )


@pytest.fixture
async def operators() -> Operators:
    return Operators(
        lookup=await members({7001: "administrator", 7002: "creator", 7003: "member"}),
        operator_ids=[7001],
        lead_ids=[7002],
    )


async def all_rows(service: SupportService, model: Any) -> list[Any]:
    async with service.sessions() as session:
        return list((await session.exec(select(model))).all())


async def case_of(service: SupportService, case_id: int) -> Case:
    async with service.sessions() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        return case


async def open_topic(service: SupportService, case_id: int, thread: int) -> None:
    assert await service.request_topic(case_id=case_id, trigger="test")
    (job,) = await service.claim_topics()
    assert job.case_id == case_id
    await service.topic_created(case_id=case_id, thread_id=thread)
    await service.topic_opened(case_id=case_id, card_message_id=thread + 1)


async def seeded_topic(service: SupportService, thread: int = THREAD) -> int:
    """A case (as `seed` stores it) whose topic is open in `thread`."""
    case_id = await seed(service.sessions)
    await open_topic(service, case_id, thread)
    return case_id


async def act(
    service: SupportService,
    operators: Operators,
    case_id: int,
    action: Action,
    *,
    detail: str | None = None,
    actor: int = 7001,
    thread: int = THREAD,
) -> ActResult:
    """An operator's button in the case's topic, authorized as the bot does it."""
    auth = await service.authorize(
        operators,
        actor_id=actor,
        chat_id=CHAT,
        thread_id=thread,
        action=action,
        claimed_case_id=case_id,
    )
    return await service.act(auth, actor_id=actor, actor_name="Wang", action=action, detail=detail)


async def fire(service: SupportService) -> list[tuple[int, str, str]]:
    return await service.fire_due_timers(instance="test")


# --- deadlines ------------------------------------------------------------------------------


async def test_a_silent_merchant_forces_the_refund_and_opens_a_topic(
    service: SupportService, clock: FakeClock
) -> None:
    case_id = await seed(service.sessions, status="with_merchant", route="merchant_review")
    await service.reconcile()
    (timer,) = await all_rows(service, CaseTimer)
    assert timer.kind == "merchant_deadline"
    clock.advance(hours=23, minutes=59)
    assert await fire(service) == []
    clock.advance(minutes=2)
    assert await fire(service) == [(case_id, "merchant_deadline", "forced")]
    assert (await case_of(service, case_id)).status == "approved"
    (notice,) = [o for o in await all_rows(service, OutboxMessage) if o.chat_id == 1001]
    assert (
        "did not answer in time" in notice.payload["text"]
        and "Refund approved" in notice.payload["text"]
    )
    (topic,) = await all_rows(service, SupportTopic)
    assert (topic.state, topic.trigger) == ("opening", "merchant_deadline")
    clock.advance(days=1)
    assert [
        kind for _c, kind, _o in await fire(service)
    ] == []  # fired once; the appeal window runs 7 days
    clock.advance(days=7)
    assert [kind for _c, kind, _o in await fire(service)] == ["appeal_window_end"]


async def test_a_merchant_who_answered_stops_the_clock(
    service: SupportService, clock: FakeClock, operators: Operators
) -> None:
    case_id = await seed(service.sessions, status="with_merchant", route="merchant_review")
    await service.reconcile()
    await open_topic(service, case_id, 50)  # a person took it over: in review now
    clock.advance(hours=30)
    fired = await fire(service)
    assert ("merchant_deadline" not in [k for _c, k, _o in fired]) and (
        await case_of(service, case_id)
    ).status == "in_review"


async def test_first_response_reminder_then_breach(
    service: SupportService, clock: FakeClock
) -> None:
    case_id = await seeded_topic(service)
    hours = service.deadline_rules().first_response_hours
    clock.advance(hours=hours * 0.75 + 0.01)
    assert await fire(service) == [(case_id, "first_response_reminder", "reminded")]
    clock.advance(hours=hours * 0.25)
    assert await fire(service) == [(case_id, "first_response_deadline", "breached")]
    topic_notes = [
        o.payload["text"] for o in await all_rows(service, OutboxMessage) if o.thread_id == THREAD
    ]
    assert any("Reminder" in t for t in topic_notes) and any(
        "passed without an answer" in t for t in topic_notes
    )
    stats = await service.stats(since=START)
    assert stats.breached == 1


async def test_an_answer_in_time_cancels_the_first_response_clock(
    service: SupportService, clock: FakeClock
) -> None:
    case_id = await seeded_topic(service)
    await service.relayed(case_id=case_id, src=(CHAT, 100), dst=(1001, 5), by_operator=7001)
    clock.advance(days=3)
    assert [k for _c, k, _o in await fire(service)] == []


async def test_evidence_request_reminds_the_buyer_then_lapses(
    service: SupportService, clock: FakeClock, operators: Operators
) -> None:
    case_id = await seeded_topic(service)
    result = await act(service, operators, case_id, Action.EVIDENCE, detail="the order page")
    assert result.ok and (await case_of(service, case_id)).status == "needs_evidence"
    hours = service.deadline_rules().evidence_hours
    clock.advance(hours=hours * 0.75 + 0.01)
    assert await fire(service) == [(case_id, "evidence_reminder", "reminded")]
    reminder = [o for o in await all_rows(service, OutboxMessage) if o.chat_id == 1001][-1]
    assert "still needs your evidence" in reminder.payload["text"]
    clock.advance(hours=hours * 0.25)
    assert await fire(service) == [(case_id, "evidence_deadline", "lapsed")]
    assert (await case_of(service, case_id)).status == "closed"
    (topic,) = await all_rows(service, SupportTopic)
    assert topic.state == "closed"


async def test_evidence_added_in_time_sends_the_case_back_to_review(
    service: SupportService, clock: FakeClock, operators: Operators
) -> None:
    case_id = await seeded_topic(service)
    await act(service, operators, case_id, Action.EVIDENCE, detail="the order page")
    clock.advance(hours=1)
    async with service.sessions() as session:
        await repo.add_evidence(
            session,
            case_id=case_id,
            actor="buyer:1001",
            file_id="f",
            file_unique_id="u",
            kind="order_screenshot",
            mime_type=None,
            size=1,
        )
    clock.advance(days=5)
    outcomes = [o for _c, k, o in await fire(service) if k == "evidence_deadline"]
    assert (
        outcomes == ["evidence_received"]
        and (await case_of(service, case_id)).status == "in_review"
    )


async def test_timers_survive_a_restart(engine: AsyncEngine, clock: FakeClock) -> None:
    first = SupportService(
        sessions=session_factory(engine), policy=POLICY, chat_id=CHAT, clock=clock
    )
    case_id = await seed(first.sessions)
    await open_topic(first, case_id, 64)
    await engine.dispose()  # the process ends
    again = create_engine(str(engine.url))  # the same file, opened again
    try:
        second = SupportService(
            sessions=session_factory(again), policy=POLICY, chat_id=CHAT, clock=clock
        )
        clock.advance(days=3)
        kinds = sorted(k for _c, k, _o in await second.fire_due_timers(instance="after-restart"))
        assert kinds == ["first_response_deadline", "first_response_reminder"]
        assert await second.open_topic_for_buyer(1001) is not None
    finally:
        await again.dispose()


# --- authorization ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "thread", "claimed", "action", "reason"),
    [
        (7003, 70, None, Action.APPROVE, "not_operator"),  # a plain member
        (7009, 70, None, Action.APPROVE, "not_operator"),  # someone who left the group
        (7001, 70, 999, Action.APPROVE, "case_mismatch"),  # a button of another case
        (7001, None, None, Action.NOTE, "no_topic"),  # outside any case's topic
        (7001, 70, None, Action.BAN, "not_lead"),
    ],
)
async def test_refusals_are_audited_and_change_nothing(
    service: SupportService,
    operators: Operators,
    actor: int,
    thread: int | None,
    claimed: int | None,
    action: Action,
    reason: str,
) -> None:
    case_id = await seeded_topic(service)
    before = await case_of(service, case_id)
    auth = await service.authorize(
        operators,
        actor_id=actor,
        chat_id=CHAT,
        thread_id=thread,
        action=action,
        claimed_case_id=claimed,
    )
    assert not auth.allowed and auth.reason == reason
    (row,) = [a for a in await all_rows(service, SupportAudit)]
    assert (row.actor_id, row.allowed, row.reason, row.action) == (
        actor,
        False,
        reason,
        action.value,
    )
    assert (await case_of(service, case_id)).status == before.status


async def test_an_operator_in_the_topic_of_the_case_is_allowed(
    service: SupportService, operators: Operators
) -> None:
    case_id = await seeded_topic(service)
    auth = await service.authorize(
        operators,
        actor_id=7001,
        chat_id=CHAT,
        thread_id=THREAD,
        action=Action.APPROVE,
        claimed_case_id=case_id,
    )
    assert auth.allowed and auth.case_id == case_id
    lead = await service.authorize(
        operators, actor_id=7002, chat_id=CHAT, thread_id=THREAD, action=Action.BAN
    )
    assert lead.allowed
    wrong_chat = await service.authorize(
        operators,
        actor_id=7001,
        chat_id=-100999,
        thread_id=THREAD,
        action=Action.APPROVE,
        claimed_case_id=case_id,
    )
    assert not wrong_chat.allowed


async def test_operator_status_is_cached_briefly_and_checked_again() -> None:
    calls: list[int] = []
    statuses = {7001: "administrator"}

    async def lookup(user_id: int) -> str:
        calls.append(user_id)
        return statuses.get(user_id, "left")

    now = [0.0]
    ops = Operators(lookup=lookup, operator_ids=[], ttl=30, monotonic=lambda: now[0])
    assert (await ops.role(7001)).value == "lead" or (await ops.role(7001)).value == "operator"
    statuses[7001] = "left"  # removed from the group
    assert (await ops.role(7001)).value != "none" and len(calls) == 1  # cached
    now[0] = 31.0
    assert (await ops.role(7001)).value == "none" and len(calls) == 2


async def test_without_operator_ids_the_admins_are_the_operators() -> None:
    async def lookup(user_id: int) -> str:
        return {1: "creator", 2: "administrator", 3: "member"}.get(user_id, "left")

    ops = Operators(lookup=lookup)
    assert [(await ops.role(u)).value for u in (1, 2, 3, 4)] == ["lead", "operator", "none", "none"]
    listed = Operators(lookup=lookup, operator_ids=[3], lead_ids=[2])
    assert [(await listed.role(u)).value for u in (1, 2, 3, 4)] == [
        "none",
        "lead",
        "operator",
        "none",
    ]


# --- lifecycle through the service -----------------------------------------------------------


async def test_a_refused_transition_changes_nothing(
    service: SupportService, operators: Operators
) -> None:
    case_id = await seeded_topic(service)
    result = await act(service, operators, case_id, Action.REFUNDED)
    assert not result.ok and result.reason == "transition"
    assert (await case_of(service, case_id)).status == "in_review"
    assert not [o for o in await all_rows(service, OutboxMessage) if o.chat_id == 1001]


async def test_each_change_queues_its_notification_in_the_same_transaction(
    service: SupportService, operators: Operators
) -> None:
    case_id = await seeded_topic(service)
    for action in (Action.APPROVE, Action.REFUNDED, Action.CLOSE):
        assert (await act(service, operators, case_id, action)).ok
    buyer = [o for o in await all_rows(service, OutboxMessage) if o.chat_id == 1001]
    assert [
        (
            "Refund approved" in o.payload["text"],
            "Refunded" in o.payload["text"],
            "Closed" in o.payload["text"],
        )
        for o in buyer
    ] == [
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ]
    assert buyer[-1].payload.get("rating_case") == case_id
    assert not await service.rate(case_id=case_id, user_id=1002, score=1)  # only the buyer
    assert not await service.rate(case_id=case_id, user_id=1001, score=6)  # 1 to 5
    assert await service.rate(case_id=case_id, user_id=1001, score=5)
    assert not await service.rate(case_id=case_id, user_id=1001, score=1)  # once
    assert (await service.stats(since=START)).ratings == {7001: (1, 5.0)}


# --- outbox ----------------------------------------------------------------------------------


async def test_outbox_claims_are_exclusive_and_retry_after_is_honoured(
    service: SupportService, clock: FakeClock, operators: Operators
) -> None:
    case_id = await seeded_topic(service)
    await act(service, operators, case_id, Action.APPROVE)
    first = await service.claim_outbox()
    assert len(first) == 2 and await service.claim_outbox() == []  # leased: nobody else takes them
    buyer = next(d for d in first if d.chat_id == 1001)
    assert not await service.outbox_failed(buyer, reason="flood", retry_after=30, permanent=False)
    clock.advance(seconds=29)
    assert [d.id for d in await service.claim_outbox()] == []
    clock.advance(seconds=2)
    again = await service.claim_outbox()
    assert [d.id for d in again] == [buyer.id] and again[0].attempts == 1
    await service.outbox_sent(buyer.id, 42)
    clock.advance(
        minutes=5
    )  # the other message's lease ran out: it is due again, the sent one never
    assert buyer.id not in [d.id for d in await service.claim_outbox()]


async def test_a_notification_that_keeps_failing_is_reported_in_the_topic(
    service: SupportService, clock: FakeClock, operators: Operators
) -> None:
    service.max_attempts = 3
    case_id = await seeded_topic(service)
    await act(service, operators, case_id, Action.APPROVE)
    gave_up = False
    for _ in range(3):
        clock.advance(minutes=20)
        for delivery in await service.claim_outbox():
            if delivery.chat_id == 1001:
                gave_up = await service.outbox_failed(
                    delivery, reason="network error", retry_after=None, permanent=False
                )
            else:
                await service.outbox_sent(delivery.id, 1)
    assert gave_up
    rows = await all_rows(service, OutboxMessage)
    assert [o.state for o in rows if o.chat_id == 1001] == ["failed"]
    assert any(
        o.thread_id == THREAD
        and "kept failing" in o.payload["text"]
        and "network error" in o.payload["text"]
        for o in rows
    )


async def test_a_blocked_buyer_is_given_up_at_once(
    service: SupportService, operators: Operators
) -> None:
    case_id = await seeded_topic(service)
    await act(service, operators, case_id, Action.APPROVE)
    buyer = next(d for d in await service.claim_outbox() if d.chat_id == 1001)
    assert await service.outbox_failed(
        buyer, reason="the buyer blocked the bot", retry_after=None, permanent=True
    )


async def test_an_appeal_reopens_the_closed_topic(
    service: SupportService, operators: Operators
) -> None:
    case_id = await seeded_topic(service)
    for action in (Action.REJECT, Action.CLOSE):
        assert (await act(service, operators, case_id, action, detail="no proof")).ok
    assert await service.open_topic_for_buyer(1001) is None
    async with service.sessions() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        await repo.set_status(session, case=case, status="appealed", actor="buyer:1001")
    assert await service.reconcile() == 1
    (job,) = await service.claim_topics()
    assert job.reopen and job.thread_id == THREAD
    events = [e.kind for e in await all_rows(service, CaseEvent) if e.case_id == case_id]
    assert "escalated" in events


def test_the_saved_replies_file_is_checked(tmp_path: Path, engine: AsyncEngine) -> None:
    shipped = SupportService(sessions=session_factory(engine), policy=POLICY, chat_id=CHAT)
    shipped.check_replies()
    assert "greeting" in shipped.shipped_replies()
    broken = tmp_path / "replies.yaml"
    broken.write_text("replies:\n  hello:\n    zh: 您好\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'hello' has no en text"):
        SupportService(
            sessions=session_factory(engine), policy=POLICY, chat_id=CHAT, replies_file=broken
        ).check_replies()
    broken.write_text(
        "replies:\n  hello:\n    cause: nonsense\n    zh: 您好\n    en: hi\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="unknown cause"):
        SupportService(
            sessions=session_factory(engine), policy=POLICY, chat_id=CHAT, replies_file=broken
        ).check_replies()


async def test_a_saved_reply_edit_is_kept_and_audited(service: SupportService) -> None:
    await service.set_saved_reply(name="greeting", lang="en", text="Hi, support here.", by_id=7002)
    assert await service.saved_reply("greeting", "en") == "Hi, support here."
    (row,) = await all_rows(service, SupportAudit)
    assert (row.actor_id, row.action, row.allowed, row.reason, row.payload) == (
        7002,
        Action.REPLY_EDIT.value,
        True,
        "greeting",
        {"lang": "en"},
    )


async def test_two_answers_that_did_not_help_in_a_row_open_a_topic(service: SupportService) -> None:
    case_id = await seed(service.sessions)
    assert not await service.bot_answered(user_id=1001, helped=False)
    assert not await service.bot_answered(user_id=1001, helped=True)  # the chain is broken
    assert not await service.bot_answered(user_id=1001, helped=False)
    assert await service.bot_answered(user_id=1001, helped=False)
    (topic,) = await all_rows(service, SupportTopic)
    assert (topic.case_id, topic.trigger) == (case_id, "bot_failed")
    assert not await service.bot_answered(
        user_id=4242, helped=False
    ) and not await service.bot_answered(user_id=4242, helped=False)


async def test_a_timer_whose_case_moved_on_elsewhere_is_stale(
    service: SupportService, clock: FakeClock
) -> None:
    """The case left `with_merchant` by another path (no timers cancelled): the merchant's
    deadline no longer applies and changes nothing."""
    case_id = await seed(service.sessions, status="with_merchant", route="merchant_review")
    await service.reconcile()
    async with service.sessions() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        await repo.set_status(session, case=case, status="in_review", actor="support:1")
    clock.advance(days=2)
    assert await fire(service) == [(case_id, "merchant_deadline", "stale")]
    assert (await case_of(service, case_id)).status == "in_review"
    assert not [o for o in await all_rows(service, OutboxMessage) if o.chat_id == 1001]


def test_the_migration_renames_old_statuses(tmp_path: Path) -> None:
    import sqlite3

    from alembic import command

    from bot.storage.db import alembic_config

    path = tmp_path / "old.sqlite3"
    config = alembic_config(f"sqlite+aiosqlite:///{path}")
    command.upgrade(config, "0004")
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO users (id, created_at, updated_at) VALUES (1, '2026-11-01', '2026-11-01')"
        )
        for n, status in enumerate(
            ("merchant_review", "platform_review", "human_review", "approved")
        ):
            db.execute(
                "INSERT INTO cases (number, draft_key, user_id, language, order_number, platform_type, order_status, cause,"
                " payment_channel, amount, status, outcome, rule_id, policy_version, decision, created_at, updated_at)"
                " VALUES (?, ?, 1, 'zh', 'KM1', 'aggregator', 'paid_undelivered', 'out_of_stock', 'alipay', 1, ?, 'full_refund',"
                " 'r', 'v', '{}', '2026-11-01', '2026-11-01')",
                (f"RF-{n}", f"d{n}", status),
            )
    command.upgrade(config, "head")
    with sqlite3.connect(path) as db:
        statuses = [row[0] for row in db.execute("SELECT status FROM cases ORDER BY id")]
    assert statuses == ["with_merchant", "in_review", "in_review", "approved"]


# --- written with the change that causes it ----------------------------------------------------


async def test_a_case_routed_to_a_person_has_its_topic_job_written_with_it(
    service: SupportService, engine: AsyncEngine, clock: FakeClock
) -> None:
    case_id = await seed(service.sessions, filed_by=service)
    (topic,) = await all_rows(service, SupportTopic)
    assert (topic.case_id, topic.state, topic.trigger) == (case_id, "opening", "route")
    # the process that filed it stops here; another one opens the topic, once
    other = SupportService(
        sessions=session_factory(engine), policy=POLICY, chat_id=CHAT, clock=clock
    )
    assert [job.case_id for job in await other.claim_topics()] == [case_id]
    assert await service.claim_topics() == []
    assert await other.reconcile() == 0  # the safety net has nothing left to do
    merchant = await seed(
        service.sessions,
        user_id=1002,
        number="RF-20261130-BBBB",
        status="with_merchant",
        route="merchant_review",
        filed_by=service,
    )
    timers = [t.kind for t in await all_rows(service, CaseTimer) if t.case_id == merchant]
    assert timers == ["merchant_deadline"]  # the merchant's clock runs from the submit
    assert len(await all_rows(service, SupportTopic)) == 1


async def test_the_failure_streak_is_shared_by_instances_and_kept_over_a_restart(
    service: SupportService, engine: AsyncEngine, clock: FakeClock
) -> None:
    case_id = await seed(service.sessions)
    assert not await service.bot_answered(user_id=1001, helped=False)
    assert await service.failure_streak(1001) == 1
    await engine.dispose()  # the process ends; another instance answers next
    again = create_engine(str(engine.url))  # the same file, opened again
    try:
        other = SupportService(
            sessions=session_factory(again), policy=POLICY, chat_id=CHAT, clock=clock
        )
        assert await other.bot_answered(user_id=1001, helped=False)
        (topic,) = await all_rows(other, SupportTopic)
        assert (topic.case_id, topic.trigger) == (case_id, "bot_failed")
        assert await other.failure_streak(1001) == 0  # taken by the escalation
        assert not await other.bot_answered(user_id=1002, helped=False)
        assert not await other.bot_answered(user_id=1002, helped=True)
        assert await other.failure_streak(1002) == 0  # a helpful answer resets it
    finally:
        await again.dispose()


async def test_a_buyers_message_is_queued_for_the_topic_once_and_a_refusal_tells_the_buyer(
    service: SupportService,
) -> None:
    case_id = await seeded_topic(service)

    async def relay(message_id: int) -> bool:
        return await service.queue_buyer_relay(
            case_id=case_id,
            chat_id=CHAT,
            thread_id=THREAD,
            source=(1001, message_id),
            payload={
                "sources": [[1001, message_id]],
                "copy": [1001, message_id],
                "failed_notice": "not passed on",
            },
        )

    assert await relay(70)
    assert not await relay(70)  # the same update handled twice: queued once
    (delivery,) = await service.claim_outbox()
    assert (delivery.chat_id, delivery.thread_id) == (CHAT, THREAD)
    assert await service.outbox_failed(
        delivery, reason="no topic", retry_after=None, permanent=True
    )
    told = [o for o in await all_rows(service, OutboxMessage) if o.chat_id == 1001]
    assert [o.payload["text"] for o in told] == ["not passed on"]


async def test_operator_relays_go_out_in_order_once_and_a_failure_is_told_in_the_topic(
    service: SupportService, clock: FakeClock, operators: Operators
) -> None:
    case_id = await seeded_topic(service)
    auth = await service.authorize(
        operators, actor_id=7001, chat_id=CHAT, thread_id=THREAD, action=Action.RELAY
    )

    async def relay(message_id: int, text: str) -> bool:
        return await service.queue_relay(
            auth, actor_id=7001, buyer_id=1001, source=(CHAT, message_id), payload={"text": text}
        )

    assert await relay(500, "one")
    assert not await relay(500, "one")  # the same update handled twice: queued once
    assert await relay(501, "two")
    assert await service.queue_edit(
        auth, actor_id=7001, buyer_id=1001, source=(CHAT, 500), version=1, payload={"text": "1!"}
    )
    (first,) = await service.claim_outbox()  # the buyer's oldest only
    assert first.payload["text"] == "one"
    assert not await service.outbox_failed(first, reason="flood", retry_after=10, permanent=False)
    clock.advance(seconds=9)
    assert await service.claim_outbox() == []  # "two" waits behind "one"
    clock.advance(seconds=2)
    (again,) = await service.claim_outbox()
    assert again.id == first.id
    await service.outbox_sent(again.id, 900, links=[(case_id, (CHAT, 500), (1001, 900))])
    link = await service.copy_of(chat_id=CHAT, message_id=500)
    assert link is not None and (link.dst_chat_id, link.dst_message_id) == (1001, 900)
    (second,) = await service.claim_outbox()
    assert second.payload["text"] == "two"
    await service.outbox_sent(second.id, 901)
    (edit,) = await service.claim_outbox()
    assert edit.payload["op"] == "edit" and edit.payload["source"] == [CHAT, 500]
    assert await service.outbox_failed(
        edit, reason="the buyer blocked the bot", retry_after=None, permanent=True
    )
    (told,) = [o for o in await all_rows(service, OutboxMessage) if o.thread_id == THREAD]
    assert "Not delivered to the buyer: the buyer blocked the bot" in told.payload["text"]
    (topic,) = await all_rows(service, SupportTopic)
    assert topic.first_response_at is not None  # the first relay answered the case
    audit = [a for a in await all_rows(service, SupportAudit) if a.action == "relay"]
    assert len(audit) == 3 and all(a.allowed for a in audit)


async def test_a_copy_being_sent_is_in_flight_until_it_is_linked(
    service: SupportService,
) -> None:
    """A buyer's edit that comes while the copy of the message is being sent waits for the
    link (`buyer_edit`): only a taken ("sending") row of that very message counts, or of
    the album it is a part of. The rows are queued as the bot queues them (their source
    columns filled on insert)."""
    case_id = await seed(service.sessions)
    for source, sources in (
        ((7, 11), [[7, 11]]),
        ((7, 12), [[7, 12]]),
        ((7, 13), [[7, 13]]),
        ((7, 20), [[7, 20], [7, 22]]),  # an album of two parts
    ):
        assert await service.queue_buyer_relay(
            case_id=case_id,
            chat_id=CHAT,
            thread_id=THREAD,
            source=source,
            payload={"sources": sources, "copy": list(source)},
        )
    rows = {o.key: o for o in await all_rows(service, OutboxMessage)}
    assert [(o.source_chat_id, o.source_message_id) for o in rows.values()] == [
        (7, 11),
        (7, 12),
        (7, 13),
        (7, 20),
    ]
    states = {"relay:7:11": "sending", "relay:7:13": "sent", "relay:7:20": "sending"}
    async with service.sessions() as session:
        for key, state in states.items():
            row = rows[key]
            row.state = state
            session.add(row)
        await session.commit()
    assert await service.copy_in_flight(chat_id=7, message_id=11)
    assert not await service.copy_in_flight(chat_id=7, message_id=12)  # carries the edit
    assert not await service.copy_in_flight(chat_id=7, message_id=13)  # linked already
    assert not await service.copy_in_flight(chat_id=8, message_id=11)  # another chat
    assert await service.copy_in_flight(chat_id=7, message_id=20)  # the album's first part
    assert await service.copy_in_flight(chat_id=7, message_id=22)  # and its second
    assert not await service.copy_in_flight(chat_id=7, message_id=21)  # not a part
    sending = rows["relay:7:11"]
    assert sending.id is not None
    await service.outbox_sent(sending.id, 99)
    assert not await service.copy_in_flight(chat_id=7, message_id=11)
    assert await service.copy_in_flight(chat_id=7, message_id=20)
