"""The knowledge base: load the policy texts, retrieve sections, answer with sources.

    kb = KnowledgeBase.load()                      # the repository's knowledge/ directory
    ans = kb.ask("退款到银行卡要多久?")             # Answer(answer, confident, sources)
    kb.section("arrival-times", lang="en")         # Source | None

Answers are extractive: the sentences of the best sections that match the question, each
under its section title and id. `confident` is False when the question is not covered by
the texts (little of the question's vocabulary occurs in the best section); the answer then
says so and points to a person.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bot.knowledge.chunking import DEFAULT_MAX_CHARS, Chunk, chunk_sections
from bot.knowledge.lexical import BM25Index, TfidfIndex
from bot.knowledge.loader import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    LoadReport,
    Section,
    load_sections,
    normalize_lang,
)
from bot.knowledge.rankers import DenseIndex, EmbedderLike, FusionRanker, Ranker, Ranking
from bot.knowledge.textproc import (
    char_ngrams,
    detect_lang,
    gate_words,
    query_char_ngrams,
    query_word_tokens,
    word_tokens,
)
from bot.paths import project_dir

if TYPE_CHECKING:
    from bot.knowledge.retrievers import ChunkRetriever

log = logging.getLogger(__name__)

DEFAULT_DIR = project_dir("knowledge")
KNOWLEDGE_DIR_ENV = "KNOWLEDGE_DIR"

Mode = Literal["bm25", "tfidf", "lexical", "embeddings", "hybrid"]
MODES: tuple[str, ...] = ("bm25", "tfidf", "lexical", "embeddings", "hybrid")

# The confidence gate. A question is covered when most of its content words occur in the
# knowledge texts: score = (known words / content words) * min(1, known words / 2), and the
# answer is confident when score >= MIN_CONFIDENCE (and something was retrieved). Measured
# on tests/data/retrieval_questions.jsonl with bench/eval_retrieval.py (docs/knowledge.md).
MIN_CONFIDENCE = 0.4
CONTACT_SECTION = "contact-support"


@dataclass(frozen=True)
class Source:
    """A section that supports an answer."""

    id: str
    title: str
    text: str
    score: float
    lang: str = DEFAULT_LANGUAGE

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    answer: str
    confident: bool
    sources: list[Source] = field(default_factory=list)
    lang: str = DEFAULT_LANGUAGE
    confidence: float = 0.0  # the gate's evidence: 0..1, higher is better covered

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "confident": self.confident,
            "sources": [s.to_dict() for s in self.sources],
            "lang": self.lang,
            "confidence": round(self.confidence, 4),
        }


class _LangIndex:
    """The rankers for one answer language, over that language's chunks."""

    def __init__(self, chunks: list[Chunk]):
        self.chunks = chunks
        texts = [c.index_text for c in chunks]
        self.bm25 = BM25Index(texts, word_tokens, query_tokenizer=query_word_tokens)
        self.tfidf = TfidfIndex(texts, char_ngrams, query_tokenizer=query_char_ngrams)
        # the confidence gate's vocabulary: the words of the texts and titles (aliases are
        # for ranking only, so a buyer word listed there does not make a question covered)
        self.vocabulary = frozenset(w for c in chunks for w in word_tokens(f"{c.title}\n{c.text}"))
        self.lexical = FusionRanker([self.bm25, self.tfidf], method="rrf", rrf_k=10)
        self.embeddings: DenseIndex | None = None
        self.hybrid: FusionRanker | None = None

    def add_embeddings(self, dense: DenseIndex) -> None:
        self.embeddings = dense
        self.hybrid = FusionRanker([self.bm25, self.tfidf, dense], method="rrf", rrf_k=10)

    def ranker(self, mode: str) -> Ranker:
        found = getattr(self, mode, None) if mode in MODES else None
        if found is None:
            raise ValueError(f"retriever {mode!r} is not available (embeddings not loaded?)")
        return found


