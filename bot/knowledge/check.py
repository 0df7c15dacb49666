"""Validating a knowledge folder: what `refund-bot knowledge check DIR` reports.

Errors (the folder is broken):
- duplicate ids: two sections with the same id and language in the folder;
- dangling references: a cross-reference to a section title that does not exist
  (`见“商家初审”一节`, `see "Fees"`), a Markdown link `(#id)` or a `policy_refs` id in the
  folder's `policy.yaml` that names no section, an English id without a Chinese section;
- vanished sections: labelled questions whose expected section is no longer there.

Warnings (the folder works, but something is likely missing):
- sections that no labelled question reaches (not among the top 3 of any question in the
  section's language): either the set lacks a question or the section cannot be found.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.evaluation import Question, kb_lang
from bot.knowledge.loader import (
    DEFAULT_LANGUAGE,
    KnowledgeError,
    Section,
    _file_lang,
    _file_stem,
    iter_files,
    parse_markdown,
    parse_text,
)

# a cross-reference names a section by its title: 见“商家初审”一节, see "Refund arrival times"
# (English titles start with a capital letter; 常见“退款难” is a quotation, not a reference)
_TITLE_REF_ZH = re.compile(r"(?:(?<![常可看意听])(?:见|参见)|按)“([^”]{2,40})”(?!进行)")
_TITLE_REF_EN = re.compile(r"\b(?:[Ss]ee|[Cc]heck)\s+\"([A-Z][^\"]{1,60})\"")
_ID_LINK = re.compile(r"\]\(#([A-Za-z0-9][A-Za-z0-9_.:-]*)\)")


@dataclass
class Finding:
    kind: str  # duplicate-id | dangling-reference | vanished-section | unreached-section
    message: str
    path: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "message": self.message, "path": self.path}


@dataclass
class CheckReport:
    sections: int = 0
    questions: int = 0
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sections": self.sections,
            "questions": self.questions,
            "errors": [f.to_dict() for f in self.errors],
            "warnings": [f.to_dict() for f in self.warnings],
        }


def read_folder(directory: Path) -> list[Section]:
    """Every section of every file, duplicates kept (the loader keeps only the last)."""
    if not directory.is_dir():
        raise KnowledgeError(f"knowledge directory not found: {directory}")
    sections: list[Section] = []
    for path in iter_files(directory):
        rel = path.relative_to(directory)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise KnowledgeError(f"cannot read knowledge file {rel}: {exc}") from exc
        lang, stem = _file_lang(rel), _file_stem(rel)
        if path.suffix.lower() == ".txt":
            sections.append(parse_text(text, path=rel.as_posix(), lang=lang, stem=stem))
        else:
            sections.extend(parse_markdown(text, path=rel.as_posix(), lang=lang, stem=stem))
    return sections


def policy_refs(directory: Path) -> list[str]:
    """The `policy_refs` ids of the folder's `policy.yaml`, if there is one."""
    path = directory / "policy.yaml"
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise KnowledgeError(f"cannot read {path.name}: {exc}") from exc
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "policy_refs" and isinstance(value, list):
                    found.extend(str(v) for v in value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    return found


def check_folder(directory: Path, questions: Sequence[Question] = ()) -> CheckReport:
    """Validate a knowledge folder (see the module docstring); `questions` is the labelled set."""
    from bot.knowledge.base import KnowledgeBase

    sections = read_folder(directory)
    report = CheckReport(sections=len({(s.id, s.lang) for s in sections}), questions=len(questions))
    where: dict[tuple[str, str], list[str]] = {}
    for section in sections:
        where.setdefault((section.id, section.lang), []).append(section.path)
    for (sid, lang), paths in sorted(where.items()):
        if len(paths) > 1:
            report.errors.append(
                Finding(
                    "duplicate-id",
                    f"section id {sid!r} ({lang}) is defined {len(paths)} times",
                    ", ".join(paths),
                )
            )
    ids = {s.id for s in sections}
    zh_ids = {s.id for s in sections if s.lang == DEFAULT_LANGUAGE}
    titles = {(s.lang, s.title) for s in sections}
    for section in sections:
        if section.lang != DEFAULT_LANGUAGE and section.id not in zh_ids:
            report.errors.append(
                Finding(
                    "dangling-reference",
                    f"section {section.id!r} ({section.lang}) has no Chinese section",
                    section.path,
                )
            )
        pattern = _TITLE_REF_ZH if section.lang == "zh" else _TITLE_REF_EN
        for title in pattern.findall(section.body):
            if (section.lang, title) not in titles:
                report.errors.append(
                    Finding(
                        "dangling-reference",
                        f"section {section.id!r} refers to a missing section “{title}”",
                        section.path,
                    )
                )
        for target in _ID_LINK.findall(section.body):
            if target not in ids:
                report.errors.append(
                    Finding(
                        "dangling-reference",
                        f"section {section.id!r} links to a missing id #{target}",
                        section.path,
                    )
                )
    for ref in dict.fromkeys(policy_refs(directory)):
        if ref not in ids:
            report.errors.append(
                Finding(
                    "dangling-reference",
                    f"policy_refs names a missing section {ref!r}",
                    "policy.yaml",
                )
            )
    for question in questions:
        gone = [sid for sid in question.ids if sid not in ids]
        if gone:
            report.errors.append(
                Finding(
                    "vanished-section",
                    f"labelled question {question.q!r} expects missing {', '.join(gone)}",
                )
            )
    if questions and not report.errors:
        report.warnings.extend(_unreached(KnowledgeBase.load(directory), questions))
    return report


def _unreached(kb: Any, questions: Sequence[Question]) -> list[Finding]:
    reached: Counter[tuple[str, str]] = Counter()
    langs = set()
    for question in questions:
        if not question.answerable:
            continue
        lang = kb_lang(question)
        langs.add(lang)
        answer = kb.ask(question.q, lang, k=3)
        for source in answer.sources[:3]:
            reached[(source.id, lang)] += 1
    findings = []
    for section in sorted(kb.sections(), key=lambda s: (s.lang, s.path, s.id)):
        if section.lang in langs and reached[(section.id, section.lang)] == 0:
            findings.append(
                Finding(
                    "unreached-section",
                    f"no labelled {section.lang} question reaches section {section.id!r} “{section.title}”",
                    section.path,
                )
            )
    return findings
