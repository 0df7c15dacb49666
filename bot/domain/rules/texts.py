"""Buyer-facing texts of a policy, looked up by key in a text catalog.

A rule names its explanation by key (`policy.rule.unpaid-cancel.explanation`); the text
itself lives in the bot's locale files (`bot/locales/<lang>/policy.toml`, the same catalogs as
every other buyer text) or in the policy's own `texts:` table. This module holds the catalog
a policy is checked against and the checks on its texts; reading the locale files is not done
here (the domain does no I/O): the caller passes the catalogs in.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: The languages every policy text must exist in.
LANGUAGES: tuple[str, ...] = ("zh", "en")

#: `#section-id` or `{#section-id}`: how internal ids leak into a text
_HASH_ID = re.compile(r"(?<![\w&])#[a-z0-9]+(?:-[a-z0-9]+)+")


@dataclass(frozen=True)
class TextCatalog:
    """Texts by language and key. `bot` is the bot's own catalog, `own` the policy's texts
    (a policy may not redefine a key of the bot's catalog)."""

    by_lang: Mapping[str, Mapping[str, str]]

    @classmethod
    def merge(
        cls,
        base: Mapping[str, Mapping[str, str]],
        own: Mapping[str, Mapping[str, str]],
    ) -> TextCatalog:
        langs = set(base) | set(own)
        return cls({lang: {**base.get(lang, {}), **own.get(lang, {})} for lang in langs})

    def get(self, lang: str, key: str) -> str | None:
        return self.by_lang.get(lang, {}).get(key)


def placeholders(template: str) -> set[str]:
    """The `{name}` placeholders of a template; ValueError when it is malformed."""
    names = set()
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name or not name.isidentifier():
            raise ValueError(f"placeholder {{{name}}} is not a name")
        if spec or conversion:
            raise ValueError(f"placeholder {{{name}}} may not have a format or conversion")
        names.add(name)
    return names


def check_text(
    catalog: TextCatalog,
    key: str,
    field: str,
    allowed: Iterable[str],
    internal_ids: Iterable[str] = (),
) -> tuple[dict[str, str], list[str]]:
    """Resolve one text key in every language and check it.

    Returns ({lang: template}, errors). Checked: the key exists in every language, the
    templates parse, use only allowed placeholders and the same ones in every language, and
    show no internal id (a `#section-id`, a rule id) to the buyer.
    """
    allowed = set(allowed)
    ids = [i for i in internal_ids if "-" in i]  # one-word ids are ordinary words ("fees")
    errors: list[str] = []
    found: dict[str, str] = {}
    shapes: dict[str, set[str]] = {}
    for lang in LANGUAGES:
        text = catalog.get(lang, key)
        if text is None:
            errors.append(f"{field}: text {key!r} is missing in language {lang!r}")
            continue
        found[lang] = text
        try:
            names = placeholders(text)
        except ValueError as exc:
            errors.append(f"{field}: text {key!r} ({lang}): bad template: {exc}")
            continue
        shapes[lang] = names
        unknown = sorted(names - allowed)
        if unknown:
            errors.append(
                f"{field}: text {key!r} ({lang}): unknown placeholder "
                + ", ".join(f"{{{n}}}" for n in unknown)
                + f" (allowed: {', '.join(sorted(allowed))})"
            )
        leak = _HASH_ID.search(text)
        if leak is None:
            leak = next((m for i in ids if (m := re.search(rf"\b{re.escape(i)}\b", text))), None)
        if leak is not None:
            errors.append(
                f"{field}: text {key!r} ({lang}): shows the internal id {leak.group(0)!r} "
                "to the buyer (name the section by its title)"
            )
    if len(shapes) == len(LANGUAGES) and len({frozenset(s) for s in shapes.values()}) > 1:
        detail = "; ".join(
            f"{lang}: {', '.join(sorted(s)) or 'none'}" for lang, s in shapes.items()
        )
        errors.append(f"{field}: text {key!r}: the languages use different placeholders ({detail})")
    return found, errors
