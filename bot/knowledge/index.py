"""The rankers of one answer language over that language's chunks."""

from __future__ import annotations

from collections.abc import Sequence

from bot.knowledge import rerank
from bot.knowledge.answers import asked_kinds, fact_kinds, sentences
from bot.knowledge.chunking import Chunk
from bot.knowledge.lexical import BM25Index, TfidfIndex
from bot.knowledge.loader import Section
from bot.knowledge.rankers import DenseIndex, FusionRanker, Ranker, Ranking
from bot.knowledge.textproc import char_ngrams, query_char_ngrams, query_word_tokens, word_tokens

MODES: tuple[str, ...] = ("bm25", "tfidf", "lexical", "embeddings", "hybrid")
LEXICAL_WEIGHTS = (1.0, 1.0, 1.5)  # BM25 words, TF-IDF character n-grams, example questions
# hybrid: the lexical three, then the embeddings of the chunks and of the example questions
HYBRID_WEIGHTS = (1.0, 1.0, 1.5, 1.0, 1.5)


class ExampleQuestions:
    """The sections' example questions, each indexed on its own (character n-gram TF-IDF
    and BM25 words, fused); a section scores as its nearest example question."""

    def __init__(self, chunks: Sequence[Chunk], sections: Sequence[Section]) -> None:
        first_chunk: dict[str, int] = {}
        for i, chunk in enumerate(chunks):
            first_chunk.setdefault(chunk.section_id, i)
        self.owner: list[int] = []  # example question -> chunk index of its section
        texts: list[str] = []
        self.texts = texts
        for section in sections:
            if section.id not in first_chunk:
                continue
            for question in (section.title, *section.questions):
                self.owner.append(first_chunk[section.id])
                texts.append(question)
        self.tfidf = TfidfIndex(texts, char_ngrams, query_tokenizer=query_char_ngrams)
        self.bm25 = BM25Index(texts, word_tokens, query_tokenizer=query_word_tokens)

    def search(self, query: str, k: int | None = None) -> Ranking:
        best: dict[int, float] = {}
        tfidf = self.tfidf.score(query)
        bm25 = self.bm25.score(self.bm25.query_tokenizer(query))
        top_bm25 = max(bm25.values(), default=0.0) or 1.0
        for doc in set(tfidf) | set(bm25):
            score = tfidf.get(doc, 0.0) + 0.5 * bm25.get(doc, 0.0) / top_bm25
            owner = self.owner[doc]
            if score > best.get(owner, 0.0):
                best[owner] = score
        ranked = sorted(best.items(), key=lambda x: (-x[1], x[0]))
        return ranked if k is None else ranked[:k]


class LangIndex:
    """BM25 over words, TF-IDF over character n-grams, the nearest example question, their
    fusion, optional embeddings."""

    def __init__(self, chunks: list[Chunk], sections: Sequence[Section] = ()):
        self.chunks = chunks
        texts = [c.index_text for c in chunks]
        self.bm25 = BM25Index(texts, word_tokens, query_tokenizer=query_word_tokens)
        self.tfidf = TfidfIndex(texts, char_ngrams, query_tokenizer=query_char_ngrams)
        # the confidence gate's vocabulary: the words of the texts and titles (aliases are
        # for ranking only, so a buyer word listed there does not make a question covered)
        self.vocabulary = frozenset(w for c in chunks for w in word_tokens(f"{c.title}\n{c.text}"))
        # the words that name a topic: section titles and aliases
        self.topics = frozenset(w for c in chunks for w in word_tokens(f"{c.title}\n{c.aliases}"))
        self.questions = ExampleQuestions(chunks, sections)
        # every word a section offers a question (title, aliases, text, example questions):
        # the calibration's section coverage
        words: dict[str, set[str]] = {}
        for c in chunks:
            words.setdefault(c.section_id, set()).update(word_tokens(c.index_text))
        for section in sections:
            if section.id in words:
                words[section.id].update(word_tokens("\n".join(section.questions)))
        self.section_words: dict[str, frozenset[str]] = {
            sid: frozenset(w) for sid, w in words.items()
        }
        self.profiles = _profiles(chunks, sections, self.section_words)
        # normalised score sum: each ranker's scores divided by its best; the nearest example
        # question weighs a little more (measured: docs/knowledge.md)
        self.lexical = FusionRanker(
            [self.bm25, self.tfidf, self.questions], method="sum", weights=LEXICAL_WEIGHTS
        )
        self.embeddings: DenseIndex | None = None
        self.dense_questions: DenseIndex | None = None
        self.hybrid: FusionRanker | None = None

    def add_embeddings(self, dense: DenseIndex, questions: DenseIndex | None = None) -> None:
        """`dense`: one vector per chunk; `questions`: one per example question (its owner
        the chunk of its section), the nearest example question by meaning."""
        self.embeddings = dense
        self.dense_questions = questions
        rankers: list[Ranker] = [self.bm25, self.tfidf, self.questions, dense]
        if questions is not None:
            rankers.append(questions)
        self.hybrid = FusionRanker(rankers, method="sum", weights=HYBRID_WEIGHTS[: len(rankers)])

    def rerank_query(self, question: str) -> rerank.Query:
        """The question as the reranker sees it: its words, the kinds of fact it asks."""
        kinds = (asked_kinds(question) - {"yesno"}) | rerank.asked_intents(question)
        return rerank.Query(frozenset(query_word_tokens(question)), kinds, self.bm25.term_idf)

    def section_of(self, chunk: int) -> str:
        return self.chunks[chunk].section_id

    def rank(self, mode: str, query: str) -> tuple[Ranking, list[Ranking]]:
        """The ranking of `mode` and the rankings of its channels (itself when not fused)."""
        ranker = self.ranker(mode)
        if isinstance(ranker, FusionRanker):
            return ranker.search_parts(query)
        ranking = ranker.search(query, None)
        return ranking, [ranking]

    def ranker(self, mode: str) -> Ranker:
        found = getattr(self, mode, None) if mode in MODES else None
        if found is None:
            raise ValueError(f"retriever {mode!r} is not available (embeddings not loaded?)")
        return found  # type: ignore[no-any-return]


def _profiles(
    chunks: Sequence[Chunk], sections: Sequence[Section], words: dict[str, frozenset[str]]
) -> dict[str, rerank.Profile]:
    titles: dict[str, set[str]] = {}
    facts: dict[str, set[str]] = {}
    for c in chunks:
        titles.setdefault(c.section_id, set()).update(word_tokens(f"{c.title}\n{c.aliases}"))
        found = facts.setdefault(c.section_id, set())
        for sentence in sentences(c.text, c.lang):
            found.update(fact_kinds(sentence))
            found.update(rerank.intent_facts(sentence))
    examples: dict[str, list[list[str]]] = {}
    for section in sections:
        if section.id in words:
            examples[section.id] = [word_tokens(q) for q in (section.title, *section.questions)]
    return {
        sid: rerank.make_profile(
            words[sid], titles.get(sid, ()), examples.get(sid, []), facts.get(sid, ())
        )
        for sid in words
    }
