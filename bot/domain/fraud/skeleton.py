"""Homoglyph skeletons: fold a domain label so look-alike spellings compare equal."""

from __future__ import annotations

import unicodedata

from .resources import load_yaml


class Skeletonizer:
    """`skel(label)` folds digits, non-Latin look-alikes, accents and separators;
    `skel(label, strong=True)` also folds Latin letters that read as other letters
    (i/l, rn/m, vv/w, cl/d): right for comparing a whole label with a brand, too
    eager for finding a brand inside a longer label."""

    def __init__(self) -> None:
        data = load_yaml("confusables.yaml")
        self._chars: dict[int, str | None] = {ord(str(k)): str(v) for k, v in data["chars"].items()}
        for sep in data["separators"]:
            self._chars[ord(sep)] = None
        self._letters = {ord(str(k)): str(v) for k, v in data["letters"].items()}
        # longest sequences first so "rn" wins over single letters
        self._sequences = sorted(
            ((str(k), str(v)) for k, v in data["sequences"].items()),
            key=lambda kv: -len(kv[0]),
        )
        self._cache: dict[tuple[str, bool], str] = {}

    def __call__(self, label: str, strong: bool = False) -> str:
        key = (label, strong)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        text = label.lower()
        if not text.isascii():
            # accents off (é -> e), compatibility forms folded
            decomposed = unicodedata.normalize("NFKD", text)
            text = "".join(c for c in decomposed if not unicodedata.combining(c))
        text = text.translate(self._chars)
        if strong:
            text = text.translate(self._letters)
            for seq, repl in self._sequences:
                if seq in text:
                    text = text.replace(seq, repl)
        if len(self._cache) > 50_000:
            self._cache.clear()
        self._cache[key] = text
        return text
