"""Answers: the fact asked for first, taken sentence by sentence from the best section.

    compose_answer("退到银行卡要几天", sources, "zh")
    # "银行卡：2–5 个工作日（银行清算）。\n\n退款多久能到账？……\n\n依据：「退款到账时间」"

The question says which kind of fact it wants (a time, an amount or fee, a next step, a
yes or no); every sentence of the best section is scored by the question's words it shares
and by whether it holds a fact of that kind (a number with a time unit, a percentage or an
amount, an instruction). The best sentence opens the answer; the section's other matching
sentences follow; the answer ends with the titles of the sections it came from. Section ids
are internal: they never appear in an answer. Every fixed text comes from the locale files
(`bot/locales/<lang>/knowledge.toml`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from bot.i18n import Translator
from bot.knowledge.calibration import Evidence
from bot.knowledge.loader import DEFAULT_LANGUAGE
from bot.knowledge.normalise import normalise
from bot.knowledge.textproc import query_word_tokens, word_tokens


@dataclass(frozen=True)
class Source:
    """A section that supports an answer."""

    id: str
    title: str
    text: str
    score: float
    lang: str = DEFAULT_LANGUAGE
    kind: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    answer: str
    confident: bool
    sources: list[Source] = field(default_factory=list)
    lang: str = DEFAULT_LANGUAGE
    confidence: float = 0.0  # the gate's evidence: 0..1, higher is better covered
    lead: str = ""  # the first sentence: the fact asked for
    # what the ranking says about its best section (margin, channel agreement, ...)
    evidence: Evidence | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "confident": self.confident,
            "sources": [s.to_dict() for s in self.sources],
            "lang": self.lang,
            "confidence": round(self.confidence, 4),
            "lead": self.lead,
        }


# --- what the question asks for ---------------------------------------------------------

_ASKS = {
    "time": re.compile(
        r"多久|几天|几小时|多久内|多少天|几个小时|多长时间|什么时候|何时|期限|时限|截止|几号|时间|"
        r"how long|how soon|when|deadline|time limit|how many (?:days|hours)|within|still in time"
    ),
    "money": re.compile(
        r"多少钱|扣多少|退多少|多少|手续费|费用|扣费|比例|收费|全额|"
        r"how much|fee|charge|cost|percent|deduct|keep|full refund|all my money|amount"
    ),
    "step": re.compile(
        r"怎么办|怎么|如何|怎样|在哪|哪里|找谁|去哪|要做什么|该做什么|步骤|流程|"
        r"what (?:should|do|can|must) i|how (?:do|can|should) i|where|who|what now|next step|what to do"
    ),
    "yesno": re.compile(
        r"能不能|可不可以|可以|能否|是否|能.{0,12}吗|会不会|算不算|can i|could i|is it|will i|do i|am i"
    ),
}

_FACTS = {
    "time": re.compile(
        r"\d+\s*(?:[–-]\s*\d+\s*)?(?:个)?(?:工作日|天|小时|分钟|日)|即时|次日|t\+1|秒到|当天|"
        r"\d+\s*(?:[–-]\s*\d+\s*)?(?:working days?|business days?|days?|hours?|minutes?)|instantly|next day|same day"
    ),
    "money": re.compile(
        r"\d+(?:\.\d+)?\s*%|\d+(?:\.\d+)?\s*元|全额|不扣|免费|差额|"
        r"full refund|full amount|no fee|free of charge|the excess|\d+(?:\.\d+)?\s*(?:yuan|rmb)"
    ),
    "step": re.compile(
        r"请|先|点|打开|联系|申请|提交|发起|报警|选择|进入|找到|准备|保留|上传|截图|拨打|投诉|"
        r"\b(?:contact|open|tap|apply|submit|call|report|go to|ask|choose|keep|upload|take|check|file)\b"
    ),
    "yesno": re.compile(
        r"可以|不能|不支持|不会|无法|不予|不受理|能|可|不扣|"
        r"\b(?:can|cannot|can't|not|no|never|only|yes)\b"
    ),
}


def asked_kinds(question: str) -> frozenset[str]:
    """The kinds of fact a question asks for: time, money, step, yesno (maybe none)."""
    text = normalise(question)
    return frozenset(kind for kind, pattern in _ASKS.items() if pattern.search(text))


@lru_cache(maxsize=8192)  # the texts' sentences: a fixed set
def fact_kinds(sentence: str) -> frozenset[str]:
    text = normalise(sentence)
    return frozenset(kind for kind, pattern in _FACTS.items() if pattern.search(text))


# --- sentences ------------------------------------------------------------------------

_ZH_SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]?")
_EN_SENTENCE = re.compile(r"[^\n]+?(?:[.!?;](?=\s|$)|$)")
_DIGIT = re.compile(r"\d")
_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)、])\s*")


def sentences(text: str, lang: str) -> tuple[str, ...]:
    """The sentences of a section's text: list items and table rows are sentences too."""
    return tuple(sentence for sentence, _line in _sentences(text, lang))


