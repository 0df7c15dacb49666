"""The text rules every buyer-facing text obeys, checked over the whole tree.

1. Catalog lint: every `bot/locales/{zh,en}/*.toml` file (including files added later):
   full-width punctuation next to Chinese and 您 in Chinese; "merchant" and real plurals
   in English (`bot.i18n.lint`).
2. No user-facing literal in code: an AST scan of all of `bot/` for string literals passed
   to message-sending calls and buttons (`sent-literal`), literals in branches chosen by the
   language (`language-branch`), any literal holding Chinese characters (`chinese-literal`;
   docstrings, regular-expression patterns and argparse help aside), punctuation written in
   code between translated parts (`code-punctuation`) and ids formatted into texts
   (`id-in-text`: `#{source.id}`, `t(..., rule=data["rule_id"])`).
3. No internal id reaches a buyer: every catalog text rendered with dummy values shows no
   section id, rule id or kebab-case / snake_case token, and no placeholder meant for an id.

Justified exceptions live in `text_rules_allowlist.toml` beside this file, each with a
reason; an entry that no longer matches anything fails, so the list shrinks as code is fixed.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.i18n import (
    LANGUAGES,
    LOCALES_DIR,
    Plural,
    Translator,
    catalog,
    internal_ids,
    lint,
    placeholders,
)

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"
ALLOWLIST_PATH = Path(__file__).with_name("text_rules_allowlist.toml")
ALLOWLIST: dict[str, Any] = tomllib.loads(ALLOWLIST_PATH.read_text(encoding="utf-8"))

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _require_reasons() -> None:
    for section, entries in ALLOWLIST.items():
        for entry in entries:
            assert str(entry.get("reason", "")).strip(), (
                f"allowlist [{section}] entry without a reason: {entry}"
            )


def test_every_allowlist_entry_gives_a_reason() -> None:
    _require_reasons()


# --- 1. catalog lint ------------------------------------------------------------------------

CATALOG_FILES = sorted(path for lang in LANGUAGES for path in (LOCALES_DIR / lang).glob("*.toml"))


def _strings(table: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for key, value in table.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            yield from _strings(value, full)
        elif isinstance(value, str):
            yield full, value


def _catalog_problems(path: Path) -> list[tuple[str, str]]:
    lang = path.parent.name
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    return [(key, problem) for key, text in _strings(table) for problem in lint(lang, text)]


def _catalog_allowed(rel: str, key: str, problem: str) -> bool:
    return any(
        entry["file"] == rel and entry["key"] == key and entry["problem"] in problem
        for entry in ALLOWLIST.get("catalog", [])
    )


@pytest.mark.parametrize("path", CATALOG_FILES, ids=lambda p: str(p.relative_to(LOCALES_DIR)))
def test_catalog_file_follows_the_text_rules(path: Path) -> None:
    rel = str(path.relative_to(LOCALES_DIR))
    problems = [
        f"{key}: {problem}"
        for key, problem in _catalog_problems(path)
        if not _catalog_allowed(rel, key, problem)
    ]
    assert not problems, (
        f"{rel} breaks the text rules (fix the text, or allowlist it with a reason):\n"
        + "\n".join(problems)
    )


def stale_catalog_entries(
    entries: list[dict[str, Any]], root: Path = LOCALES_DIR
) -> list[dict[str, Any]]:
    return [
        entry
        for entry in entries
        if not (root / entry["file"]).is_file()
        or not any(
            key == entry["key"] and entry["problem"] in problem
            for key, problem in _catalog_problems(root / entry["file"])
        )
    ]


def test_catalog_allowlist_entries_still_match() -> None:
    assert stale_catalog_entries(ALLOWLIST.get("catalog", [])) == []


def test_stale_catalog_entries(tmp_path: Path) -> None:
    (tmp_path / "zh").mkdir()
    (tmp_path / "zh" / "area.toml").write_text(
        '[a]\nb = "请检查你的订单"\nc = "好的"\n', encoding="utf-8"
    )
    entries = [
        {"file": "zh/area.toml", "key": "a.b", "problem": "你"},
        {"file": "zh/area.toml", "key": "a.c", "problem": "你"},
        {"file": "zh/gone.toml", "key": "a.b", "problem": "你"},
    ]
    assert stale_catalog_entries(entries, tmp_path) == entries[1:]


# Each rule once, on a text that breaks it and on its fixed form: the lint is not vacuous.
@pytest.mark.parametrize(
    ("lang", "bad", "good"),
    [
        ("zh", "根据平台规则:", "根据平台规则："),
        ("zh", "退款多久能到账?", "退款多久能到账？"),
        ("zh", "(买的点卡)", "（买的点卡）"),
        ("zh", "商家缺货,一直没发", "商家缺货，一直没发"),
        ("zh", "骗子!", "骗子！"),
        ("zh", "先付款;再发货", "先付款；再发货"),
        ("zh", "已取消.", "已取消。"),
        ("zh", "请检查你的订单", "请检查您的订单"),
        ("en", "the seller reviews it", "the merchant reviews it"),
        ("en", "Sellers must answer", "Merchants must answer"),
        ("en", "Individual reseller", "From an individual"),
        ("en", "Evidence: 3 file(s)", "Evidence: 3 files"),
        ("en", "2 piece(s) of evidence", "2 pieces of evidence"),
    ],
)
def test_lint_catches_each_rule(lang: str, bad: str, good: str) -> None:
    assert lint(lang, bad)
    assert lint(lang, good) == []


@pytest.mark.parametrize(
    "text",
    [
        "实付 ¥98.5，上限 1,000 元。",
        "例如 <code>2026-11-20 14:30</code>、<code>昨天 14:30</code>",
        "已收到 {count}/{max_files} 张。",
        '请打开 <a href="https://example.com/a?b=1,2">平台官网</a>。',
        "随时发送 /cancel 取消。",
        "请选择语言 / Choose your language:",
        "即时到次日（T+1）",
        "可以直接输入 <code>订单号:KM20261130000512</code>。",
        '<a href="https://example.com/?q=退款,到账">链接</a>',
        "实付 {amount:,}元。",
    ],
)
def test_lint_leaves_ascii_where_it_belongs(text: str) -> None:
    assert lint("zh", text) == []


# --- 2. no user-facing literal in code -----------------------------------------------------

# Calls that send a text to a chat; every positional argument and the text keywords count.
SENDERS = frozenset(
    {
        "answer", "reply", "send_message", "edit_text", "edit_caption", "edit_message_text",
        "edit_message_caption", "send_photo", "send_document", "send_video", "send_animation",
        "send_media_group", "answer_photo", "answer_document", "answer_video", "reply_photo",
        "reply_document", "answer_callback_query", "copy_message", "send_poll", "answer_poll",
        "set_my_description", "set_my_short_description", "set_my_name", "answer_inline_query",
    }
)  # fmt: skip
# Keywords that carry a shown text on any call (buttons, media, commands, placeholders).
TEXT_KEYWORDS = frozenset(
    {
        "text",
        "caption",
        "description",
        "short_description",
        "title",
        "input_field_placeholder",
        "question",
        "explanation",
    }
)
# Command-line help and schema documentation for operators (English by design): argparse
# help, and pydantic `Field(description=...)`, which `refund-bot check --schema` prints.
OPERATOR_CALLS = frozenset(
    {
        "ArgumentParser",
        "add_parser",
        "add_argument",
        "add_argument_group",
        "add_subparsers",
        "Field",
    }
)
# Sentence punctuation: in a text built from translated parts it must come from the catalog.
CODE_PUNCTUATION = re.compile(r"[:;,?!()]")
# Names of values that are internal ids (`source.id`, `rule_id`, `section_id`).
ID_NAME = re.compile(r"^(?:id|\w+_id|\w+_ids)$")
REGEX_FUNCTIONS = frozenset(
    {"compile", "search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer"}
)


@dataclass(frozen=True)
class Finding:
    file: str
    scope: str
    line: int
    rule: str
    text: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line} [{self.scope}] {self.rule}: {self.text[:60]!r}"


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _is_regex_call(node: ast.Call) -> bool:
    func = node.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr in REGEX_FUNCTIONS
        and isinstance(func.value, ast.Name)
        and func.value.id in ("re", "regex")
    )


def _is_language_test(test: ast.expr) -> bool:
    """`lang == "zh"`, `t.lang != "en"`, `language in ("zh", ...)`."""
    if not isinstance(test, ast.Compare):
        return False
    sides = [test.left, *test.comparators]
    named = any(
        (isinstance(side, ast.Name) and side.id.endswith(("lang", "language")))
        or (isinstance(side, ast.Attribute) and side.attr.endswith(("lang", "language")))
        for side in sides
    )
    languages = any(
        isinstance(node, ast.Constant) and node.value in LANGUAGES
        for side in sides
        for node in ast.walk(side)
    )
    return named and languages


def _names_an_id(expr: ast.expr) -> bool:
    """The expression reads a value named like an id (`source.id`, `rule_id`, `data["rule_id"]`)."""
    return any(
        (isinstance(sub, ast.Attribute) and ID_NAME.search(sub.attr))
        or (isinstance(sub, ast.Name) and ID_NAME.search(sub.id))
        or (
            isinstance(sub, ast.Constant)
            and isinstance(sub.value, str)
            and ID_NAME.search(sub.value)
        )
        for sub in ast.walk(expr)
    )


def _shown_literals(expr: ast.AST) -> Iterator[ast.Constant]:
    """String literals that end up in the text built by `expr` (not those inside other calls)."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        yield expr
    elif isinstance(expr, ast.JoinedStr):
        for value in expr.values:
            yield from _shown_literals(value)
    elif isinstance(expr, ast.FormattedValue):
        yield from _shown_literals(expr.value)
    elif isinstance(expr, ast.BinOp):
        yield from _shown_literals(expr.left)
        yield from _shown_literals(expr.right)
    elif isinstance(expr, ast.IfExp):
        yield from _shown_literals(expr.body)
        yield from _shown_literals(expr.orelse)
    elif isinstance(expr, ast.BoolOp):
        for value in expr.values:
            yield from _shown_literals(value)
    elif isinstance(expr, ast.List | ast.Tuple):
        for element in expr.elts:
            yield from _shown_literals(element)
    elif (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr in ("join", "format")
    ):
        yield from _shown_literals(expr.func.value)  # "\n".join([...]), "...".format(...)
        for arg in expr.args:
            yield from _shown_literals(arg)


