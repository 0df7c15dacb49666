"""Folding buyers' spellings onto the texts' words, driven by `normalisation.toml`.

    normalise("賣家一直不發貨，tk要多久到帳？")   # "商家一直不发货,退款要多久到账?"
    normalise("Seller still not send, how i get money back")
    # "merchant still not delivered, how do i get refund"  (merchant: see textproc)

Steps, in order: Unicode NFKC (full-width letters, digits and punctuation become half-width),
lowercase, traditional -> simplified Chinese with OpenCC (only for text with Chinese
characters), then the tables of `normalisation.toml`: Chinese homophone typos and variants
(substrings), Latin abbreviations of Chinese words, English spelling variants and
non-native grammar (whole words). The same function runs on the knowledge texts and on
questions, so both sides meet in one vocabulary.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

DATA_FILE = Path(__file__).resolve().parent / "normalisation.toml"

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class _Converter(Protocol):
    def convert(self, text: str) -> str: ...


@dataclass(frozen=True)
class Tables:
    """The folding tables: substring replacements and whole-word replacements."""

    substrings: Mapping[str, str]  # Chinese keys: replaced wherever they occur
    words: Mapping[str, str]  # Latin keys: replaced as whole words (or phrases)


def load_tables(path: Path | str = DATA_FILE) -> Tables:
    """Read a normalisation file. Raises ValueError with the file name on a bad file."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path.name}: cannot read normalisation tables: {exc}") from exc
    substrings: dict[str, str] = {}
    words: dict[str, str] = {}
    for lang in ("zh", "en"):
        for table_name, table in (data.get(lang) or {}).items():
            if not isinstance(table, dict):
                raise ValueError(f"{path.name}: [{lang}.{table_name}] must be a table")
            for key, value in table.items():
                if not isinstance(value, str):
                    raise ValueError(f"{path.name}: [{lang}.{table_name}] {key!r} must map to text")
                norm_key = _base(key)
                if _CJK.search(norm_key):
                    if len(norm_key) < 2:
                        raise ValueError(f"{path.name}: [{lang}.{table_name}] {key!r} is too short")
                    substrings[norm_key] = _base(value)
                else:
                    words[norm_key] = _base(value)
    return Tables(substrings, words)


def _base(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().replace("\u2019", "").replace("'", "")


@lru_cache(maxsize=1)
def _converter() -> _Converter | None:
    """OpenCC traditional -> simplified; None if the package cannot be loaded."""
    try:
        import opencc
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    converter: _Converter = opencc.OpenCC("t2s")
    return converter


def to_simplified(text: str) -> str:
    """Traditional Chinese characters folded to simplified ones (OpenCC t2s)."""
    if not _CJK.search(text):
        return text
    converter = _converter()
    return converter.convert(text) if converter is not None else text


class Normaliser:
    """Applies one set of tables; `normalise` uses the shipped file."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        subs = sorted(tables.substrings, key=lambda k: (-len(k), k))
        self._subs = re.compile("|".join(re.escape(k) for k in subs)) if subs else None
        words = sorted(tables.words, key=lambda k: (-len(k), k))
        body = "|".join(re.escape(k) for k in words)
        # whole words: no Latin letter or digit right before or after the key
        self._words = re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])") if words else None

    def __call__(self, text: str) -> str:
        text = to_simplified(_base(text))
        if self._subs is not None:
            text = self._subs.sub(lambda m: self.tables.substrings[m.group(0)], text)
        if self._words is not None:
            text = self._words.sub(lambda m: self.tables.words[m.group(0)], text)
        return text


@lru_cache(maxsize=1)
def default_normaliser() -> Normaliser:
    return Normaliser(load_tables())


@lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """The text in the knowledge base's spelling (see the module docstring)."""
    return default_normaliser()(text)
