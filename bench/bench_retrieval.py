"""Retrieval speed: index build, process start-up to first answer, query latency.

    python bench/bench_retrieval.py                  # lexical (the default configuration)
    python bench/bench_retrieval.py --embeddings     # also the hybrid configuration
    python bench/bench_retrieval.py --scale 50 --rounds 5

Measures, on the shipped knowledge base and on a synthetic one `--scale` times larger
(every section copied with its sentences shuffled and words swapped between sections,
written to a temporary directory):
- `build_s`: KnowledgeBase.load() (read, chunk, index), median of several builds;
- `startup_s`: a fresh `refund-bot ask "..."` process (`python -m bot` when the console
  script is not installed) until its answer is printed;
- `query_ms`: p50 / p99 / max of `kb.ask()` over the labelled questions, with the query
  token cache cleared before each one (a repeated question is faster than this).

Every figure comes with the CPU time the process spent on it (`cpu_s`), and the run states
the 1-minute load average before and after. A bare baseline is measured in the same run:
`python -c pass` for start-up and a trivial call (`str.lower`) for queries, so a figure can
be read against what the machine does for nothing at that moment.

Prints one JSON object. Timings depend on the machine and its load; nothing asserts them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.knowledge import DEFAULT_DIR, KnowledgeBase, textproc  # noqa: E402
from bot.knowledge.evaluation import load_questions  # noqa: E402
from bot.knowledge.loader import load_sections  # noqa: E402
from bot.knowledge.normalise import normalise  # noqa: E402

QUESTIONS = ROOT / "tests" / "data" / "retrieval_questions.jsonl"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def time_builds(directory: Path, repeats: int, **kwargs: object) -> tuple[float, KnowledgeBase]:
    times, kb = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        kb = KnowledgeBase.load(directory, **kwargs)  # type: ignore[arg-type]
        times.append(time.perf_counter() - started)
    assert kb is not None
    return statistics.median(times), kb


def time_queries(
    kb: KnowledgeBase,
    questions: list[tuple[str, str | None]],
    rounds: int,
    mode: str | None = None,
    *,
    cold: bool = True,
) -> dict[str, float]:
    """Latency of kb.ask(); `cold` clears the per-process query caches before every question."""
    kb.ask("warm-up 预热", mode=mode)
    samples: list[float] = []
    cpu_samples: list[float] = []
    process_samples: list[float] = []
    cpu = time.process_time()
    for _ in range(rounds):
        for text, lang in questions:
            if cold:
                textproc._word_tokens.cache_clear()
                textproc.expand_query.cache_clear()
                textproc._gate_words.cache_clear()
                normalise.cache_clear()
            started, started_cpu = time.perf_counter(), time.thread_time()
            started_process = time.process_time()
            kb.ask(text, lang, mode=mode)
            samples.append((time.perf_counter() - started) * 1000)
            cpu_samples.append((time.thread_time() - started_cpu) * 1000)
            process_samples.append((time.process_time() - started_process) * 1000)
    return {
        "cpu_s": round(time.process_time() - cpu, 3),
        # CPU time of the asking thread per question: what the query costs, whatever the load
        "cpu_ms_p50": round(percentile(cpu_samples, 50), 3),
        "cpu_ms_p99": round(percentile(cpu_samples, 99), 3),
        # CPU time of every thread of the process (a model's worker threads included)
        "process_cpu_ms_p50": round(percentile(process_samples, 50), 3),
        "process_cpu_ms_p99": round(percentile(process_samples, 99), 3),
        "n": len(samples),
        "p50": round(percentile(samples, 50), 3),
        "p99": round(percentile(samples, 99), 3),
        "max": round(max(samples), 3),
        "mean": round(statistics.fmean(samples), 3),
    }


def time_encoder(kb: KnowledgeBase, questions: list[tuple[str, str | None]]) -> dict[str, float]:
    """The model alone: one query encoding per distinct question, its cache bypassed."""
    embedder = kb.embedder
    encode = getattr(getattr(embedder, "_query", None), "__wrapped__", None)
    if embedder is None or encode is None:
        return {}
    texts = list(dict.fromkeys(text for text, _lang in questions))
    encode(embedder, "warm-up 预热")
    cpu_samples: list[float] = []
    samples: list[float] = []
    for text in texts:
        started, started_cpu = time.perf_counter(), time.process_time()
        encode(embedder, text)
        samples.append((time.perf_counter() - started) * 1000)
        cpu_samples.append((time.process_time() - started_cpu) * 1000)
    return {
        "n": len(texts),
        "process_cpu_ms_p50": round(percentile(cpu_samples, 50), 3),
        "process_cpu_ms_p99": round(percentile(cpu_samples, 99), 3),
        "p50": round(percentile(samples, 50), 3),
        "p99": round(percentile(samples, 99), 3),
    }


def time_startup(
    repeats: int, question: str = "退款到银行卡要多久?", *, bare: bool = False
) -> dict[str, float]:
    """A fresh process until its answer is printed; `bare`: `python -c pass` (the baseline)."""
    env = dict(os.environ)
    env.pop("KNOWLEDGE_DIR", None)
    script = Path(sys.executable).with_name("refund-bot")  # the installed console script
    command = [str(script)] if script.exists() else [sys.executable, "-m", "bot"]
    argv = [sys.executable, "-c", "pass"] if bare else [*command, "ask", question]
    samples = []
    cpu = 0.0
    for _ in range(repeats):
        before = os.times()
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        samples.append(time.perf_counter() - started)
        after = os.times()
        cpu += (after.children_user - before.children_user) + (
            after.children_system - before.children_system
        )
        if not bare:
            json.loads(done.stdout)
    return {
        "median": round(statistics.median(samples), 3),
        "max": round(max(samples), 3),
        "n": repeats,
        "cpu_s_per_run": round(cpu / repeats, 3),
    }


def bare_calls(n: int = 20000) -> dict[str, float]:
    """The baseline for query latency: a trivial call, timed the same way."""
    samples = []
    for i in range(n):
        started = time.perf_counter()
        str(i).lower()
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "n": n,
        "p50": round(percentile(samples, 50), 5),
        "p99": round(percentile(samples, 99), 5),
    }


_SENTENCE = re.compile(r"[^。!?;\n]+[。!?;]?|[^\n]+")


def synthesize(directory: Path, scale: int, seed: int = 7) -> int:
    """Write `scale` perturbed copies of every shipped section; returns the section count."""
    rng = random.Random(seed)
    sections = load_sections(DEFAULT_DIR)
    words = [w for s in sections for w in re.findall(r"[\u4e00-\u9fff]{2,4}|[A-Za-z]{4,}", s.text)]
    count = 0
    for lang in ("zh", "en"):
        out = directory / lang
        out.mkdir(parents=True, exist_ok=True)
        for copy in range(scale):
            parts = []
            for section in (s for s in sections if s.lang == lang):
                sentences = [p.strip() for p in _SENTENCE.findall(section.text) if p.strip()]
                rng.shuffle(sentences)
                body = " ".join(sentences)
                for _ in range(3):  # swap a few words for words of other sections
                    if words:
                        body = body.replace(rng.choice(words), rng.choice(words), 1)
                parts.append(f"## {section.title} ({copy}) {{#{section.id}-v{copy}}}\n\n{body}\n")
                count += 1
            (out / f"copy-{copy:03d}.md").write_text("\n".join(parts), encoding="utf-8")
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=int, default=50, help="size of the synthetic base, in copies"
    )
    parser.add_argument(
        "--rounds", type=int, default=10, help="passes over the questions (shipped base)"
    )
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument(
        "--embeddings", action="store_true", help="also time the hybrid configuration"
    )
    parser.add_argument("--cache-dir", default=None, help="vector cache directory (embeddings)")
    args = parser.parse_args(argv)

    questions = [(q.q, q.lang) for q in load_questions(QUESTIONS)]
    report: dict[str, object] = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_before": _load(),
        },
        "questions": len(questions),
        "baseline": {
            "query_ms": bare_calls(),
            "startup_s": time_startup(args.startup_runs, bare=True),
        },
    }

    build_s, kb = time_builds(DEFAULT_DIR, 5)
    report["shipped"] = {
        "sections": len(kb.sections()),
        "chunks": sum(len(kb._indexes[lang].chunks) for lang in ("zh", "en")),
        "build_s": round(build_s, 4),
        "query_ms": {"lexical": time_queries(kb, questions, args.rounds)},
    }
    report["startup_s"] = time_startup(args.startup_runs)

    with tempfile.TemporaryDirectory(prefix="kb-synthetic-") as tmp:
        count = synthesize(Path(tmp), args.scale)
        big_build_s, big = time_builds(Path(tmp), 1)
        report["synthetic"] = {
            "scale": args.scale,
            "sections": count,
            "chunks": sum(len(big._indexes[lang].chunks) for lang in ("zh", "en")),
            "build_s": round(big_build_s, 3),
            "query_ms": {"lexical": time_queries(big, questions, max(1, args.rounds // 5))},
        }

    if args.embeddings:
        try:
            started = time.perf_counter()
            dense = KnowledgeBase.load(DEFAULT_DIR, embeddings=True, cache_dir=args.cache_dir)
            load_s = time.perf_counter() - started
        except RuntimeError as exc:
            report["hybrid"] = f"unavailable: {exc}"
        else:
            # distinct questions only, so that the query-vector cache does not hide the model
            report["hybrid"] = {
                "model_threads": getattr(dense.embedder, "num_threads", None),
                "load_s_with_cache": round(load_s, 3),
                "encoder_ms": time_encoder(dense, questions),
                "query_ms": time_queries(dense, questions, 1, mode="hybrid"),
                "query_ms_repeated": time_queries(dense, questions, 1, mode="hybrid", cold=False),
            }
    report["machine"]["load_after"] = _load()  # type: ignore[index]
    report["cpu_s_total"] = round(time.process_time(), 2)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # pragma: no cover
        return None


if __name__ == "__main__":
    raise SystemExit(main())
