"""Message catalogs: every user-facing text is a key in `bot/locales/<lang>/*.toml`
(one file per area; the files of a language are merged and may not repeat a key).

Texts use `str.format` placeholders (`{case_number}`); values are HTML-escaped by the
caller where the bot sends HTML.

Plurals. A key may be a table of plural forms instead of a string, chosen by the `count`
placeholder the caller passes::

    [field.evidence]
    one = "Evidence: {count} file"
    other = "Evidence: {count} files"

A table is a plural message when all its keys are plural categories (`zero`, `one`, `two`,
`few`, `many`, `other`). Each language uses the categories of its plural rule and needs all
of them: English `one` (exactly 1) and `other`; Chinese has no grammatical plural and uses
`other` only (a plain string is fine there too: it serves every count). A plural message is
looked up like any other key (`t("field.evidence", count=3)`); calling it without `count`
is an error. In `catalog()` a plural message is a `str` holding its `other` form, with every
form in `Plural.forms`.

Text rules (see `lint()`; tests apply them to every catalog file): Chinese texts use
full-width punctuation next to Chinese characters and address the buyer as 您; English says
"merchant", never "seller", and writes real plurals instead of "file(s)". `internal_ids()`
finds internal ids (section ids, rule ids) that must never reach a buyer.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

PLURAL_CATEGORIES: tuple[str, ...] = ("zero", "one", "two", "few", "many", "other")
# The categories each language's plural rule can produce (CLDR); unknown languages: `other`.
LANGUAGE_PLURALS: Mapping[str, frozenset[str]] = {
    "zh": frozenset({"other"}),
    "en": frozenset({"one", "other"}),
}


def plural_category(lang: str, count: object) -> str:
    """The plural category of `count` in `lang` (CLDR rules; English `one` is exactly 1, not 1.0)."""
    if "one" not in LANGUAGE_PLURALS.get(lang, frozenset()):
        return "other"
    if isinstance(count, bool):
        raise TypeError(f"a plural count must be a number, not {count!r}")
    if isinstance(count, int):
        return "one" if count == 1 else "other"
    try:
        number = Decimal(str(count).strip())
    except InvalidOperation:
        raise TypeError(f"a plural count must be a number, not {count!r}") from None
    # CLDR English: one if the integer part is 1 and no fraction digits are shown ("1", not "1.0").
    exponent = number.as_tuple().exponent
    return "one" if number == 1 and isinstance(exponent, int) and exponent >= 0 else "other"


class Plural(str):
    """A plural message: behaves as its `other` form; `forms` maps category -> text."""

    forms: Mapping[str, str]

    def __new__(cls, forms: Mapping[str, str]) -> Plural:
        self = super().__new__(cls, forms["other"])
        self.forms = dict(forms)
        return self

    def pick(self, lang: str, count: object) -> str:
        return self.forms.get(plural_category(lang, count), self.forms["other"])


def placeholders(text: str) -> set[str]:
    """Placeholder names in a message (all forms of a plural message)."""
    texts = text.forms.values() if isinstance(text, Plural) else (text,)
    return {name for item in texts for _, name, _, _ in string.Formatter().parse(item) if name}


def _is_plural_table(value: Mapping[str, Any]) -> bool:
    return bool(value) and all(
        key in PLURAL_CATEGORIES and isinstance(item, str) for key, item in value.items()
    )


def _plural(where: str, lang: str, table: Mapping[str, str]) -> Plural:
    used = LANGUAGE_PLURALS.get(lang, frozenset({"other"}))
    missing, unused = used - table.keys(), table.keys() - used
    if missing or unused:
        raise ValueError(
            f"{where}: plural forms in locale {lang!r} must be exactly {sorted(used)}"
            f" (missing {sorted(missing)}, not used by the language {sorted(unused)})"
        )
    shapes = {form: placeholders(text) - {"count"} for form, text in table.items()}
    if len({frozenset(names) for names in shapes.values()}) > 1:
        raise ValueError(f"{where}: plural forms use different placeholders: {shapes}")
    return Plural(table)


def _flatten(
    where: str, lang: str, prefix: str, table: Mapping[str, Any], out: dict[str, str]
) -> None:
    for key, value in table.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping) and _is_plural_table(value):
            out[full] = _plural(f"{where}: {full}", lang, value)
        elif isinstance(value, Mapping):
            _flatten(where, lang, full, value, out)
        else:
            out[full] = str(value)


def load_messages(paths: Iterable[Path], lang: str) -> dict[str, str]:
    """Merge catalog files of one language; a key defined twice or a malformed plural is an error."""
    out: dict[str, str] = {}
    for path in paths:
        with path.open("rb") as fh:
            part: dict[str, str] = {}
            _flatten(path.name, lang, "", tomllib.load(fh), part)
        clash = out.keys() & part.keys()
        if clash:
            raise ValueError(f"{path.name}: keys defined twice in locale {lang!r}: {sorted(clash)}")
        out.update(part)
    return out


@cache
def catalog(lang: str) -> Mapping[str, str]:
    return load_messages(sorted((LOCALES_DIR / lang).glob("*.toml")), lang)


def pick_language(code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Map a Telegram `language_code` (e.g. `en-US`, `zh-hans`) to a supported language."""
    if code:
        base = code.lower().split("-")[0].split("_")[0]
        if base in LANGUAGES:
            return base
    return default