def _has_words(text: str) -> bool:
    """Letters outside HTML tags and placeholders: a text somebody reads, not "\\n" or "•"."""
    return any(char.isalpha() for char in re.sub(r"<[^<>]*>?|\{[^{}]*\}", "", text))


class _Scanner(ast.NodeVisitor):
    def __init__(self, rel: str, tree: ast.Module) -> None:
        self.rel = rel
        self.scope: list[str] = []
        self.findings: dict[tuple[int, int, str], Finding] = {}
        self.skip: set[int] = set()
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if (
                isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                and body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
            ):
                self.skip.add(id(body[0].value))  # docstrings document the code
            if isinstance(node, ast.Call) and _is_regex_call(node) and node.args:
                self.skip |= {id(sub) for sub in ast.walk(node.args[0])}  # patterns match input
            if isinstance(node, ast.Call) and _call_name(node.func) in OPERATOR_CALLS:
                self.skip |= {
                    id(sub) for arg in (*node.args, *node.keywords) for sub in ast.walk(arg)
                }

    def _add(self, node: ast.Constant, rule: str) -> None:
        if id(node) in self.skip:
            return
        scope = ".".join(self.scope) or "<module>"
        self.findings.setdefault(
            (node.lineno, node.col_offset, rule),
            Finding(self.rel, scope, node.lineno, rule, str(node.value)),
        )

    def _scoped(self, name: str, node: ast.AST) -> None:
        self.scope.append(name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._scoped(node.name, node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._scoped(node.name, node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._scoped(node.name, node)

    def visit_Assign(self, node: ast.Assign) -> None:
        target = node.targets[0]
        if not self.scope and len(node.targets) == 1 and isinstance(target, ast.Name):
            self._scoped(target.id, node)
        else:
            self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if not self.scope and isinstance(node.target, ast.Name):
            self._scoped(node.target.id, node)
        else:
            self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and CJK.search(node.value):
            self._add(node, "chinese-literal")

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        """`f"(#{source.id})"`: an id formatted into a text behind a hash; `f"{t(a)}: {b}"`:
        punctuation written in code between translated parts (half-width in Chinese)."""
        translated = any(
            isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id == "t"
            for value in node.values
            if isinstance(value, ast.FormattedValue)
            for sub in ast.walk(value.value)
        )
        if translated:
            for part in node.values:
                if isinstance(part, ast.Constant) and CODE_PUNCTUATION.search(
                    re.sub(r"<[^<>]*>", "", str(part.value))
                ):
                    self._add(part, "code-punctuation")
        for part, following in zip(node.values, node.values[1:], strict=False):
            if (
                isinstance(part, ast.Constant)
                and isinstance(part.value, str)
                and part.value.rstrip("(（[ ").endswith("#")
                and isinstance(following, ast.FormattedValue)
                and _names_an_id(following.value)
            ):
                self._add(part, "id-in-text")
        self.generic_visit(node)

    def _translated_ids(self, node: ast.Call) -> None:
        """`t("key", rule=data["rule_id"])`: a value named like an id handed to a catalog text."""
        if not (isinstance(node.func, ast.Name) and node.func.id == "t" and node.args):
            return
        for keyword in node.keywords:
            if _names_an_id(keyword.value) and isinstance(node.args[0], ast.Constant):
                self._add(node.args[0], "id-in-text")
                return

    def visit_Call(self, node: ast.Call) -> None:
        self._translated_ids(node)
        shown = [kw.value for kw in node.keywords if kw.arg in TEXT_KEYWORDS]
        if _call_name(node.func) in SENDERS:
            shown += node.args
        for expr in shown:
            for literal in _shown_literals(expr):
                if _has_words(literal.value):
                    self._add(literal, "sent-literal")
        self.generic_visit(node)

    def _language_branch(self, branches: list[ast.AST]) -> None:
        """Texts produced in a branch chosen by the language: assigned, returned or the value itself."""
        for branch in branches:
            values = [branch] if isinstance(branch, ast.expr) else []
            for node in ast.walk(branch):
                if (
                    isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.Return)
                    and node.value
                ):
                    values.append(node.value)
            for value in values:
                for literal in _shown_literals(value):
                    if _has_words(literal.value) and literal.value not in LANGUAGES:
                        self._add(literal, "language-branch")

    def visit_IfExp(self, node: ast.IfExp) -> None:
        if _is_language_test(node.test):
            self._language_branch([node.body, node.orelse])
        self.generic_visit(node)

    def visit_If(self, node: ast.If) -> None:
        if _is_language_test(node.test):
            self._language_branch([*node.body, *node.orelse])
        self.generic_visit(node)


def scan(path: Path, root: Path = ROOT) -> list[Finding]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    scanner = _Scanner(str(path.relative_to(root)), tree)
    scanner.visit(tree)
    return sorted(scanner.findings.values(), key=lambda f: (f.line, f.rule))


def code_allowed(finding: Finding, entries: list[dict[str, Any]]) -> bool:
    return any(
        entry["file"] == finding.file and entry["scope"] in (finding.scope, "*")
        for entry in entries
    )


def _code_allowed(finding: Finding) -> bool:
    return code_allowed(finding, ALLOWLIST.get("code", []))


def test_an_allowlist_entry_covers_its_scope_only() -> None:
    entries = [{"file": "bot/a.py", "scope": "f"}, {"file": "bot/b.py", "scope": "*"}]
    assert code_allowed(Finding("bot/a.py", "f", 1, "sent-literal", "Hi"), entries)
    assert not code_allowed(Finding("bot/a.py", "g", 2, "sent-literal", "Hi"), entries)
    assert not code_allowed(Finding("bot/c.py", "f", 3, "sent-literal", "Hi"), entries)
    assert code_allowed(Finding("bot/b.py", "anything", 4, "chinese-literal", "好"), entries)


BOT_FILES = sorted(BOT.rglob("*.py"))


def _grouped(findings: Iterator[Finding]) -> list[str]:
    """One line per file, scope and rule (a vocabulary table would otherwise fill the screen)."""
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding.file, finding.scope, finding.rule), []).append(finding)
    return [
        f"{items[0]} (+{len(items) - 1} more)" if len(items) > 1 else str(items[0])
        for items in groups.values()
    ]


