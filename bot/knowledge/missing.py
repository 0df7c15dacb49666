"""What the knowledge base is missing: questions that ended unsure or were marked unhelpful.

Pure functions, no IO: the storage layer keeps the rows, `refund-bot knowledge report`
prints them.

- `anonymise(text)` masks what identifies a buyer: phone numbers, bank card and ID numbers,
  any run of 7 or more digits (order numbers, QQ numbers), e-mail addresses, @handles and
  links. The user id is never stored at all.
- `question_key(text)` is the form questions are grouped by: normalised spelling
  (`normalise`), masked, without punctuation.
- `frequent(rows, kb)` groups stored rows by key, most frequent first, with the sections
  that came closest.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from bot.knowledge.normalise import normalise

MAX_QUESTION = 500
MASK = "*"

UNSURE = "unsure"
UNHELPFUL = "unhelpful"
REASONS = (UNSURE, UNHELPFUL)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{3,}")
# digit runs, allowing the spaces and dashes people type inside card and phone numbers
_DIGITS = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?\d(?:[ -]?\d){6,}(?:[xX])?(?![0-9])")
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def anonymise(text: str) -> str:
    """The question with personal details masked (see the module docstring)."""
    text = " ".join(text.split())[:MAX_QUESTION]
    text = _EMAIL.sub("[email]", text)
    text = _LINK.sub("[link]", text)
    text = _HANDLE.sub("@[user]", text)
    return _DIGITS.sub(lambda m: MASK * min(len(re.sub(r"\D", "", m.group(0))), 19), text)


def question_key(text: str) -> str:
    """The grouping key of an (anonymised) question."""
    return _PUNCT.sub(" ", normalise(anonymise(text))).strip()[:200]


class StoredQuestion(Protocol):
    question: str
    question_key: str
    lang: str
    reason: str
    sections: list[str]
    created_at: datetime


class SectionTitles(Protocol):
    def section(self, section_id: str, lang: str = ...) -> object | None: ...


@dataclass
class Gap:
    """One frequent unanswered question: how often, how it was asked, what came closest."""

    key: str
    lang: str
    count: int
    example: str
    reasons: dict[str, int]
    last_seen: datetime
    closest: list[tuple[str, str]] = field(default_factory=list)  # (section id, title)

    def to_dict(self) -> dict[str, object]:
        return {
            "question": self.example,
            "lang": self.lang,
            "count": self.count,
            "reasons": self.reasons,
            "last_seen": self.last_seen.isoformat(),
            "closest_sections": [{"id": sid, "title": title} for sid, title in self.closest],
        }


def frequent(
    rows: Iterable[StoredQuestion], titles: SectionTitles | None = None, *, limit: int = 20
) -> list[Gap]:
    """Stored questions grouped by key and language, most frequent (then most recent) first."""
    groups: dict[tuple[str, str], list[StoredQuestion]] = {}
    for row in rows:
        groups.setdefault((row.question_key, row.lang), []).append(row)
    gaps: list[Gap] = []
    for (key, lang), members in groups.items():
        members.sort(key=lambda r: r.created_at)
        sections: Counter[str] = Counter()
        for member in members:
            for rank, sid in enumerate(member.sections[:3]):
                sections[sid] += 3 - rank
        gaps.append(
            Gap(
                key=key,
                lang=lang,
                count=len(members),
                example=members[-1].question,
                reasons=dict(Counter(m.reason for m in members)),
                last_seen=members[-1].created_at,
                closest=[(sid, _title(titles, sid, lang)) for sid, _n in sections.most_common(3)],
            )
        )
    gaps.sort(key=lambda g: (-g.count, -g.last_seen.timestamp(), g.key))
    return gaps[:limit]


def _title(titles: SectionTitles | None, section_id: str, lang: str) -> str:
    if titles is None:
        return ""
    found = titles.section(section_id, lang)
    return str(getattr(found, "title", "")) if found is not None else ""
