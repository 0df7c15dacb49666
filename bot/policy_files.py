"""Reading refund policy files from disk (the domain's `Policy` does no I/O).

`load_policy(path)` reads the YAML file, looks its text keys up in the bot's locale catalogs
(`bot/locales/<lang>/*.toml`, the same catalogs as every other buyer text) plus the file's own
`texts:` table, and validates it: `PolicyError` lists every problem, each naming the file, the
rule and the field. Used by the bot at start (`bot.app`) and by the command line tools.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from bot.domain.rules import Policy, PolicyError, section_ids
from bot.domain.rules.texts import LANGUAGES
from bot.i18n import catalog
from bot.paths import project_dir

__all__ = [
    "DEFAULT_POLICY_PATH",
    "Policy",
    "PolicyError",
    "bot_texts",
    "display_path",
    "knowledge_ids",
    "load_policy",
]

DEFAULT_POLICY_PATH = project_dir("knowledge") / "policy.yaml"
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # C when built with libyaml


def bot_texts() -> dict[str, dict[str, str]]:
    """The bot's text catalogs by language, as policy texts are looked up in them."""
    return {lang: dict(catalog(lang)) for lang in LANGUAGES}


def load_policy(
    path: str | Path = DEFAULT_POLICY_PATH, *, known_refs: Iterable[str] | None = None
) -> Policy:
    """Read, validate and compile a policy file.

    Raises PolicyError whose messages name the file, the rule and the field, e.g.
    `knowledge/policy.yaml: rule 'delivered-buyer-side': fee_percent: must be <= fee cap 10`.
    `known_refs`, when given, is the set of knowledge-base section ids a rule may cite.
    """
    path = Path(path)
    source = display_path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError([f"{source}: cannot read: {exc.strerror or exc}"]) from None
    try:
        text = raw.decode("utf-8-sig")  # a BOM left by an editor is not part of the YAML
    except UnicodeDecodeError as exc:
        raise PolicyError([f"{source}: not UTF-8 text: {exc.reason}"]) from None
    try:
        data = yaml.load(text, Loader=_YAML_LOADER)  # a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError([f"{source}:{where}: not valid YAML: {problem}"]) from None
    return Policy.from_data(data, source=source, known_refs=known_refs, catalog=bot_texts())


def knowledge_ids(folder: Path) -> set[str]:
    """Every section id declared in the Markdown files under a folder."""
    ids: set[str] = set()
    for path in sorted(folder.rglob("*.md")):
        ids |= section_ids(path.read_text(encoding="utf-8"))
    return ids


def display_path(path: Path) -> str:
    """The path as the user knows it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
