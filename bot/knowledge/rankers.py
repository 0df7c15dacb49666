"""Rankers without LangChain: fusion of rankers and dense (embedding) similarity.

A ranker has `search(query, k) -> [(chunk index, score)]`, best first. The lexical ones are
in `lexical.py`. The LangChain retrievers in `retrievers.py` wrap these objects; the
knowledge base's own hot path calls them directly, so that answering a question does not
pay LangChain's import time (about a second) or its per-call callback set-up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal, Protocol

from bot.knowledge.lexical import normalized_sum_fusion, reciprocal_rank_fusion

Ranking = list[tuple[int, float]]


class Ranker(Protocol):
    def search(self, query: str, k: int | None = None) -> Ranking: ...


class EmbedderLike(Protocol):
    """The part of LangChain's `Embeddings` interface that is used here."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


class FusionRanker:
    """Fuses rankers over the same chunk list (reciprocal rank fusion or normalised sum)."""

    def __init__(
        self,
        rankers: Sequence[Ranker],
        *,
        method: Literal["rrf", "sum"] = "rrf",
        weights: Sequence[float] | None = None,
        rrf_k: int = 10,
        depth: int = 50,
    ) -> None:
        self.rankers = list(rankers)
        self.method = method
        self.weights = list(weights) if weights else None
        self.rrf_k = rrf_k
        self.depth = depth

    def search(self, query: str, k: int | None = None) -> Ranking:
        rankings = [r.search(query, self.depth) for r in self.rankers]
        if self.method == "rrf":
            fused = reciprocal_rank_fusion(rankings, weights=self.weights, k=self.rrf_k)
        else:
            fused = normalized_sum_fusion(rankings, weights=self.weights)
        return fused if k is None else fused[:k]


class DenseIndex:
    """Cosine similarity of a query vector with unit chunk vectors."""

    def __init__(
        self, vectors: Sequence[Sequence[float]], embedder: EmbedderLike, *, min_score: float = 0.0
    ):
        self.embedder = embedder
        self.min_score = min_score
        rows = [_unit(v) for v in vectors]
        self.size = len(rows)
        np = _numpy()
        self.matrix: Any = (
            np.asarray(rows, dtype=np.float32).reshape(len(rows), -1) if np is not None else rows
        )

    def search(self, query: str, k: int | None = None) -> Ranking:
        if not self.size:
            return []
        q = _unit(self.embedder.embed_query(query))
        np = _numpy()
        if np is not None:
            sims = (self.matrix @ np.asarray(q, dtype=np.float32)).tolist()
        else:
            sims = [sum(a * b for a, b in zip(row, q, strict=False)) for row in self.matrix]
        ranked = sorted(
            ((i, float(s)) for i, s in enumerate(sims) if s > self.min_score),
            key=lambda x: (-x[1], x[0]),
        )
        return ranked if k is None else ranked[:k]


@lru_cache(maxsize=1)
def _numpy() -> Any:
    """numpy when installed (it comes with the embeddings extra), else None: pure Python."""
    try:
        import numpy
    except ImportError:  # pragma: no cover - exercised only without numpy
        return None
    return numpy


def _unit(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(float(x) * float(x) for x in vector)) or 1.0
    return [float(x) / norm for x in vector]
