"""Every user-facing text lives in the catalogs, in both languages, with the same placeholders."""

import ast
import re
from decimal import Decimal
from pathlib import Path

import pytest

from bot.i18n import (
    LANGUAGES,
    Plural,
    Translator,
    catalog,
    load_messages,
    pick_language,
    placeholders,
    plural_category,
)

ROOT = Path(__file__).resolve().parents[2]
TELEGRAM = ROOT / "bot" / "telegram"
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")


def test_languages_have_the_same_keys_and_placeholders() -> None:
    zh, en = catalog("zh"), catalog("en")
    assert set(zh) == set(en)
    for key in zh:
        assert placeholders(zh[key]) == placeholders(en[key]), key


def test_no_empty_texts() -> None:
    for lang in LANGUAGES:
        for value in catalog(lang).values():
            forms = value.forms.values() if isinstance(value, Plural) else [value]
            assert all(form.strip() for form in forms)


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
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


@pytest.mark.parametrize(
    "path", sorted(TELEGRAM.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_handlers_hold_no_chinese_literals(path: Path) -> None:
    assert [s for s in _string_literals(path) if CJK.search(s)] == []


def test_every_key_used_in_code_exists() -> None:
    used: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        used |= set(
            re.findall(r"""\bt\(\s*["']([a-z_][a-z0-9_.]*)["']""", path.read_text(encoding="utf-8"))
        )
    for path in (
        *(TELEGRAM / "handlers" / "support").glob("*.py"),
        ROOT / "bot" / "services" / "support.py",
    ):
        used |= set(
            re.findall(
                r"""\b(?:staff|buyer_t|t)\(\s*["']([a-z_][a-z0-9_.]*)["']""",
                path.read_text(encoding="utf-8"),
            )
        )
    missing = {key for key in used if key not in catalog("zh")}
    assert not missing


def test_translator() -> None:
    t = Translator("en")
    assert t("cases.item", number="RF-1", status="x") == "RF-1 · x"
    assert Translator("fr").lang == "zh"
    with pytest.raises(KeyError):
        t("no.such.key")


@pytest.mark.parametrize(
    ("code", "lang"),
    [("en", "en"), ("en-US", "en"), ("zh-hans", "zh"), ("zh_TW", "zh"), ("ru", "zh"), (None, "zh")],
)
def test_pick_language(code: str | None, lang: str) -> None:
    assert pick_language(code) == lang


def test_every_code_the_policy_can_produce_has_a_text() -> None:
    """Outcomes, routes, liable parties, deadlines and evidence kinds of the shipped policy."""
    from bot.domain.vocab import EvidenceKind, Liable, Outcome, Route
    from bot.policy_files import DEFAULT_POLICY_PATH, load_policy

    policy = load_policy(DEFAULT_POLICY_PATH)
    names = set(policy.deadlines) | {
        name for rule in policy.rules for name in (rule.deadlines or {})
    }
    for lang in LANGUAGES:
        texts = catalog(lang)
        for prefix, codes in (
            ("outcome", Outcome),
            ("route", Route),
            ("liable", Liable),
            ("evidence", EvidenceKind),
        ):
            assert all(f"{prefix}.{code.value}" in texts for code in codes), prefix
        assert all(f"deadline.{name}" in texts for name in names), names


# --- plurals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "count", "en", "zh"),
    [
        ("field.evidence", 1, "Evidence: 1 file", "证据：1 张"),
        ("field.evidence", 3, "Evidence: 3 files", "证据：3 张"),
        ("field.evidence", 0, "Evidence: 0 files", "证据：0 张"),
        ("cases.evidence", 1, "Evidence: 1 file", "证据：1 份"),
        ("cases.evidence", 2, "Evidence: 2 files", "证据：2 份"),
        ("event.evidence_added", 1, "1 piece of evidence added", "补充证据 1 份"),
        ("event.evidence_added", 4, "4 pieces of evidence added", "补充证据 4 份"),
    ],
)
def test_plural_messages_follow_the_count(key: str, count: int, en: str, zh: str) -> None:
    assert Translator("en")(key, count=count) == en
    assert Translator("zh")(key, count=count) == zh


def test_a_plural_message_needs_a_count() -> None:
    with pytest.raises(KeyError, match="has plural forms: pass count="):
        Translator("en")("field.evidence")
    with pytest.raises(KeyError, match="has plural forms: pass count="):
        Translator("en")("field.evidence", n=2)


@pytest.mark.parametrize(
    ("lang", "count", "category"),
    [
        ("en", 1, "one"),
        ("en", 0, "other"),
        ("en", 2, "other"),
        ("en", 11, "other"),
        ("en", -1, "other"),
        ("en", "1", "one"),
        ("en", Decimal("1"), "one"),
        ("en", "1.0", "other"),
        ("en", 1.5, "other"),
        ("zh", 1, "other"),
        ("zh", 2, "other"),
        ("fr", 1, "other"),
    ],
)
def test_plural_category(lang: str, count: object, category: str) -> None:
    assert plural_category(lang, count) == category


@pytest.mark.parametrize("count", [True, "many", None])
def test_plural_count_must_be_a_number(count: object) -> None:
    with pytest.raises(TypeError):
        plural_category("en", count)


def test_catalog_shows_a_plural_as_its_other_form() -> None:
    message = catalog("en")["field.evidence"]
    assert isinstance(message, Plural)
    assert message == "Evidence: {count} files"
    assert message.forms == {"one": "Evidence: {count} file", "other": "Evidence: {count} files"}
    assert placeholders(message) == {"count"}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "area.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_plural_tables_are_loaded_and_namespaces_are_not(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[cases]\nother = "Something else"\ntitle = "Cases"\n\n[cases.files]\none = "{count} file"\nother = "{count} files"\n',
    )
    messages = load_messages([path], "en")
    assert messages["cases.other"] == "Something else" and not isinstance(
        messages["cases.other"], Plural
    )
    assert isinstance(messages["cases.files"], Plural)


@pytest.mark.parametrize(
    ("lang", "text", "error"),
    [
        ("en", '[a]\nother = "{count} files"\n', "missing \\['one'\\]"),
        (
            "zh",
            '[a]\none = "{count} 张"\nother = "{count} 张"\n',
            "not used by the language \\['one'\\]",
        ),
        (
            "en",
            '[a]\none = "{count} file of {name}"\nother = "{count} files"\n',
            "different placeholders",
        ),
    ],
)
def test_malformed_plurals_are_refused(tmp_path: Path, lang: str, text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        load_messages([_write(tmp_path, text)], lang)


def test_a_plural_form_may_spell_the_number_out(tmp_path: Path) -> None:
    path = _write(tmp_path, '[a]\none = "one file"\nother = "{count} files"\n')
    t = load_messages([path], "en")["a"]
    assert isinstance(t, Plural) and t.pick("en", 1).format(count=1) == "one file"


def test_duplicate_keys_across_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('[x]\ny = "1"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text('[x]\ny = "2"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="defined twice"):
        load_messages(sorted(tmp_path.glob("*.toml")), "en")


# --- /language is documented --------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_help_names_the_typed_commands(lang: str) -> None:
    """The menu buttons cover cases, questions, link checks and support; /help names the commands
    that have no button: /cancel and /language."""
    help_text = catalog(lang)["start.help"]
    assert "/language" in help_text
    assert "/cancel" in help_text


def test_readme_buyer_section_lists_language() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What the buyer sees", 1)[1].split("\n## ", 1)[0]
    assert "/language" in section
