"""What the knowledge base is missing: anonymised storage of unanswered questions and the
`refund-bot knowledge report` that lists them."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.commands import knowledge as knowledge_cmd
from bot.knowledge import KnowledgeBase
from bot.knowledge.missing import anonymise, frequent, question_key
from bot.services.questions import QuestionLog
from bot.storage.db import create_engine, migrate, session_factory
from bot.storage.questions import list_unanswered


@pytest.mark.parametrize(
    ("raw", "hidden"),
    [
        ("我的手机13812345678收不到退款", "13812345678"),
        ("phone +86 138 1234 5678 please call", "138 1234 5678"),
        ("卡号6222 0212 3456 7890 123退款没到", "6222 0212 3456 7890 123"),
        ("card 6222-0212-3456-7890", "6222-0212-3456-7890"),
        ("身份证11010519491231002X", "11010519491231002X"),
        ("订单KM20261130000512没发货", "20261130000512"),
        ("mail me at li.lei@example.com", "li.lei@example.com"),
        ("是这个链接吗 https://evil.example/refund?id=5", "evil.example"),
        ("加我 @refund_helper 处理", "refund_helper"),
    ],
)
def test_anonymise_masks_what_identifies_a_buyer(raw: str, hidden: str) -> None:
    masked = anonymise(raw)
    assert hidden not in masked
    assert masked != raw


@pytest.mark.parametrize(
    "text",
    ["退款要24小时吗", "扣了10%手续费", "12315能投诉吗", "2–5 个工作日", "how long for 100 yuan"],
)
def test_anonymise_keeps_short_numbers(text: str) -> None:
    assert anonymise(text) == text


def test_question_key_groups_spellings() -> None:
    assert question_key("退款多久到帳？？") == question_key("退款多久到账")
    assert question_key("手机13812345678 退款") == question_key("手机 13987654321 退款")
    assert question_key("Refund HOW long") == question_key("refund how long!")
    assert question_key("???") == ""


def _row(
    question: str, reason: str, sections: list[str], minutes: int, lang: str = "zh"
) -> SimpleNamespace:
    return SimpleNamespace(
        question=anonymise(question),
        question_key=question_key(question),
        lang=lang,
        reason=reason,
        sections=sections,
        created_at=datetime(2026, 11, 30, tzinfo=UTC) + timedelta(minutes=minutes),
    )


def test_frequent_groups_counts_and_names_the_closest_sections() -> None:
    rows = [
        _row("春节期间客服几点上班", "unsure", ["contact-support", "process"], 1),
        _row("春节期间客服几点上班？", "unsure", ["contact-support"], 2),
        _row("春節期間客服幾點上班", "unhelpful", ["contact-support"], 3),
        _row("怎么开发票", "unsure", ["fees"], 4),
    ]
    gaps = frequent(rows, KnowledgeBase.load(), limit=5)
    assert [(g.count, g.lang) for g in gaps] == [(3, "zh"), (1, "zh")]
    top = gaps[0]
    assert top.reasons == {"unsure": 2, "unhelpful": 1}
    assert top.closest[0] == ("contact-support", "联系人工客服")
    assert frequent(rows, None, limit=1)[0].count == 3


def _database(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


async def _record_some(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate(engine)
        log = QuestionLog(sessions=session_factory(engine))
        assert await log.record(
            question="春节客服几点上班 13812345678",
            lang="zh",
            reason="unsure",
            sections=["contact-support"],
        )
        assert await log.record(
            question="春节客服几点上班", lang="zh", reason="unhelpful", sections=["contact-support"]
        )
        assert await log.record(
            question="do you sell gift wrapping", lang="en", reason="unsure", sections=[]
        )
        assert not await log.record(question="？？？", lang="zh", reason="unsure")
        with pytest.raises(ValueError, match="unknown reason"):
            await log.record(question="x y", lang="zh", reason="angry")
        gaps = await log.report(limit=10)
        assert [(g.count, g.lang) for g in gaps] == [(2, "zh"), (1, "en")]
        async with session_factory(engine)() as session:
            stored = await list_unanswered(session)
        assert len(stored) == 3
        assert not any("13812345678" in row.question for row in stored)
        assert any("***********" in row.question for row in stored)
    finally:
        await engine.dispose()


def test_question_log_stores_anonymised_rows(tmp_path: Path) -> None:
    asyncio.run(_record_some(_database(tmp_path)))


def test_report_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _database(tmp_path)
    asyncio.run(_record_some(url))
    monkeypatch.setenv("DATABASE_URL", url)
    assert knowledge_cmd.main(["report"]) == 0
    out = capsys.readouterr().out
    assert "2× [zh]" in out and "联系人工客服 (contact-support)" in out and "13812345678" not in out
    assert knowledge_cmd.main(["report", "--json", "--lang", "en"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["question"] for r in rows] == ["do you sell gift wrapping"]


def test_report_on_a_database_without_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", _database(tmp_path))
    assert knowledge_cmd.main(["report"]) == 2
    err = capsys.readouterr().err
    assert "db upgrade" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "--limit", "0"],
        ["report", "--days", "-1"],
        ["report", "--lang", "fr"],
        ["report", "--limit", "x"],
        [],
    ],
)
def test_report_bad_input_is_one_line_and_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert knowledge_cmd.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("refund-bot knowledge") and len(err.strip().splitlines()) == 1
