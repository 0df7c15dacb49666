"""Small talk: greetings and thanks answered from the knowledge base's own sections.

(Also: a message that is exactly an alias of another section, or a question about the
assistant itself that `meta_questions.toml` describes, see `SmallTalk.alias`.)

A section whose heading carries the class `.smalltalk` (`## 问候 {#greeting .smalltalk}`)
lists the courtesies it answers as aliases. A message made only of such courtesies (and
punctuation, emoji, particles) gets that section; a courtesy in front of a real question
("你好，退款多久到账") is dropped before the question is searched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from bot.knowledge.loader import Section
from bot.knowledge.normalise import normalise
from bot.knowledge.textproc import pattern_families

SMALLTALK = "smalltalk"
META_FILE = Path(__file__).resolve().parent / "meta_questions.toml"

# what may surround a courtesy: punctuation, symbols, emoji, particles and address words
_FILLER = re.compile(
    r"[\s\W_]+|[啊呀呢吧哦哈嘛啦哇噢喔~]+|^(?:亲|老板|客服|bot|there)(?=\W|$)", re.UNICODE
)


# an address word after the courtesy ("thx bro", "谢谢，亲"), as a word of its own: after a
# space (punctuation is squashed to one), never the end of a longer word ("human", "父亲")
_ADDRESSEE = re.compile(
    r"(?<= )(?:bro|bruh|man|dude|mate|buddy|guys|sir|madam|bot|亲|哥|姐|兄弟|老板|客服|亲爱的)$"
)


def _squash(text: str) -> str:
    squashed = _FILLER.sub(" ", normalise(text)).strip()
    return _ADDRESSEE.sub("", squashed).strip()


_CJK_CHAR = re.compile(r"[\u3400-\u9fff]")
_NO_CJK_AFTER = r"(?![\u3400-\u9fff])"
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])")


@lru_cache(maxsize=4)
def meta_patterns(path: Path = META_FILE) -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    """(section id, language, pattern) of every meta-question family in `path`."""
    return pattern_families(path, "intent", "section")


class SmallTalk:
    """Matches whole courtesy messages to small-talk sections, per language."""

    def __init__(self, sections: Iterable[Section]) -> None:
        sections = list(sections)
        self._sections = {s.id for s in sections}
        self._phrases: dict[str, dict[str, str]] = {}  # lang -> squashed phrase -> section id
        self._aliases: dict[str, dict[str, str]] = {}  # other sections' aliases, whole messages
        for section in sections:
            if section.kind != SMALLTALK:
                aliases = self._aliases.setdefault(section.lang, {})
                for alias in section.aliases:
                    phrase = _squash(alias)
                    if len(phrase) >= 2:
                        aliases.setdefault(phrase, section.id)
                continue
            table = self._phrases.setdefault(section.lang, {})
            for alias in section.aliases:
                phrase = _squash(alias)
                if phrase:
                    table.setdefault(phrase, section.id)
        self._patterns: dict[str, re.Pattern[str]] = {}
        # the courtesies in front of a question: one of a single Chinese character (好, 在,
        # 嗨) only when no Chinese character follows it, or it starts a word ("好评返现是真的
        # 吗" is not "评返现是真的吗")
        self._leading: dict[str, re.Pattern[str]] = {}
        for lang, table in self._phrases.items():
            keys = sorted(table, key=lambda k: (-len(k), k))
            body = "|".join(re.escape(k) for k in keys)
            self._patterns[lang] = re.compile(rf"(?:(?<![a-z0-9])(?:{body})(?![a-z0-9])\s*)+")
            lead = "|".join(
                re.escape(k) + (_NO_CJK_AFTER if _CJK_CHAR.fullmatch(k) else "") for k in keys
            )
            self._leading[lang] = re.compile(rf"(?:(?<![a-z0-9])(?:{lead})(?![a-z0-9])\s*)+")

    def match(self, question: str, lang: str) -> str | None:
        """The small-talk section id when the whole message is courtesy, else None."""
        squashed = _squash(question)
        if not squashed:
            return None
        for table_lang in (lang, *(k for k in self._phrases if k != lang)):
            pattern = self._patterns.get(table_lang)
            if pattern is None:
                continue
            if pattern.fullmatch(squashed):
                # the last courtesy decides: "你好 谢谢" is thanks
                table = self._phrases[table_lang]
                ends = [phrase for phrase in table if squashed.endswith(phrase)]
                return table[max(ends, key=len)] if ends else None
        return None

    def alias(self, question: str, lang: str) -> str | None:
        """The section whose alias is the whole message ("what can you do", "订单号在哪"),
        or whose meta-question family (`meta_questions.toml`) the message belongs to ("你会些
        什么", "am I talking to a bot?"): such a message is answered from that section even
        when all its words are common."""
        squashed = _squash(question)
        named = self._aliases.get(lang, {}).get(squashed)
        if named is not None:
            return named
        joined = _CJK_SPACE.sub("", " ".join(squashed.split()))
        for section, _lang, pattern in meta_patterns():
            if section in self._sections and pattern.search(joined):
                return section
        return None

    def strip(self, question: str, lang: str) -> str:
        """The question without courtesies in front ("你好，请问退款多久到账" -> "请问退款多久到账")."""
        pattern = self._leading.get(lang)
        if pattern is None:
            return question
        norm = normalise(question)
        head = re.match(r"^[\s\W_]*", norm)
        start = head.end() if head else 0
        match = pattern.match(norm, start)
        if match is None or match.end() == start:
            return question
        rest = norm[match.end() :].lstrip(" ,.!?;:，。！？；：~")
        return rest or question