class Translator:
    """Looks texts up in one language's catalog."""

    __slots__ = ("lang", "_catalog")

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        self._catalog = catalog(self.lang)

    def __call__(self, key: str, /, **values: object) -> str:
        try:
            text = self._catalog[key]
        except KeyError:
            raise KeyError(f"missing message {key!r} in locale {self.lang!r}") from None
        if isinstance(text, Plural):
            if "count" not in values:
                raise KeyError(f"message {key!r} has plural forms: pass count=")
            text = text.pick(self.lang, values["count"])
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self._catalog

    def __repr__(self) -> str:
        return f"Translator({self.lang!r})"


# --- text rules ---------------------------------------------------------------------------

# Chinese characters and the punctuation that belongs to them (CJK symbols, full-width forms, …).
_CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_CHINESE_OR_ELLIPSIS = re.compile(
    r"[\u2026\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
)
_HALF_WIDTH = ":?(),!;."
_FULL_WIDTH = {
    ":": "：",
    "?": "？",
    "(": "（",
    ")": "）",
    ",": "，",
    "!": "！",
    ";": "；",
    ".": "。",
}
# ASCII that may stand anywhere: code spans, HTML tags, placeholders, URLs, /commands.
_VERBATIM = re.compile(
    r"<code>.*?</code>|<pre>.*?</pre>|<[^<>]*>|\{[^{}]*\}|https?://\S+|(?<!\w)/[a-z_]+", re.S
)
_SELLER = re.compile(r"\b(?:re)?sellers?\b", re.I)
_PAREN_PLURAL = re.compile(r"[A-Za-z]\((?:s|es)\)")


def _mask(text: str) -> str:
    """Replace verbatim ASCII (code, tags, placeholders, URLs, commands) by spaces of the same length."""
    return _VERBATIM.sub(lambda m: " " * len(m.group()), text)


def _neighbour(text: str, start: int, step: int) -> str:
    index = start + step
    while 0 <= index < len(text) and text[index] in " \t":
        index += step
    return text[index] if 0 <= index < len(text) else ""


def lint(lang: str, text: str) -> list[str]:
    """Problems of a text under the catalog rules of its language (empty when it is fine)."""
    problems: list[str] = []
    # Chinese punctuation wherever Chinese is written; in other languages a sentence may end
    # with a Chinese word ("switch to 中文.") and "…" is their own ellipsis.
    chinese = _CHINESE_OR_ELLIPSIS if lang == "zh" else _CHINESE
    if lang == "zh" or _CHINESE.search(text):
        masked = _mask(text)
        for index, char in enumerate(masked):
            if char not in _HALF_WIDTH or (char == "." and lang != "zh"):
                continue
            before, after = _neighbour(masked, index, -1), _neighbour(masked, index, 1)
            if char == "." and not chinese.fullmatch(before or " "):
                continue  # 98.5, "e.g.", an ellipsis after Latin text
            if chinese.fullmatch(before or " ") or chinese.fullmatch(after or " "):
                snippet = text[max(0, index - 6) : index + 7].replace("\n", " ")
                problems.append(
                    f"half-width {char!r} next to Chinese (use {_FULL_WIDTH[char]!r}): …{snippet}…"
                )
    if lang == "zh" and "你" in text:
        problems.append("addresses the reader as 你 (use 您)")
    if lang == "en":
        problems += [f"says {m.group()!r} (use 'merchant')" for m in _SELLER.finditer(text)]
        problems += [
            f"writes {m.group()!r} (use a plural message)" for m in _PAREN_PLURAL.finditer(text)
        ]
    return problems


# Internal ids: section anchors (#arrival-times), kebab-case ids (undelivered-merchant) and
# snake_case rule ids (completed_changed_mind). Telegram commands (/scamdelete) are not ids.
_INTERNAL_ID = re.compile(
    r"#[a-z0-9]+(?:[-_][a-z0-9]+)*"
    r"|(?<![\w/#.-])[a-z][a-z0-9]*(?:-[a-z0-9]+)+(?![\w-])"
    r"|(?<![\w/#.-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w-])"
)


def internal_ids(text: str) -> list[str]:
    """Tokens in a text that look like internal ids (placeholders and HTML tags are ignored)."""
    return [m.group() for m in _INTERNAL_ID.finditer(re.sub(r"<[^<>]*>|\{[^{}]*\}", " ", text))]
