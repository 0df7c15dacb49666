"""LangChain retrievers over knowledge chunks.

Every retriever here is a `langchain_core.retrievers.BaseRetriever`, usable in any LangChain
chain: `retriever.invoke("...")` returns `Document`s whose metadata carries the section id,
title, language and score. Each wraps a ranker (`lexical.py`, `rankers.py`) and also exposes
`search(query, k)`, the same ranking as `(chunk index, score)` pairs.

- `BM25Retriever`: Okapi BM25 over jieba words (zh) and stemmed words (en).
- `CharNgramRetriever`: TF-IDF cosine over character n-grams (typos, segmentation misses).
- `FusionRetriever`: reciprocal rank fusion (or a normalised score sum) of retrievers.
- `EmbeddingRetriever`: cosine similarity of vectors from a LangChain `Embeddings`.

`KnowledgeBase.retriever(lang, mode)` returns these over the loaded knowledge base.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from bot.knowledge.chunking import Chunk
from bot.knowledge.lexical import BM25Index, TfidfIndex
from bot.knowledge.rankers import DenseIndex, FusionRanker, Ranker, Ranking
from bot.knowledge.textproc import char_ngrams, query_char_ngrams, query_word_tokens, word_tokens


def chunk_document(chunk: Chunk, score: float) -> Document:
    return Document(
        page_content=chunk.text,
        id=chunk.chunk_id,
        metadata={
            "section_id": chunk.section_id,
            "title": chunk.title,
            "lang": chunk.lang,
            "chunk_id": chunk.chunk_id,
            "score": score,
        },
    )


class ChunkRetriever(BaseRetriever):
    """A retriever over a fixed list of chunks, ranked by `ranker`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    chunks: list[Chunk]
    ranker: Any = Field(repr=False)
    k: int = 4

    def search(self, query: str, k: int | None = None) -> Ranking:
        ranker: Ranker = self.ranker
        return ranker.search(query, k)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [chunk_document(self.chunks[i], score) for i, score in self.search(query, self.k)]


class BM25Retriever(ChunkRetriever):
    @classmethod
    def from_chunks(cls, chunks: Sequence[Chunk], **kwargs: Any) -> BM25Retriever:
        index = BM25Index(
            [c.index_text for c in chunks], word_tokens, query_tokenizer=query_word_tokens
        )
        return cls(chunks=list(chunks), ranker=index, **kwargs)


class CharNgramRetriever(ChunkRetriever):
    @classmethod
    def from_chunks(cls, chunks: Sequence[Chunk], **kwargs: Any) -> CharNgramRetriever:
        index = TfidfIndex(
            [c.index_text for c in chunks], char_ngrams, query_tokenizer=query_char_ngrams
        )
        return cls(chunks=list(chunks), ranker=index, **kwargs)


class FusionRetriever(ChunkRetriever):
    @classmethod
    def from_retrievers(
        cls,
        retrievers: Sequence[ChunkRetriever],
        *,
        method: Literal["rrf", "sum"] = "rrf",
        weights: Sequence[float] | None = None,
        rrf_k: int = 10,
        **kwargs: Any,
    ) -> FusionRetriever:
        if not retrievers:
            raise ValueError("FusionRetriever needs at least one retriever")
        chunks = retrievers[0].chunks
        if any(r.chunks != chunks for r in retrievers[1:]):
            raise ValueError("fused retrievers must index the same chunks")
        rankers: list[Ranker] = [r.ranker for r in retrievers]
        ranker = FusionRanker(rankers, method=method, weights=weights, rrf_k=rrf_k)
        return cls(chunks=list(chunks), ranker=ranker, **kwargs)


class EmbeddingRetriever(ChunkRetriever):
    @classmethod
    def from_embeddings(
        cls,
        chunks: Sequence[Chunk],
        embedder: Embeddings,
        vectors: Sequence[Sequence[float]] | None = None,
        **kwargs: Any,
    ) -> EmbeddingRetriever:
        if vectors is None:
            vectors = embedder.embed_documents([c.index_text for c in chunks])
        return cls(chunks=list(chunks), ranker=DenseIndex(vectors, embedder), **kwargs)
