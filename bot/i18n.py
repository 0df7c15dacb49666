"""Message catalogs: every user-facing text is a key in `bot/locales/<lang>/*.toml`
(one file per area; the files of a language are merged and may not repeat a key).

Texts use `str.format` placeholders (`{case_number}`); values are HTML-escaped by the
caller where the bot sends HTML.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


def _flatten(prefix: str, table: Mapping[str, Any], out: dict[str, str]) -> None:
    for key, value in table.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping):
            _flatten(full, value, out)
        else:
            out[full] = str(value)


@cache
def catalog(lang: str) -> Mapping[str, str]:
    out: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / lang).glob("*.toml")):
        with path.open("rb") as fh:
            part: dict[str, str] = {}
            _flatten("", tomllib.load(fh), part)
        clash = out.keys() & part.keys()
        if clash:
            raise ValueError(f"{path.name}: keys defined twice in locale {lang!r}: {sorted(clash)}")
        out.update(part)
    return out


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
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self._catalog

    def __repr__(self) -> str:
        return f"Translator({self.lang!r})"