def test_no_user_facing_literals_in_bot() -> None:
    findings = _grouped(f for path in BOT_FILES for f in scan(path) if not _code_allowed(f))
    assert not findings, (
        "user-facing text belongs in bot/locales (or a reviewed allowlist entry):\n"
        + "\n".join(findings)
    )


def stale_code_entries(
    entries: list[dict[str, Any]], findings: list[Finding]
) -> list[dict[str, Any]]:
    found = {(f.file, f.scope) for f in findings}
    files = {file for file, _ in found}
    return [
        entry
        for entry in entries
        if (entry["file"], entry["scope"]) not in found
        and not (entry["scope"] == "*" and entry["file"] in files)
    ]


def test_code_allowlist_entries_still_match() -> None:
    stale = stale_code_entries(
        ALLOWLIST.get("code", []), [f for path in BOT_FILES for f in scan(path)]
    )
    assert not stale, f"allowlist entries that match nothing any more, delete them: {stale}"


def test_stale_code_entries() -> None:
    findings = [
        Finding("bot/a.py", "f", 1, "sent-literal", "Hi"),
        Finding("bot/b.py", "X", 2, "chinese-literal", "好"),
    ]
    entries = [
        {"file": "bot/a.py", "scope": "f"},
        {"file": "bot/a.py", "scope": "g"},
        {"file": "bot/b.py", "scope": "*"},
        {"file": "bot/c.py", "scope": "*"},
    ]
    assert stale_code_entries(entries, findings) == [entries[1], entries[3]]


