"""The rankers of one answer language over that language's chunks."""

from __future__ import annotations

from bot.knowledge.chunking import Chunk
from bot.knowledge.lexical import BM25Index, TfidfIndex
from bot.knowledge.rankers import DenseIndex, FusionRanker, Ranker
from bot.knowledge.textproc import char_ngrams, query_char_ngrams, query_word_tokens, word_tokens

MODES: tuple[str, ...] = ("bm25", "tfidf", "lexical", "embeddings", "hybrid")


class LangIndex:
    """BM25 over words, TF-IDF over character n-grams, their fusion, optional embeddings."""

    def __init__(self, chunks: list[Chunk]):
        self.chunks = chunks
        texts = [c.index_text for c in chunks]
        self.bm25 = BM25Index(texts, word_tokens, query_tokenizer=query_word_tokens)
        self.tfidf = TfidfIndex(texts, char_ngrams, query_tokenizer=query_char_ngrams)
        # the confidence gate's vocabulary: the words of the texts and titles (aliases are
        # for ranking only, so a buyer word listed there does not make a question covered)
        self.vocabulary = frozenset(w for c in chunks for w in word_tokens(f"{c.title}\n{c.text}"))
        # per section: the words of its title, aliases and text (the gate's section check)
        self.section_words: dict[str, frozenset[str]] = {}
        for chunk in chunks:
            words = frozenset(word_tokens(chunk.index_text))
            self.section_words[chunk.section_id] = self.section_words.get(chunk.section_id, frozenset()) | words
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
        return found  # type: ignore[no-any-return]
