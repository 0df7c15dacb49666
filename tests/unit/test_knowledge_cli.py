"""`refund-bot ask`: one question as JSON, or JSON Lines from standard input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from bot.cli import main as cli_main
from bot.commands import ask


def test_single_question(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["ask", "退款到银行卡要多久?"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["confident"] is True
    assert out["sources"][0]["id"] == "arrival-times"
    assert set(out["sources"][0]) >= {"id", "title", "text", "score"}
    assert "退款到账时间" in out["answer"]


def test_options(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "renew.txt").write_text(
        "Auto-renewal\nTurn auto-renewal off in the member centre.\n", encoding="utf-8"
    )
    assert (
        ask.main(
            [
                "--knowledge-dir",
                str(tmp_path),
                "--lang",
                "en",
                "--k",
                "1",
                "how do I turn off auto-renewal",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["confident"] is True and [s["id"] for s in out["sources"]] == ["renew"]


def test_stdin_json_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "sys.stdin", io.StringIO("银行卡退款多久到账\n\nwrite me a poem\nI was charged twice\n")
    )
    assert ask.main(["--k", "2"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["confident"] for line in lines] == [True, False, True]
    assert "duplicate-charge" in [s["id"] for s in lines[2]["sources"]]
    assert all(len(line["sources"]) <= 2 for line in lines)


def test_bad_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert ask.main(["--knowledge-dir", str(tmp_path / "missing"), "hi"]) == 2
    assert "not found" in capsys.readouterr().err


def test_knowledge_dir_from_environment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.md").write_text(
        "## 春节客服 {#holiday}\n\n春节期间人工客服 10 点到 18 点在线。\n", encoding="utf-8"
    )
    monkeypatch.setenv("KNOWLEDGE_DIR", str(tmp_path))
    assert ask.main(["春节客服几点在线"]) == 0
    assert json.loads(capsys.readouterr().out)["sources"][0]["id"] == "holiday"


def test_dense_modes_need_embeddings(capsys: pytest.CaptureFixture[str]) -> None:
    assert ask.main(["--mode", "hybrid", "银行卡多久到账"]) == 2
    assert "--embeddings" in capsys.readouterr().err


def test_retriever_modes(capsys: pytest.CaptureFixture[str]) -> None:
    for mode in ("bm25", "tfidf", "lexical"):
        assert ask.main(["--mode", mode, "--k", "1", "银行卡退款多久到账"]) == 0
        assert json.loads(capsys.readouterr().out)["sources"][0]["id"] == "arrival-times"