SAMPLE = '''
import re
from argparse import ArgumentParser

PATTERN = re.compile(r"退款|refund")
WORDS = {"退款": 1}


def parser():
    return ArgumentParser(description="Operator help")


async def handler(message, query, builder, t, lang, bot):
    """处理 docstrings are documentation."""
    await message.answer("Hello there")
    await message.answer(t("menu.home"))
    await message.answer("\\n".join([t("a"), "• item"]))
    await message.reply(f"<b>{t('x')}</b>: done")
    await bot.send_message(1, "Sent")
    await query.answer(text="Saved")
    builder.button(text="Go", callback_data="go")
    InlineKeyboardButton(text="Open", url="https://example.com")
    lead = "Lead:" if lang == "en" else t("lead")
    if lang == "zh":
        tail = "x"
    await message.answer("\\n")
    lines = [f"• {title} <code>#{source.id}</code>", f"callback:{source.id}", f"rule #{i + 1}"]
    decision = t("decision.preliminary", rule=data.get("rule_id"))
    card = t("support.card", user=user.id)
    row = f"• <b>{t('platform.official')}</b>: {help_}"
    pair = f"{t('a')}\\n\\n{t('b')} <i>{x}</i>"
    await message.answer(t("case.title", number=case.number))
'''


def test_scanner_finds_each_kind_of_literal(tmp_path: Path) -> None:
    path = tmp_path / "sample.py"
    path.write_text(SAMPLE, encoding="utf-8")
    found = {(f.scope, f.rule, f.text) for f in scan(path, tmp_path)}
    assert found == {
        ("WORDS", "chinese-literal", "退款"),
        ("handler", "sent-literal", "Hello there"),
        ("handler", "sent-literal", "• item"),
        ("handler", "sent-literal", "</b>: done"),
        ("handler", "code-punctuation", "</b>: done"),
        ("handler", "sent-literal", "Sent"),
        ("handler", "sent-literal", "Saved"),
        ("handler", "sent-literal", "Go"),
        ("handler", "sent-literal", "Open"),
        ("handler", "language-branch", "Lead:"),
        ("handler", "language-branch", "x"),
        ("handler", "id-in-text", " <code>#"),
        ("handler", "id-in-text", "decision.preliminary"),
        ("handler", "id-in-text", "support.card"),
        ("handler", "code-punctuation", "</b>: "),
    }


