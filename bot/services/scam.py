"""The anti-scam service: the detector with the message catalog's texts, and pictures.

`build_detector()` gives the domain detector its buyer-facing texts from the locale
files (`fraud_advice.*` keys), so every text lives in one system. Pictures are scanned
by `bot.imagescan` (OCR and QR decoding, off the event loop). A scam found in a picture a
buyer sent as evidence is recorded on the case (`flag_evidence`, `flag_draft_findings`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.fraud import Detector, FraudConfig
from bot.i18n import LANGUAGES, catalog
from bot.storage import repo
from bot.storage.models import Case, Evidence


def fraud_texts() -> dict[str, Mapping[str, str]]:
    """language -> message catalog, for the detector's advice and explanations."""
    return {lang: catalog(lang) for lang in LANGUAGES}


def build_detector(
    *,
    allow_domains: Iterable[str] = (),
    platform_domains: Iterable[str] = (),
    protected_brands: Iterable[str] | None = None,
) -> Detector:
    config = FraudConfig(
        allow_domains=list(allow_domains),
        platform_domains=list(platform_domains),
        protected_brands=None if protected_brands is None else list(protected_brands),
    )
    return Detector(config, texts=fraud_texts())


# ---------------------------------------------------------------------------- evidence

EVIDENCE_SCAM = "evidence_scam"
"""The case event that records a scam found in a piece of evidence (shown on the card)."""


async def flag_evidence(
    sessions: async_sessionmaker[AsyncSession],
    *,
    user_id: int,
    file_unique_id: str,
    finding: Mapping[str, Any],
) -> int | None:
    """Record a scam found in a picture on the buyer's case that holds it as evidence
    (the newest one); the case id, or None when no case of this buyer holds the file."""
    async with sessions() as session:
        case_id = (
            await session.exec(
                select(Evidence.case_id)
                .join(Case, col(Case.id) == col(Evidence.case_id))
                .where(Evidence.file_unique_id == file_unique_id, Case.user_id == user_id)
                .order_by(col(Evidence.id).desc())
                .limit(1)
            )
        ).first()
        if case_id is None:
            return None
        await repo.add_event(
            session, case_id=case_id, actor="antifraud", kind=EVIDENCE_SCAM, payload=dict(finding)
        )
        return case_id


async def flag_draft_findings(
    sessions: async_sessionmaker[AsyncSession],
    *,
    case_id: int,
    findings: Sequence[Mapping[str, Any]],
) -> None:
    """Record on a new case the scams found in its evidence while it was a draft (those
    whose picture the case holds: a refused or removed picture is no evidence)."""
    if not findings:
        return
    async with sessions() as session:
        held = set(
            (
                await session.exec(
                    select(Evidence.file_unique_id).where(Evidence.case_id == case_id)
                )
            ).all()
        )
        for finding in findings:
            if finding.get("file_unique_id") not in held:
                continue
            await repo.add_event(
                session,
                case_id=case_id,
                actor="antifraud",
                kind=EVIDENCE_SCAM,
                payload=dict(finding),
            )
