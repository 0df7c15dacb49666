"""What the unit tests share: a case stored as the wizard stores it (in the migrated
database of tests/conftest.py's `engine`); the fraud detector with and without its
classifier, and the check that a family of scams is caught while its hard negatives stay
quiet."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.fraud import Detector, Risk
from bot.domain.fraud.model import TextModel
from bot.services.scam import fraud_texts
from bot.storage import repo
from bot.storage.models import Case
from tests.support.cases import case_facts


async def file_case(session: AsyncSession, *, user_id: int, number: str, **fields: Any) -> Case:
    """The buyer recorded, then the case of an out-of-stock order paid by Alipay (98.50, no
    payment time, no evidence); `fields` override any of `repo.create_case`'s."""
    await repo.upsert_user(session, user_id=user_id, first_name="Li")
    case, _ = await repo.create_case(
        session, **case_facts(user_id=user_id, number=number, **fields)
    )
    return case


@pytest.fixture(scope="module")
def rules() -> Detector:
    """The fraud detector with its classifier off: what the rules alone say."""
    return Detector(texts=fraud_texts(), model=TextModel.off())


@pytest.fixture(scope="module")
def detector() -> Detector:
    """The fraud detector as shipped (a module may define its own)."""
    return Detector(texts=fraud_texts())


def assert_caught(
    rules: Detector,
    detector: Detector,
    scams: tuple[str, ...],
    harmless: tuple[str, ...],
    at: Risk = Risk.HIGH,
) -> None:
    """Every scam reaches `at` on the rules alone; no hard negative reaches medium, with or
    without the classifier."""
    missed = [s for s in scams if not rules.scan_text(s).at_least(at)]
    wrong = [h for h in harmless if rules.scan_text(h).at_least(Risk.MEDIUM)]
    wrong += [h for h in harmless if detector.scan_text(h).at_least(Risk.MEDIUM)]
    assert not missed and not wrong, {"missed": missed, "false alarms": wrong}


def assert_flagged_and_named(
    rules: Detector, detector: Detector, scams: list[str], harmless: list[str]
) -> None:
    """Every scam is flagged (medium or more) by the shipped detector AND by the rules alone,
    so a rule that stops working fails even when the classifier still catches the text; no
    hard negative reaches medium either way."""
    missed = [s for s in scams if not detector.scan_text(s).at_least(Risk.MEDIUM)]
    unnamed = [s for s in scams if not rules.scan_text(s).at_least(Risk.MEDIUM)]
    wrong = [
        h
        for h in harmless
        if rules.scan_text(h).at_least(Risk.MEDIUM) or detector.scan_text(h).at_least(Risk.MEDIUM)
    ]
    assert not missed and not unnamed and not wrong, {
        "missed": missed,
        "missed by the rules": unnamed,
        "false alarms": wrong,
    }