# --- 3. internal ids never reach a buyer ---------------------------------------------------

# Placeholder names that carry an internal id; a buyer text may not have them.
ID_PLACEHOLDER = re.compile(r"(?:^|_)(?:id|ids|rule|section|anchor|slug)$")


def _known_ids() -> set[str]:
    """Section anchors of the knowledge texts and rule ids of the shipped policy (those that are
    not plain words: a section `evidence` cannot be told from the word)."""
    ids: set[str] = set()
    for path in (ROOT / "knowledge").rglob("*.md"):
        ids |= set(re.findall(r"\{#([A-Za-z0-9_-]+)\}", path.read_text(encoding="utf-8")))
    policy = ROOT / "knowledge" / "policy.yaml"
    if policy.is_file():
        ids |= set(
            re.findall(
                r"^\s*-?\s*id:\s*['\"]?([A-Za-z0-9_-]+)", policy.read_text(encoding="utf-8"), re.M
            )
        )
    return {name for name in ids if re.search(r"[-_]", name)}


def _rendered(lang: str) -> Iterator[tuple[str, str]]:
    """Every message of a language rendered with neutral dummy values (each plural form)."""
    t = Translator(lang)
    for key, message in catalog(lang).items():
        values: dict[str, object] = {name: "X" for name in placeholders(message)}
        counts = [1, 2] if isinstance(message, Plural) else [values.get("count", "X")]
        for count in counts:
            if isinstance(message, Plural) or "count" in values:
                values["count"] = count
            yield key, t(key, **values)


