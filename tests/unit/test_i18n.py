"""Every user-facing text lives in the catalogs, in both languages, with the same placeholders."""

import ast
import re
import string
from pathlib import Path

import pytest

from bot.i18n import LANGUAGES, Translator, catalog, pick_language

ROOT = Path(__file__).resolve().parents[2]
TELEGRAM = ROOT / "bot" / "telegram"
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_languages_have_the_same_keys_and_placeholders() -> None:
    zh, en = catalog("zh"), catalog("en")
    assert set(zh) == set(en)
    for key in zh:
        assert placeholders(zh[key]) == placeholders(en[key]), key


def test_no_empty_texts() -> None:
    for lang in LANGUAGES:
        assert all(value.strip() for value in catalog(lang).values())


def _string_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


@pytest.mark.parametrize("path", sorted(TELEGRAM.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_handlers_hold_no_chinese_literals(path: Path) -> None:
    assert [s for s in _string_literals(path) if CJK.search(s)] == []


def test_every_key_used_in_code_exists() -> None:
    used: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_][a-z0-9_.]*)["']""", path.read_text(encoding="utf-8")))
    for path in (*(TELEGRAM / "handlers" / "support").glob("*.py"), ROOT / "bot" / "services" / "support.py"):
        used |= set(re.findall(r"""\b(?:staff|buyer_t|t)\(\s*["']([a-z_][a-z0-9_.]*)["']""", path.read_text(encoding="utf-8")))
    missing = {key for key in used if key not in catalog("zh")}
    assert not missing


def test_translator() -> None:
    t = Translator("en")
    assert t("cases.item", number="RF-1", status="x") == "RF-1 · x"
    assert Translator("fr").lang == "zh"
    with pytest.raises(KeyError):
        t("no.such.key")


@pytest.mark.parametrize(("code", "lang"), [("en", "en"), ("en-US", "en"), ("zh-hans", "zh"), ("zh_TW", "zh"), ("ru", "zh"), (None, "zh")])
def test_pick_language(code: str | None, lang: str) -> None:
    assert pick_language(code) == lang


def test_every_code_the_policy_can_produce_has_a_text() -> None:
    """Outcomes, routes, liable parties, deadlines and evidence kinds of the shipped policy."""
    from bot.domain.rules import DEFAULT_POLICY_PATH, load_policy
    from bot.domain.vocab import EvidenceKind, Liable, Outcome, Route

    policy = load_policy(DEFAULT_POLICY_PATH)
    names = set(policy.deadlines) | {name for rule in policy.rules for name in (rule.deadlines or {})}
    for lang in LANGUAGES:
        texts = catalog(lang)
        for prefix, codes in (("outcome", Outcome), ("route", Route), ("liable", Liable), ("evidence", EvidenceKind)):
            assert all(f"{prefix}.{code.value}" in texts for code in codes), prefix
        assert all(f"deadline.{name}" in texts for name in names), names