class KnowledgeBase:
    def __init__(
        self,
        sections: Sequence[Section],
        *,
        embedder: EmbedderLike | None = None,
        cache_dir: Path | str | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
        report: LoadReport | None = None,
    ) -> None:
        self.report = report or LoadReport()
        self._sections: dict[tuple[str, str], Section] = {(s.id, s.lang): s for s in sections}
        self._texts: dict[tuple[str, str], str] = {key: s.text for key, s in self._sections.items()}
        self._indexes: dict[str, _LangIndex] = {}
        self.embedder = embedder
        self.vector_cache = None
        for lang in LANGUAGES:
            chosen = self._sections_for(lang)
            self._indexes[lang] = _LangIndex(chunk_sections(chosen, max_chars))
        if embedder is not None:
            from bot.knowledge.embeddings import VectorCache

            self.vector_cache = VectorCache(cache_dir)
            all_chunks = [c for lang in LANGUAGES for c in self._indexes[lang].chunks]
            unique = {c.chunk_id: c for c in all_chunks}
            ordered = sorted(unique)
            vectors = self.vector_cache.vectors(embedder, [unique[cid].index_text for cid in ordered])
            by_id = dict(zip(ordered, vectors, strict=True))
            for index in self._indexes.values():
                index.add_embeddings(DenseIndex([by_id[c.chunk_id] for c in index.chunks], embedder))
        self.default_mode: str = "hybrid" if embedder is not None else "lexical"

    # --- construction -------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        directory: Path | str | Sequence[Path | str] | None = None,
        *,
        embeddings: bool | EmbedderLike = False,
        cache_dir: Path | str | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> KnowledgeBase:
        """Load every `.md`/`.txt` file under `directory` (None: the repository's knowledge/).

        `directory` may also be a list: later directories override sections (same id and
        language) of earlier ones. `embeddings=True` adds the bundled multilingual model
        (needs the `embeddings` extra); an `Embeddings` instance may be passed instead.
        """
        report = LoadReport()
        sections = load_sections(DEFAULT_DIR if directory is None else directory, report)
        embedder: EmbedderLike | None = None
        if embeddings is True:
            from bot.knowledge.embeddings import load_default_embedder

            embedder = load_default_embedder()
        elif embeddings is not False and embeddings is not None:
            if not (hasattr(embeddings, "embed_query") and hasattr(embeddings, "embed_documents")):
                raise TypeError("embeddings must be a bool or a LangChain Embeddings object")
            embedder = embeddings
        return cls(sections, embedder=embedder, cache_dir=cache_dir, max_chars=max_chars, report=report)

    def _sections_for(self, lang: str) -> list[Section]:
        """Sections in `lang`, plus the other language's sections that have no `lang` version."""
        own = [s for (sid, slang), s in self._sections.items() if slang == lang]
        have = {s.id for s in own}
        others = [s for (sid, slang), s in self._sections.items() if slang != lang and sid not in have]
        others.sort(key=lambda s: LANGUAGES.index(s.lang) if s.lang in LANGUAGES else 99)
        seen: set[str] = set()
        fallback = []
        for s in others:
            if s.id not in seen:
                seen.add(s.id)
                fallback.append(s)
        return own + fallback

    # --- lookup -------------------------------------------------------------------------

    def section_ids(self) -> set[str]:
        return {sid for sid, _lang in self._sections}

    def section(self, section_id: str, lang: str = DEFAULT_LANGUAGE) -> Source | None:
        """The section with this id in `lang`, falling back to the other language."""
        lang = normalize_lang(lang) or DEFAULT_LANGUAGE
        found = self._sections.get((section_id, lang))
        if found is None:
            found = next(
                (self._sections[(section_id, other)] for other in LANGUAGES if (section_id, other) in self._sections),
                None,
            )
        if found is None:
            return None
        text = self._texts[(found.id, found.lang)]
        return Source(id=found.id, title=found.title, text=text, score=1.0, lang=found.lang)

    def sections(self) -> list[Section]:
        return list(self._sections.values())

    def retriever(self, lang: str = DEFAULT_LANGUAGE, mode: str | None = None, k: int = 4) -> ChunkRetriever:
        """A LangChain retriever for `lang` (`mode`: bm25, tfidf, lexical, embeddings, hybrid).

        It wraps the same ranker that `search` and `ask` use, so its ranking is identical.
        """
        from bot.knowledge import retrievers

        index = self._indexes[normalize_lang(lang) or DEFAULT_LANGUAGE]
        mode = mode or self.default_mode
        cls = {
            "bm25": retrievers.BM25Retriever,
            "tfidf": retrievers.CharNgramRetriever,
            "lexical": retrievers.FusionRetriever,
            "hybrid": retrievers.FusionRetriever,
            "embeddings": retrievers.EmbeddingRetriever,
        }.get(mode)
        if cls is None:
            raise ValueError(f"unknown retriever {mode!r}; one of {', '.join(MODES)}")
        return cls(chunks=index.chunks, ranker=index.ranker(mode), k=k)

    # --- retrieval ----------------------------------------------------------------------

    def search(
        self, question: str, lang: str | None = None, k: int = 3, *, mode: str | None = None
    ) -> list[Source]:
        """The `k` best sections for the question (chunk scores aggregated by max)."""
        lang = normalize_lang(lang) or detect_lang(question)
        index = self._indexes[lang]
        ranking = index.ranker(mode or self.default_mode).search(question, None)
        return self._to_sources(index, ranking, k)

    def _to_sources(self, index: _LangIndex, ranking: Ranking, k: int) -> list[Source]:
        sources: list[Source] = []
        seen: set[str] = set()
        for chunk_idx, score in ranking:
            chunk = index.chunks[chunk_idx]
            if chunk.section_id in seen:
                continue
            seen.add(chunk.section_id)
            key = (chunk.section_id, chunk.lang)
            section = self._sections[key]
            sources.append(Source(section.id, section.title, self._texts[key], round(score, 6), section.lang))
            if len(sources) >= k:
                break
        return sources

    def confidence(self, question: str, lang: str | None = None) -> float:
        """How well the knowledge texts cover the question's vocabulary, 0..1."""
        lang = normalize_lang(lang) or detect_lang(question)
        vocabulary = self._indexes[lang].vocabulary
        words = gate_words(question)
        if not words:
            return 0.0
        known = sum(1 for w, stand_ins in words if w in vocabulary or any(s in vocabulary for s in stand_ins))
        return (known / len(words)) * min(1.0, known / 2)

    def ask(self, question: str, lang: str | None = None, k: int = 3, *, mode: str | None = None) -> Answer:
        """Answer from the knowledge texts, with the sections used as sources."""
        lang = normalize_lang(lang) or detect_lang(question)
        question = question.strip()
        if not question:
            return Answer(_not_sure(lang, self.section(CONTACT_SECTION, lang)), False, [], lang, 0.0)
        sources = self.search(question, lang, k, mode=mode)
        score = self.confidence(question, lang)
        confident = bool(sources) and score >= MIN_CONFIDENCE
        if not confident:
            contact = self.section(CONTACT_SECTION, lang)
            return Answer(_not_sure(lang, contact), False, sources, lang, score)
        return Answer(compose_answer(question, sources, lang), True, sources, lang, score)