def _id_allowed(key: str, token: str) -> bool:
    return any(
        (entry.get("key") == key or token in entry.get("words", []))
        for entry in ALLOWLIST.get("ids", [])
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_internal_ids_in_buyer_texts(lang: str) -> None:
    known = _known_ids()
    assert known, "no section or rule ids found: the check would be empty"
    shown: list[str] = []
    for key, text in _rendered(lang):
        tokens = set(internal_ids(text))
        tokens |= {
            word for word in re.findall(r"[A-Za-z0-9_-]+", text) if word in known
        }  # belt and braces
        shown += [f"{key}: {token}" for token in sorted(tokens) if not _id_allowed(key, token)]
    assert not shown, "internal ids in buyer texts:\n" + "\n".join(shown)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_buyer_text_has_an_id_placeholder(lang: str) -> None:
    bad = [
        f"{key}: {{{name}}}"
        for key, message in catalog(lang).items()
        for name in placeholders(message)
        if ID_PLACEHOLDER.search(name) and not _id_allowed(key, f"{{{name}}}")
    ]
    assert not bad, "placeholders for internal ids in buyer texts:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    "text",
    [
        "详见 #arrival-times",
        "依据：• 到账时间 (#arrival-times)",
        "（undelivered-merchant）",
        "rule completed_changed_mind applies",
    ],
)
def test_internal_id_patterns(text: str) -> None:
    assert internal_ids(text)


def test_every_shipped_id_looks_like_an_id() -> None:
    """The pattern check covers the real ids: every section anchor and rule id is caught."""
    missed = sorted(
        name
        for name in _known_ids()
        if internal_ids(f"（{name}）") != [name] or not internal_ids(f"#{name}")
    )
    assert not missed


@pytest.mark.parametrize(
    "text",
    [
        "发送 /cases 查看",
        "<code>KM20261130000512</code>",
        "实付 ¥98.5，14:30",
        "Refund in 1–3 working days (T+1)",
        "{case_number}",
    ],
)
def test_no_false_internal_ids(text: str) -> None:
    assert internal_ids(text) == []


@pytest.mark.parametrize(
    ("name", "is_id"),
    [("rule", True), ("rule_id", True), ("section_id", True), ("user_id", True), ("section", True)]
    + [("count", False), ("number", False), ("amount", False), ("order", False), ("ruled", False)],
)
def test_id_placeholder_names(name: str, is_id: bool) -> None:
    assert bool(ID_PLACEHOLDER.search(name)) == is_id


def test_id_allowlist_entries_still_match() -> None:
    used_keys = set(catalog("zh")) | set(catalog("en"))
    texts = [text for lang in LANGUAGES for _, text in _rendered(lang)]
    stale = [
        entry
        for entry in ALLOWLIST.get("ids", [])
        if ("key" in entry and entry["key"] not in used_keys)
        or any(not any(word in text for text in texts) for word in entry.get("words", []))
    ]
    assert stale == []
