"""`refund-bot knowledge check DIR`: duplicate and dangling ids, vanished and unreached
sections; one-line errors and exit 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main as cli_main
from bot.commands import knowledge as knowledge_cmd
from bot.knowledge import DEFAULT_DIR
from bot.knowledge.check import check_folder
from bot.knowledge.evaluation import Question, load_questions

QUESTIONS = Path(__file__).resolve().parents[1] / "data" / "retrieval_questions.jsonl"


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "kb" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path / "kb"


GOOD = {
    "zh/a.md": "## 到账时间 {#arrival}\n\n银行卡 2–5 个工作日到账。\n\n## 手续费 {#fees}\n\n最多 10%，见“到账时间”。\n",
    "en/a.md": '## Arrival {#arrival}\n\nBank cards take 2–5 working days.\n\n## Fees {#fees}\n\nAt most 10%; see "Arrival".\n',
}


def test_the_shipped_folder_is_sound() -> None:
    report = check_folder(DEFAULT_DIR, load_questions(QUESTIONS))
    assert report.errors == [] and report.warnings == []
    assert report.sections >= 80


def test_a_sound_folder(tmp_path: Path) -> None:
    questions = [
        Question("银行卡多久到账", "zh", ("arrival",)),
        Question("手续费扣多少", "zh", ("fees",)),
    ]
    report = check_folder(_folder(tmp_path, GOOD), questions)
    assert report.errors == [] and report.warnings == []


def test_duplicate_ids(tmp_path: Path) -> None:
    files = dict(GOOD)
    files["zh/b.md"] = "## 又一个到账时间 {#arrival}\n\n余额即时到账。\n"
    report = check_folder(_folder(tmp_path, files))
    assert [(f.kind, f.path) for f in report.errors] == [("duplicate-id", "zh/a.md, zh/b.md")]


def test_dangling_references(tmp_path: Path) -> None:
    files = dict(GOOD)
    files["zh/a.md"] = (
        files["zh/a.md"].replace("见“到账时间”", "见“退款时效”") + "\n看 [这里](#nowhere)。\n"
    )
    files["en/b.md"] = "## Only English {#english-only}\n\nNo Chinese twin.\n"
    files["policy.yaml"] = "rules:\n  - id: r1\n    policy_refs: [fees, gone-section]\n"
    kinds = sorted(f.message for f in check_folder(_folder(tmp_path, files)).errors)
    assert len(kinds) == 4
    assert any("退款时效" in m for m in kinds) and any("#nowhere" in m for m in kinds)
    assert any("english-only" in m for m in kinds) and any("gone-section" in m for m in kinds)


def test_quotations_are_not_references(tmp_path: Path) -> None:
    files = dict(GOOD)
    files["zh/a.md"] = files["zh/a.md"].replace(
        "见“到账时间”", "评价里常见“退款难”，按“申请 → 审核”进行"
    )
    files["en/a.md"] = files["en/a.md"].replace(
        'see "Arrival"', 'you may see "money gone, no order yet"'
    )
    assert check_folder(_folder(tmp_path, files)).errors == []


def test_vanished_and_unreached_sections(tmp_path: Path) -> None:
    folder = _folder(tmp_path, GOOD)
    vanished = check_folder(folder, [Question("银行卡多久到账", "zh", ("arrival-times",))])
    assert [f.kind for f in vanished.errors] == ["vanished-section"]
    unreached = check_folder(folder, [Question("银行卡多久到账", "zh", ("arrival",))])
    assert unreached.errors == []
    # every section here is short, so the top 3 of one question covers both zh sections;
    # the English ones have no English question at all and are not judged
    assert all(f.kind == "unreached-section" for f in unreached.warnings)
    files = dict(GOOD)
    files["zh/c.md"] = (
        "## 春节安排 {#holiday}\n\n春节期间客服 10 点上班。\n\n## 发票 {#invoice}\n\n发票在订单页申请。\n"
    )
    report = check_folder(
        _folder(tmp_path / "x", files), [Question("银行卡多久到账", "zh", ("arrival",))]
    )
    unreached_ids = {f.message.split("'")[1] for f in report.warnings}
    assert {"holiday", "invoice"} <= unreached_ids and "arrival" not in unreached_ids


def test_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _folder(tmp_path, GOOD)
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"q": "银行卡多久到账", "lang": "zh", "ids": ["arrival"]}\n', encoding="utf-8"
    )
    assert cli_main(["knowledge", "check", str(folder), "--questions", str(questions)]) == 0
    assert "0 errors" in capsys.readouterr().out
    (folder / "zh" / "b.md").write_text("## 重复 {#arrival}\n\n重复。\n", encoding="utf-8")
    assert knowledge_cmd.main(["check", str(folder), "--questions", str(questions), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [e["kind"] for e in report["errors"]] == ["duplicate-id"]


@pytest.mark.parametrize("bad", ["missing-folder", "bad-questions", "unreadable-questions"])
def test_check_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    folder = _folder(tmp_path, GOOD)
    questions = tmp_path / "q.jsonl"
    questions.write_text("not json\n", encoding="utf-8")
    argv = {
        "missing-folder": ["check", str(tmp_path / "nope")],
        "bad-questions": ["check", str(folder), "--questions", str(questions)],
        "unreadable-questions": [
            "check",
            str(folder),
            "--questions",
            str(tmp_path / "absent.jsonl"),
        ],
    }[bad]
    assert knowledge_cmd.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("refund-bot knowledge") and len(err.strip().splitlines()) == 1
