"""Homoglyph skeletons: fold a domain label so look-alike spellings compare equal."""

from __future__ import annotations

import unicodedata

from .resources import load_yaml


class Skeletonizer:
    def __init__(self) -> None:
        data = load_yaml("confusables.yaml")
        self._chars = {ord(str(k)): str(v) for k, v in data["chars"].items()}
        # longest sequences first so "rn" wins over single letters
        self._sequences = sorted(
            ((str(k), str(v)) for k, v in data["sequences"].items()),
            key=lambda kv: -len(kv[0]),
        )
        self._cache: dict[str, str] = {}

    def __call__(self, label: str) -> str:
        cached = self._cache.get(label)
        if cached is not None:
            return cached
        text = label.lower()
        if not text.isascii():
            # accents off (é -> e), compatibility forms folded
            decomposed = unicodedata.normalize("NFKD", text)
            text = "".join(c for c in decomposed if not unicodedata.combining(c))
        text = text.translate(self._chars)
        for seq, repl in self._sequences:
            if seq in text:
                text = text.replace(seq, repl)
        if len(self._cache) > 50_000:
            self._cache.clear()
        self._cache[label] = text
        return text
