"""`refund-bot scan`: one text -> JSON, stdin -> JSON Lines."""

from __future__ import annotations

import io
import json

import pytest

from bot.cli import main as cli_main
from bot.commands.scan import main


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().out


def test_scan_one_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, ["您好，我是淘宝客服，请提供验证码办理退款"])
    assert code == 0
    data = json.loads(out)
    assert data["risk"] == "high"
    assert data["findings"][0]["check"] == "text.scam_script"
    assert set(data["advice"]) == {"zh", "en"}


def test_scan_via_main_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["scan", "--brief", "a1ipay.com"]) == 0
    assert json.loads(capsys.readouterr().out) == {"risk": "high", "checks": ["url.lookalike"]}


def test_scan_stdin_jsonl(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("你好\n\n退款请提供验证码\nbit.ly/abc\n"))
    code, out = run(capsys, ["--brief"])
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["risk"] for line in lines] == ["none", "high", "low"]


def test_scan_stdin_message_objects(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    msg = {
        "text": "退款详情",
        "links": [{"url": "https://evil.top/x", "visible_text": "www.taobao.com"}],
    }
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(msg) + "\nnot json\n"))
    code, out = run(capsys, ["--jsonl", "--brief"])
    first, second = (json.loads(line) for line in out.splitlines())
    assert "link.text_mismatch" in first["checks"]
    assert "error" in second


@pytest.mark.parametrize(
    ("argv", "risk"),
    [
        (["--link", "https://evil.top/x|www.alipay.com", "--brief"], "high"),
        (["--button", "https://taobao-refund.top/r", "--brief", "退款已到账"], "high"),
        (["--allow", "alipay-partner.com", "--brief", "alipay-partner.com"], "none"),
        (["--platform", "kamenshop.com", "--brief", "kamenshop-kefu.top"], "high"),
        (["--brand", "example-pay.com", "--brief", "a1ipay.com"], "none"),
    ],
)
def test_scan_options(capsys: pytest.CaptureFixture[str], argv: list[str], risk: str) -> None:
    code, out = run(capsys, argv)
    assert code == 0
    assert json.loads(out)["risk"] == risk


def test_lang_and_fail_on(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, ["--lang", "en", "--fail-on", "medium", "a1ipay.com"])
    data = json.loads(out)
    assert code == 1
    assert set(data["advice"]) == {"en"}
    assert set(data["findings"][0]["explain"]) == {"en"}
    code, _ = run(capsys, ["--fail-on", "medium", "hello"])
    assert code == 0
