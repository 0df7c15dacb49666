"""The knowledge base: load the texts, retrieve sections, answer with the fact asked.

    kb = KnowledgeBase.load()                      # the repository's knowledge/ directory
    ans = kb.ask("退款到银行卡要多久?")             # Answer(answer, confident, sources, lead)
    kb.section("arrival-times", lang="en")         # Source | None

The pieces live in their own modules: `normalise` (buyers' spellings), `index` (the rankers
of one language), `gate` (is the answer confident), `answers` (sentence-level answers with
section titles, never ids), `smalltalk` (greetings and thanks).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.knowledge import calibration, gate, rerank
from bot.knowledge.answers import (
    Answer,
    Source,
    asked_kinds,
    compose_answer,
    fact_kinds,
    not_sure_answer,
    sentences,
)
from bot.knowledge.chunking import DEFAULT_MAX_CHARS, chunk_sections
from bot.knowledge.index import MODES, LangIndex
from bot.knowledge.loader import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    LoadReport,
    Section,
    load_sections,
    normalize_lang,
)
from bot.knowledge.rankers import DenseIndex, EmbedderLike, Ranking
from bot.knowledge.smalltalk import SMALLTALK, SmallTalk
from bot.knowledge.textproc import ZH_STOPWORDS, detect_lang, gate_words, query_word_tokens
from bot.paths import project_dir

if TYPE_CHECKING:
    from bot.knowledge.retrievers import ChunkRetriever

log = logging.getLogger(__name__)

DEFAULT_DIR = project_dir("knowledge")
KNOWLEDGE_DIR_ENV = "KNOWLEDGE_DIR"
CONTACT_SECTION = "contact-support"
MIN_CONFIDENCE = gate.MIN_CONFIDENCE

__all__ = ["DEFAULT_DIR", "KNOWLEDGE_DIR_ENV", "MODES", "Answer", "KnowledgeBase", "Source"]


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
        self._indexes: dict[str, LangIndex] = {}
        self.smalltalk = SmallTalk(sections)
        self.embedder = embedder
        self.vector_cache = None
        for lang in LANGUAGES:
            chosen = [s for s in self._sections_for(lang) if s.kind != SMALLTALK]
            self._indexes[lang] = LangIndex(chunk_sections(chosen, max_chars), chosen)
        if embedder is not None:
            from bot.knowledge.embeddings import VectorCache

            self.vector_cache = VectorCache(cache_dir)
            all_chunks = [c for lang in LANGUAGES for c in self._indexes[lang].chunks]
            unique = {c.chunk_id: c for c in all_chunks}
            ordered = sorted(unique)
            # the example questions (and titles) are embedded too, in the same cache file
            examples = sorted(
                {t for lang in LANGUAGES for t in self._indexes[lang].questions.texts}
            )
            texts = [unique[cid].index_text for cid in ordered] + examples
            vectors = self.vector_cache.vectors(embedder, texts)
            by_id = dict(zip(ordered, vectors[: len(ordered)], strict=True))
            by_text = dict(zip(examples, vectors[len(ordered) :], strict=True))
            for index in self._indexes.values():
                asked = index.questions
                index.add_embeddings(
                    DenseIndex([by_id[c.chunk_id] for c in index.chunks], embedder),
                    DenseIndex([by_text[t] for t in asked.texts], embedder, owners=asked.owner)
                    if asked.texts
                    else None,
                )
        self.default_mode: str = "hybrid" if embedder is not None else "lexical"
        # the learned reranker of the best few sections (None: the fused ranking as it is)
        self.reranker: rerank.RerankModel | None = rerank.default_model()

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
        return cls(
            sections, embedder=embedder, cache_dir=cache_dir, max_chars=max_chars, report=report
        )

    def _sections_for(self, lang: str) -> list[Section]:
        """Sections in `lang`, plus the other language's sections that have no `lang` version."""
        own = [s for (_sid, slang), s in self._sections.items() if slang == lang]
        have = {s.id for s in own}
        others = [
            s for (sid, slang), s in self._sections.items() if slang != lang and sid not in have
        ]
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
                (
                    self._sections[(section_id, other)]
                    for other in LANGUAGES
                    if (section_id, other) in self._sections
                ),
                None,
            )
        if found is None:
            return None
        text = self._texts[(found.id, found.lang)]
        return Source(
            id=found.id, title=found.title, text=text, score=1.0, lang=found.lang, kind=found.kind
        )

    def sections(self) -> list[Section]:
        return list(self._sections.values())

    def retriever(
        self, lang: str = DEFAULT_LANGUAGE, mode: str | None = None, k: int = 4
    ) -> ChunkRetriever:
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
        """The `k` best sections for the question (chunk scores aggregated by max). Like
        `ask`, a message made of courtesies gets its small-talk section, and a message that
        is a section's alias gets that section first."""
        lang = normalize_lang(lang) or detect_lang(question)
        question = question.strip()
        courtesy = self.smalltalk.match(question, lang) if question else None
        if courtesy is not None and (found := self.section(courtesy, lang)) is not None:
            return [found]
        question, named = self._strip_courtesy(question, lang)
        index = self._indexes[lang]
        ranking, parts = index.rank(mode or self.default_mode, question)
        score = self._coverage(index, question)
        reranked = self._rerank(index, lang, question, ranking, parts, score)
        if reranked is not None:
            ranking = rerank.reorder(ranking, index.section_of, reranked.sections)
        sources = self._to_sources(index, ranking, k)
        if named is not None and (found := self.section(named, lang)) is not None:
            sources = [found, *(s for s in sources if s.id != named)][:k]
        return sources

    def _to_sources(self, index: LangIndex, ranking: Ranking, k: int) -> list[Source]:
        sources: list[Source] = []
        seen: set[str] = set()
        for chunk_idx, score in ranking:
            chunk = index.chunks[chunk_idx]
            if chunk.section_id in seen:
                continue
            seen.add(chunk.section_id)
            key = (chunk.section_id, chunk.lang)
            section = self._sections[key]
            sources.append(
                Source(
                    section.id,
                    section.title,
                    self._texts[key],
                    round(score, 6),
                    section.lang,
                    section.kind,
                )
            )
            if len(sources) >= k:
                break
        return sources

    def confidence(self, question: str, lang: str | None = None) -> float:
        """How well the knowledge texts cover the question's vocabulary, 0..1."""
        lang = normalize_lang(lang) or detect_lang(question)
        return self._coverage(self._indexes[lang], question)

    def ask(
        self, question: str, lang: str | None = None, k: int = 3, *, mode: str | None = None
    ) -> Answer:
        """Answer from the knowledge texts, with the sections used as sources."""
        lang = normalize_lang(lang) or detect_lang(question)
        question = question.strip()
        courtesy = self.smalltalk.match(question, lang) if question else None
        if courtesy is not None:
            found = self.section(courtesy, lang)
            if found is not None:
                return Answer(found.text, True, [found], lang, 1.0, found.text)
        question, named = self._strip_courtesy(question, lang)
        if not question:
            return Answer(
                not_sure_answer(lang, self.section(CONTACT_SECTION, lang)), False, [], lang, 0.0
            )
        index = self._indexes[lang]
        ranking, parts = index.rank(mode or self.default_mode, question)
        found_evidence = self._evidence(index, question, ranking, parts)
        score = self._coverage(index, question)
        reliable = calibration.is_reliable(found_evidence)
        reranked = self._rerank(index, lang, question, ranking, parts, score)
        if reranked is not None and self.reranker is not None:
            # the learned order of the best few sections; its probability for the first
            # one is low when close neighbours' evidence disagrees: unsure
            ranking = rerank.reorder(ranking, index.section_of, reranked.sections)
            reliable = reliable and reranked.best_probability >= self.reranker.min_probability
            if self.reranker.memory is not None and gate.foreign_request(
                gate.foreign_share(
                    gate_words(question),
                    index.vocabulary,
                    self.reranker.memory.words(lang),
                    ZH_STOPWORDS,
                ),
                reranked.nearest,
            ):
                # unlike every labelled buyer question and made partly of words foreign
                # to the domain: a request the assistant does not serve
                score = min(score, gate.RULED_OUT_MAX)
        sources = self._to_sources(index, ranking, k)
        if named is not None and (found := self.section(named, lang)) is not None:
            # the whole message is one of a section's aliases: that section answers it
            sources = [found, *(s for s in sources if s.id != named)][:k]
            score = max(score, 1.0)
            reliable = True
        if not sources or not gate.is_confident(score) or not reliable:
            return Answer(
                not_sure_answer(lang, self.section(CONTACT_SECTION, lang)),
                False,
                sources,
                lang,
                score,
                evidence=found_evidence,
            )
        text, lead = compose_answer(question, sources, lang)
        return Answer(text, True, sources, lang, score, lead, evidence=found_evidence)

    def _strip_courtesy(self, question: str, lang: str) -> tuple[str, str | None]:
        """The question without the courtesies in front, and the section whose alias or
        meta-question it is (None if none). A message that is such an alias as a whole
        keeps its courtesies ("hello anyone there at this hour" is a greeting: dropping
        "hello anyone there" would leave "at this hour" to be searched)."""
        named = self.smalltalk.alias(question, lang)
        if named is not None:
            return question, named
        stripped = self.smalltalk.strip(question, lang)
        if stripped == question:
            return question, None
        return stripped, self.smalltalk.alias(stripped, lang)

    @staticmethod
    def _coverage(index: LangIndex, question: str) -> float:
        """The vocabulary gate's score of the question against one language's texts."""
        return gate.coverage(
            gate_words(question), index.vocabulary, index.topics, ZH_STOPWORDS, question
        )

    def _rerank(
        self,
        index: LangIndex,
        lang: str,
        question: str,
        ranking: Ranking,
        parts: list[Ranking],
        coverage: float,
    ) -> rerank.Reranked | None:
        """The reranker's order of the best sections; None without a model, when the ranking
        is not the fusion of the lexical channels (a single channel's ranking), or when the
        vocabulary gate's `coverage` of the question is not enough (its "maybe related"
        sources keep the fused order)."""
        if self.reranker is None or len(parts) < len(rerank.CHANNELS) or not ranking:
            return None
        if not gate.is_confident(coverage):
            return None  # not covered by the texts: unsure anyway, the fused order stays
        query = index.rerank_query(question)
        if self.reranker.memory is not None:
            # the sections' nearest labelled questions in the answer language; a replaced
            # knowledge folder keeps only the labels naming its own sections
            remembered, votes = self.reranker.memory.recall(question, lang)
            known = {sid: s for sid, s in remembered.items() if sid in index.profiles}
            voted = {sid: v for sid, v in votes.items() if sid in index.profiles}
            query = replace(query, memory=known, votes=voted)
            found = self.reranker.rerank(ranking, parts, index.section_of, query, index.profiles)
            if found is not None:
                found.nearest = max(remembered.values(), default=0.0)
            return found
        return self.reranker.rerank(ranking, parts, index.section_of, query, index.profiles)

    def _evidence(
        self, index: LangIndex, question: str, ranking: Ranking, parts: list[Ranking]
    ) -> calibration.Evidence:
        kinds = asked_kinds(question) - {"yesno"}

        def kind_match(section_id: str) -> bool:
            return not kinds or any(
                kinds & fact_kinds(sentence)
                for chunk in index.chunks
                if chunk.section_id == section_id
                for sentence in sentences(chunk.text, chunk.lang)
            )

        return calibration.evidence(
            ranking,
            parts,
            index.section_of,
            question_words=query_word_tokens(question),
            section_words=lambda sid: index.section_words.get(sid, frozenset()),
            kind_match=kind_match,
        )