# --- answer text ------------------------------------------------------------------------

_SENTENCE = re.compile(r"[^。!?;!?\n]+[。!?;!?]?|[^\n]+")
_EN_SENTENCE = re.compile(r"[^\n]+?(?:[.!?;](?=\s|$)|$)")


@lru_cache(maxsize=1024)
def _units(text: str, lang: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """Lines of the text (long lines split into sentences), each with its word set."""
    return tuple((unit, frozenset(word_tokens(unit))) for unit in _split_units(text, lang))


def _split_units(text: str, lang: str) -> list[str]:
    """Lines of the text, long lines split into sentences."""
    units: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if len(line) <= (120 if lang == "zh" else 220):
            units.append(line)
            continue
        pattern = _EN_SENTENCE if lang == "en" else _SENTENCE
        units.extend(p.strip() for p in pattern.findall(line) if p.strip())
    return units


def extract(question: str, text: str, lang: str, budget: int) -> str:
    """The sentences of `text` that best match the question, in their order, within budget."""
    pairs = _units(text, lang)
    if not pairs:
        return ""
    units = [unit for unit, _words in pairs]
    terms = set(query_word_tokens(question))
    scored = []
    for i, (_unit, words) in enumerate(pairs):
        overlap = sum(1.0 + 0.3 * math.log(len(t) + 1) for t in terms & words)
        scored.append((overlap, -i, i))
    scored.sort(reverse=True)
    chosen: list[int] = []
    used = 0
    for overlap, _neg, i in scored:
        if overlap <= 0 and chosen:
            break
        cost = len(units[i]) + 1
        if chosen and used + cost > budget:
            continue
        chosen.append(i)
        used += cost
        if used >= budget:
            break
    # the lead sentence gives the section's rule in general form: keep it when it fits
    if 0 not in chosen and used + len(units[0]) <= budget:
        chosen.append(0)
        used += len(units[0]) + 1
    # fill what is left of the budget in reading order, so a broad question gets the list
    for i, unit in enumerate(units):
        if i not in chosen and used + len(unit) + 1 <= budget:
            chosen.append(i)
            used += len(unit) + 1
    chosen.sort()
    parts: list[str] = []
    previous = -1
    for i in chosen:
        if previous >= 0 and i != previous + 1:
            parts.append("…")
        parts.append(units[i])
        previous = i
    out = "\n".join(parts)
    if len(out) > budget * 1.5:
        out = out[: int(budget * 1.5)].rstrip() + "…"
    return out


def compose_answer(question: str, sources: Sequence[Source], lang: str, max_sections: int = 2) -> str:
    """The best section (and the second when it ranks nearly as high), trimmed to the
    sentences that match the question, each under its title and id."""
    if not sources:
        return ""
    best = sources[0].score or 1.0
    picked = [sources[0]] + [s for s in sources[1:max_sections] if s.score >= 0.95 * best]
    budget = 300 if lang == "zh" else 600
    blocks = []
    for source in picked:
        body = source.text if len(source.text) <= budget else extract(question, source.text, lang, budget)
        if lang == "zh":
            blocks.append(f"【{source.title}】(#{source.id})\n{body}")
        else:
            blocks.append(f"[{source.title}] (#{source.id})\n{body}")
    lead = "根据平台规则:" if lang == "zh" else "From the platform's rules:"
    return lead + "\n\n" + "\n\n".join(blocks)


def _not_sure(lang: str, contact: Source | None) -> str:
    if lang == "zh":
        text = "抱歉,平台的规则里没有找到能确切回答这个问题的内容,我不想猜。建议联系平台人工客服。"
    else:
        text = (
            "Sorry, I could not find anything in the platform's rules that clearly answers this, "
            "and I would rather not guess. Please ask a person at platform support."
        )
    if contact is not None:
        text += "\n\n" + (f"【{contact.title}】\n" if lang == "zh" else f"[{contact.title}]\n") + contact.text
    return text