@lru_cache(maxsize=1024)
def _sentences(text: str, lang: str) -> tuple[tuple[str, int], ...]:
    out: list[tuple[str, int]] = []
    pattern = _EN_SENTENCE if lang == "en" else _ZH_SENTENCE
    for number, line in enumerate(text.splitlines()):
        line = _ITEM.sub("", line).strip()
        if not line:
            continue
        out.extend((p.strip(), number) for p in pattern.findall(line) if p.strip())
    return tuple(out)


@lru_cache(maxsize=1024)
def _units(text: str, lang: str) -> tuple[tuple[str, frozenset[str]], ...]:
    return tuple((unit, frozenset(word_tokens(unit))) for unit in sentences(text, lang))


def _overlap(terms: set[str], words: frozenset[str]) -> float:
    return sum(1.0 + 0.3 * math.log(len(t) + 1) for t in terms & words)


def lead_sentence(question: str, text: str, lang: str) -> str:
    """The sentence of `text` that best states what the question asks for."""
    units = _units(text, lang)
    if not units:
        return ""
    terms = set(query_word_tokens(question))
    kinds = asked_kinds(question)
    best, best_score = 0, -1.0
    for i, (unit, words) in enumerate(units):
        # shared words, a little less for long sentences (they share words by size alone)
        score = _overlap(terms, words) / (1.0 + len(words) / 20.0)
        found = fact_kinds(unit) & kinds
        if found:
            # a sentence holding the kind of fact asked for beats one that only repeats
            # the question's words; time and money are the most specific facts
            score += 2.0 + sum(
                1.5 if _DIGIT.search(unit) else 0.5 for k in found if k in ("time", "money")
            )
        if unit.endswith(("：", ":")):
            score -= 2.0  # the introduction of a list, not a fact
        if unit.endswith(("？", "?")):
            score -= 3.0  # a heading-like question in the text is not an answer
        if unit.startswith(("“", '"')) and unit.rstrip("；;。.，,").endswith(("”", '"')):
            score -= 3.0  # a quotation (a scammer's line, a merchant's claim) is not the answer
        if i == 0:
            score += 1.0  # the section's first sentence states its rule in general form
        if "step" in found:
            score += 1.0 - 0.4 * min(i, 5)  # "what do I do": an instruction, the first step first
        if score > best_score:
            best, best_score = i, score
    return _as_sentence(units[best][0], lang)


def _as_sentence(unit: str, lang: str) -> str:
    unit = unit.rstrip("；;，,:： ")
    if lang == "zh":
        return unit if unit.endswith(("。", "！", "？", "”", "）")) else unit + "。"
    return unit if unit.endswith((".", "!", "?", '"', ")")) else unit + "."


def extract(question: str, text: str, lang: str, budget: int, *, skip: str = "") -> str:
    """The sentences of `text` that match the question, in reading order, within budget;
    `skip` (the lead sentence) is left out."""
    units = [unit for unit, _words in _units(text, lang)]
    words = [w for _unit, w in _units(text, lang)]
    skip_core = skip.rstrip("。.!！")
    keep = [i for i, unit in enumerate(units) if unit.rstrip("；;，,:：。.!！ ") != skip_core]
    terms = set(query_word_tokens(question))
    ranked = sorted(keep, key=lambda i: (-_overlap(terms, words[i]), i))
    chosen: list[int] = []
    used = 0
    for i in ranked:  # the matching sentences first, then the rest in reading order
        cost = len(units[i]) + 1
        if used + cost > budget:
            continue
        chosen.append(i)
        used += cost
    chosen.sort()
    lines = [line for _sentence, line in _sentences(text, lang)]
    out = ""
    previous = -1
    for i in chosen:
        if previous >= 0 and i != previous + 1:
            out += "\n…\n"
        elif previous >= 0:
            out += ("" if lang == "zh" else " ") if lines[i] == lines[previous] else "\n"
        out += units[i]
        previous = i
    return out


def compose_answer(
    question: str, sources: Sequence[Source], lang: str, max_sections: int = 2
) -> tuple[str, str]:
    """The answer text and its lead sentence (see the module docstring)."""
    if not sources:
        return "", ""
    t = Translator(lang)
    top = sources[0]
    if top.kind == "smalltalk":
        return top.text, top.text
    best = top.score or 1.0
    picked = [top] + [
        s for s in sources[1:max_sections] if s.score >= 0.95 * best and s.kind != "smalltalk"
    ]
    lead = lead_sentence(question, top.text, lang)
    budget = 260 if lang == "zh" else 520
    body = extract(question, top.text, lang, budget, skip=lead)
    blocks = [lead]
    if body:
        blocks.append(body)
    for extra in picked[1:]:
        other = lead_sentence(question, extra.text, lang)
        if other and other != lead:
            blocks.append(t("knowledge.also", title=extra.title, text=other))
    titles = t("knowledge.title_separator").join(
        t("knowledge.title", title=s.title) for s in picked
    )
    blocks.append(t("knowledge.from_titles", titles=titles))
    return "\n\n".join(blocks), lead


def not_sure_answer(lang: str, contact: Source | None) -> str:
    t = Translator(lang)
    text = t("knowledge.not_sure")
    if contact is not None:
        text += "\n\n" + t("knowledge.contact", title=contact.title, text=contact.text)
    return text
