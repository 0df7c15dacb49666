"""Loading knowledge files into sections.

A knowledge directory holds Markdown (`.md`) and plain-text (`.txt`) files; anything else
(for example the rules engine's `policy.yaml`) is ignored.

Markdown: a heading that ends in a Pandoc-style attribute block starts a section,
`## 退款到账时间 {#arrival-times}`. The block may also carry a language,
`{#arrival-times lang=en}`. Deeper headings without an id stay inside the current section;
a level-1 heading without an id is the file's title and is not indexed; other headings
without an id start a section with a generated id (`<file stem>-<n>`). A Markdown file
with no heading at all is one section, like a text file.

Plain text: one file is one section; the id is the file name without its extension
(`arrival-times.txt` -> `arrival-times`), the title is the first non-empty line.

Language of a file: a path component named `zh` or `en` (`knowledge/en/fees.md`), else a
language suffix in the file name (`fees.en.md`, `fees.zh.txt`), else `zh`. A `lang=`
attribute on a heading overrides it for that section.

Aliases: an HTML comment `<!-- aliases: 没发货、不发货, hasn't sent -->` in a section's body
lists buyer words for the topic; they are kept in `Section.aliases` (indexed for retrieval)
and removed from the body, so buyers never see them.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
SUFFIXES = (".md", ".markdown", ".txt")

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_ATTRS = re.compile(r"^(.*?)[ \t]*\{([^{}]*)\}[ \t]*$")
_FENCE = re.compile(r"^[ \t]*(```|~~~)")
_ID_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")


class KnowledgeError(ValueError):
    """A knowledge file cannot be used (bad directory, unreadable file)."""


@dataclass(frozen=True)
class Section:
    """One addressable piece of policy text: what a `policy_refs` id points at."""

    id: str
    title: str
    body: str  # Markdown body without the heading line
    lang: str = DEFAULT_LANGUAGE
    path: str = ""  # file path relative to the knowledge directory
    level: int = 2
    aliases: tuple[str, ...] = ()  # buyer words indexed for retrieval, never shown
    kind: str = ""  # the heading's class: "smalltalk" answers only whole courtesy messages
    questions: tuple[str, ...] = ()  # example buyer questions the section answers, never shown

    @property
    def text(self) -> str:
        """The body as plain text (Markdown emphasis and table rules removed)."""
        return markdown_to_text(self.body)


@dataclass
class LoadReport:
    """What the loader saw: files read, files skipped, ids overridden by later files."""

    files: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    overridden: list[tuple[str, str, str]] = field(default_factory=list)  # (id, lang, path)


def normalize_lang(value: str | None) -> str | None:
    if not value:
        return None
    head = value.strip().lower().replace("_", "-").split("-")[0]
    return head if head in LANGUAGES else None


_LANG_DIR = re.compile(r"^(zh|en)(?:[-_][A-Za-z]{2,4})?$", re.IGNORECASE)


def _file_lang(rel: Path) -> str:
    for part in reversed(rel.parts[:-1]):  # the innermost language folder wins
        if _LANG_DIR.match(part):
            return part[:2].lower()
    suffixes = rel.name.split(".")[1:-1]  # "fees.en.md" -> ["en"]
    for suffix in reversed(suffixes):
        if suffix.lower() in LANGUAGES:
            return suffix.lower()
    return DEFAULT_LANGUAGE


def _file_stem(rel: Path) -> str:
    stem = rel.name.split(".")[0]
    return stem or rel.stem


def _parse_attrs(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for token in raw.split():
        if token.startswith("#") and len(token) > 1:
            attrs["id"] = token[1:]
        elif token.startswith("."):
            attrs.setdefault("class", token[1:])
        elif "=" in token:
            key, _, value = token.partition("=")
            attrs[key.strip().lower()] = value.strip().strip("\"'")
    return attrs


def parse_markdown(
    text: str, *, path: str = "", lang: str = DEFAULT_LANGUAGE, stem: str = ""
) -> list[Section]:
    """Split one Markdown document into sections (see the module docstring)."""
    stem = stem or Path(path).stem or "section"
    sections: list[Section] = []
    current: dict[str, object] | None = None
    body: list[str] = []
    in_fence = False
    saw_heading = False
    auto = 0

    def close() -> None:
        nonlocal current, body
        if current is not None:
            text, questions = split_questions("\n".join(body))
            text, aliases = split_aliases(text)
            sections.append(
                Section(
                    id=str(current["id"]),
                    title=str(current["title"]),
                    body=text.strip(),
                    lang=str(current["lang"]),
                    path=path,
                    level=int(current["level"]),  # type: ignore[call-overload]
                    aliases=aliases,
                    kind=str(current.get("kind", "")),
                    questions=questions,
                )
            )
        current, body = None, []

    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match is None:
            if current is not None:
                body.append(line)
            continue
        saw_heading = True
        level = len(match.group(1))
        title = match.group(2).strip()
        attrs: dict[str, str] = {}
        with_attrs = _ATTRS.match(title)
        if with_attrs:
            title, attrs = with_attrs.group(1).strip(), _parse_attrs(with_attrs.group(2))
        section_id = attrs.get("id", "")
        if section_id and not _ID_OK.match(section_id):
            log.warning("knowledge: %s: heading id %r is not a valid id; ignored", path, section_id)
            section_id = ""
        section_lang = normalize_lang(attrs.get("lang")) or lang
        if section_id:
            close()
            current = {"id": section_id, "title": title, "lang": section_lang, "level": level}
            current["kind"] = attrs.get("class", "")
        elif current is not None and level > int(current["level"]):  # type: ignore[call-overload]
            body.append(line)  # a sub-heading inside the current section
        elif level == 1:
            close()  # the document title: not a section
        else:
            close()
            auto += 1
            current = {"id": f"{stem}-{auto}", "title": title, "lang": section_lang, "level": level}
    close()
    if not saw_heading and text.strip():
        return [parse_text(text, path=path, lang=lang, stem=stem)]
    return [s for s in sections if s.body or s.title]


def parse_text(
    text: str, *, path: str = "", lang: str = DEFAULT_LANGUAGE, stem: str = ""
) -> Section:
    """A plain-text file is one section: id from the file name, title from the first line."""
    stem = stem or Path(path).stem or "section"
    lines = [line.rstrip() for line in text.strip().splitlines()]
    title = lines[0].strip().lstrip("#").strip() if lines else stem
    rest = "\n".join(lines[1:]).strip()
    rest, questions = split_questions(rest)
    rest, aliases = split_aliases(rest)
    rest = rest.strip()
    if not rest:  # a one-line file: the line is the text, the id is the title
        title, rest = stem, title
    return Section(
        id=stem,
        title=title,
        body=rest,
        lang=lang,
        path=path,
        level=2,
        aliases=aliases,
        questions=questions,
    )


# `<!-- aliases: 没发货, 不发货, hasn't sent -->` anywhere in a section's body: words buyers
# use for the topic that the text itself does not. The retrievers index them with the
# section; the text shown to buyers never contains them.
_ALIASES = re.compile(r"<!--\s*(?:aliases|keywords)\s*:(.*?)-->\n?", re.IGNORECASE | re.DOTALL)
_ALIAS_SPLIT = re.compile(r"[,,、;;\n]+")


def split_aliases(body: str) -> tuple[str, tuple[str, ...]]:
    """The body without its alias comments, and the aliases they list (in order)."""
    found: list[str] = []

    def take(match: re.Match[str]) -> str:
        found.extend(a.strip() for a in _ALIAS_SPLIT.split(match.group(1)) if a.strip())
        return ""

    if "<!--" not in body:
        return body, ()
    return _ALIASES.sub(take, body), tuple(dict.fromkeys(found))


# `<!-- questions:` then one example question per line, then `-->`: how buyers ask for what
# the section answers. Each is indexed on its own (the nearest example question ranks its
# section); buyers never see them.
_QUESTIONS = re.compile(r"<!--\s*questions\s*:(.*?)-->\n?", re.IGNORECASE | re.DOTALL)


def split_questions(body: str) -> tuple[str, tuple[str, ...]]:
    """The body without its example-question comments, and the questions they list."""
    found: list[str] = []

    def take(match: re.Match[str]) -> str:
        found.extend(q.strip() for q in match.group(1).splitlines() if q.strip())
        return ""

    if "<!--" not in body:
        return body, ()
    return _QUESTIONS.sub(take, body), tuple(dict.fromkeys(found))


def iter_files(directory: Path) -> Iterable[Path]:
    """Knowledge files under `directory`, in path order; hidden files and folders are skipped."""
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix.lower() in SUFFIXES and path.is_file():
            yield path


def load_sections(
    directories: Path | str | Sequence[Path | str], report: LoadReport | None = None
) -> list[Section]:
    """Read every knowledge file under the directories, in order.

    A section whose (id, language) was already loaded replaces the earlier one, so a second
    directory can override single sections of the first.
    """
    if isinstance(directories, str | Path):
        directories = [directories]
    report = report if report is not None else LoadReport()
    by_key: dict[tuple[str, str], Section] = {}
    for raw_dir in directories:
        directory = Path(raw_dir).expanduser()
        if not directory.is_dir():
            raise KnowledgeError(f"knowledge directory not found: {directory}")
        for path in iter_files(directory):
            rel = path.relative_to(directory)
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                raise KnowledgeError(f"cannot read knowledge file {rel}: {exc}") from exc
            lang, stem = _file_lang(rel), _file_stem(rel)
            if path.suffix.lower() == ".txt":
                found = [parse_text(text, path=rel.as_posix(), lang=lang, stem=stem)]
            else:
                found = parse_markdown(text, path=rel.as_posix(), lang=lang, stem=stem)
            report.files.append(rel.as_posix())
            for section in found:
                key = (section.id, section.lang)
                if key in by_key:
                    report.overridden.append((section.id, section.lang, rel.as_posix()))
                    log.info("knowledge: section %s (%s) replaced by %s", *key, rel.as_posix())
                by_key[key] = section
    return list(by_key.values())


# --- Markdown to plain text -------------------------------------------------------------

_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_EMPH = re.compile(r"(\*\*|__)(.+?)\1")
_CODE = re.compile(r"`([^`]*)`")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def markdown_to_text(body: str) -> str:
    """Plain text for display: no emphasis markers, tables as `cell: cell` lines."""
    out: list[str] = []
    rows: list[list[str]] = []

    def flush_table() -> None:
        if not rows:
            return
        for cells in rows[1:] if len(rows) > 1 else rows:
            sep = "：" if any(_CJK.search(c) for c in cells) else ": "
            out.append(sep.join(cells[:1]) + (sep + ", ".join(cells[1:]) if len(cells) > 1 else ""))
        rows.clear()

    for line in body.splitlines():
        stripped = line.strip()
        if stripped.startswith("|"):
            if not _TABLE_RULE.match(stripped):
                rows.append([c.strip() for c in stripped.strip("|").split("|")])
            continue
        flush_table()
        line = re.sub(r"^(\s*)#{1,6}\s+", r"\1", line)
        out.append(line.rstrip())
    flush_table()
    text = "\n".join(out)
    text = _COMMENT.sub("", text)
    text = _EMPH.sub(r"\2", text)
    text = _CODE.sub(r"\1", text)
    text = _LINK.sub(r"\1 (\2)", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return unicodedata.normalize("NFC", text).strip()
