"""Lexical indexes in pure Python: Okapi BM25 over word tokens, TF-IDF over character n-grams.

Both are inverted indexes whose postings carry precomputed weights, so a query costs one
pass over the postings of its own terms. A separate query tokenizer may expand questions
(buyer vocabulary) without touching the documents.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

Tokenizer = Callable[[str], list[str]]


class BM25Index:
    """Okapi BM25 (k1, b) with the non-negative idf of Lucene."""

    def __init__(
        self,
        docs: Sequence[str],
        tokenizer: Tokenizer,
        *,
        k1: float = 1.2,
        b: float = 0.75,
        query_tokenizer: Tokenizer | None = None,
    ):
        self.tokenizer = tokenizer
        self.query_tokenizer = query_tokenizer or tokenizer
        self.k1, self.b = k1, b
        self.n_docs = len(docs)
        tokenized = [tokenizer(doc) for doc in docs]
        lengths = [len(tokens) for tokens in tokenized]
        avg = (sum(lengths) / len(lengths)) if lengths else 1.0
        avg = avg or 1.0
        df: Counter[str] = Counter()
        for tokens in tokenized:
            df.update(set(tokens))
        self.idf = {
            term: math.log(1.0 + (self.n_docs - freq + 0.5) / (freq + 0.5))
            for term, freq in df.items()
        }
        self.max_idf = math.log(1.0 + (self.n_docs + 0.5) / 0.5)
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self.doc_terms: list[frozenset[str]] = []
        for doc_id, tokens in enumerate(tokenized):
            norm = k1 * (1.0 - b + b * lengths[doc_id] / avg)
            for term, tf in Counter(tokens).items():
                weight = self.idf[term] * tf * (k1 + 1.0) / (tf + norm)
                self.postings[term].append((doc_id, weight))
            self.doc_terms.append(frozenset(tokens))
        self.postings = dict(self.postings)

    def score(self, query_tokens: Sequence[str]) -> dict[int, float]:
        scores: dict[int, float] = defaultdict(float)
        for term, count in Counter(query_tokens).items():
            for doc_id, weight in self.postings.get(term, ()):
                scores[doc_id] += weight * count
        return scores

    def search(self, query: str, k: int | None = None) -> list[tuple[int, float]]:
        return _top(self.score(self.query_tokenizer(query)), k)

    def term_idf(self, term: str) -> float:
        """idf of a term; a term never seen gets the idf of a term seen in no document."""
        return self.idf.get(term, self.max_idf)


class TfidfIndex:
    """Cosine similarity of sublinear TF-IDF vectors (smoothed idf, L2-normalised)."""

    def __init__(
        self, docs: Sequence[str], tokenizer: Tokenizer, *, query_tokenizer: Tokenizer | None = None
    ):
        self.tokenizer = tokenizer
        self.query_tokenizer = query_tokenizer or tokenizer
        self.n_docs = len(docs)
        counts = [Counter(tokenizer(doc)) for doc in docs]
        df: Counter[str] = Counter()
        for counter in counts:
            df.update(counter.keys())
        self.idf = {
            term: math.log((1 + self.n_docs) / (1 + freq)) + 1.0 for term, freq in df.items()
        }
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for doc_id, counter in enumerate(counts):
            weights = {t: (1.0 + math.log(tf)) * self.idf[t] for t, tf in counter.items()}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            for term, weight in weights.items():
                self.postings[term].append((doc_id, weight / norm))
        self.postings = dict(self.postings)

    def query_vector(self, query: str) -> dict[str, float]:
        counter = Counter(self.query_tokenizer(query))
        # unseen n-grams still count in the norm: a query made mostly of unknown text
        # cannot reach a high cosine with anything
        unseen_idf = math.log(1 + self.n_docs) + 1.0
        weights = {
            t: (1.0 + math.log(tf)) * self.idf.get(t, unseen_idf) for t, tf in counter.items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {t: w / norm for t, w in weights.items()}

    def score(self, query: str) -> dict[int, float]:
        scores: dict[int, float] = defaultdict(float)
        for term, q_weight in self.query_vector(query).items():
            for doc_id, weight in self.postings.get(term, ()):
                scores[doc_id] += q_weight * weight
        return scores

    def search(self, query: str, k: int | None = None) -> list[tuple[int, float]]:
        return _top(self.score(query), k)


def _top(scores: dict[int, float], k: int | None) -> list[tuple[int, float]]:
    ranked = sorted(((d, s) for d, s in scores.items() if s > 0.0), key=lambda x: (-x[1], x[0]))
    return ranked if k is None else ranked[:k]


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[tuple[int, float]]],
    *,
    weights: Sequence[float] | None = None,
    k: int = 60,
) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: sum over rankings of weight / (k + rank)."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[int, float] = defaultdict(float)
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, (doc_id, _score) in enumerate(ranking, start=1):
            fused[doc_id] += weight / (k + rank)
    return _top(fused, None)


def normalized_sum_fusion(
    rankings: Sequence[Sequence[tuple[int, float]]], *, weights: Sequence[float] | None = None
) -> list[tuple[int, float]]:
    """Weighted sum of scores each divided by its ranking's best score."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[int, float] = defaultdict(float)
    for ranking, weight in zip(rankings, weights, strict=True):
        if not ranking:
            continue
        best = ranking[0][1] or 1.0
        for doc_id, score in ranking:
            fused[doc_id] += weight * score / best
    return _top(fused, None)
