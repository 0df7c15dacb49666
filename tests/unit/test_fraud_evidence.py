"""Scams found in evidence pictures, recorded on the case that holds the picture
(`bot.services.scam.flag_evidence`, `flag_draft_findings`), and their line on the card."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import Translator
from bot.services.scam import EVIDENCE_SCAM, flag_draft_findings, flag_evidence
from bot.storage.db import session_factory
from bot.storage.models import CaseEvent
from bot.telegram.fraud import evidence_scam_lines
from tests.unit.conftest import file_case


async def seed_case(
    sessions: async_sessionmaker[AsyncSession], *, user_id: int, number: str, files: list[str]
) -> int:
    async with sessions() as session:
        case = await file_case(
            session,
            user_id=user_id,
            number=number,
            decision={"outcome": "full_refund", "route": "merchant_review", "rule_id": "t"},
            evidence=[
                {"file_id": f"id-{f}", "file_unique_id": f, "kind": "chat_record"} for f in files
            ],
        )
        assert case.id is not None
        return case.id


def finding(file_unique_id: str) -> dict[str, Any]:
    return {
        "file_unique_id": file_unique_id,
        "risk": "high",
        "checks": "url.lookalike",
        "reason": "lookalike of alipay.com",
        "explain": {"zh": "链接仿冒支付宝", "en": "The link imitates alipay.com"},
        "qr": ["https://alipay-tuikuan.top/r"],
    }


async def events(sessions: async_sessionmaker[AsyncSession]) -> list[CaseEvent]:
    async with sessions() as session:
        rows = await session.exec(select(CaseEvent).where(CaseEvent.kind == EVIDENCE_SCAM))
        return list(rows.all())


async def test_a_finding_goes_on_the_buyers_case_that_holds_the_file(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    mine = await seed_case(sessions, user_id=1, number="RF-20261130-AAAA", files=["f1", "f2"])
    await seed_case(sessions, user_id=2, number="RF-20261130-BBBB", files=["f3"])
    assert await flag_evidence(sessions, user_id=1, file_unique_id="f2", finding=finding("f2"))
    assert mine == (await events(sessions))[0].case_id
    # another buyer's file, or a file no case holds: nothing is recorded
    assert await flag_evidence(sessions, user_id=1, file_unique_id="f3", finding={}) is None
    assert await flag_evidence(sessions, user_id=1, file_unique_id="zz", finding={}) is None
    assert len(await events(sessions)) == 1


async def test_draft_findings_are_recorded_only_for_files_the_case_holds(
    engine: AsyncEngine,
) -> None:
    """A picture refused or removed in the wizard is no evidence of the case."""
    sessions = session_factory(engine)
    case_id = await seed_case(sessions, user_id=1, number="RF-20261130-CCCC", files=["kept"])
    await flag_draft_findings(
        sessions, case_id=case_id, findings=[finding("kept"), finding("removed")]
    )
    found = await events(sessions)
    assert [(e.case_id, (e.payload or {}).get("file_unique_id")) for e in found] == [
        (case_id, "kept")
    ]
    lines = evidence_scam_lines(Translator("en"), found)
    assert lines[-1] == Translator("en")(
        "fraud_evidence.card", count=1, reason="The link imitates alipay.com"
    )
    assert evidence_scam_lines(Translator("en"), []) == []
