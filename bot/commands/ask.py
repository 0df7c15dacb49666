"""`refund-bot ask`: answer a question from the knowledge base, as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="refund-bot ask",
        description=(
            "Answer a buyer's question from the knowledge base and print JSON "
            "{answer, confident, sources}. Without a question, read one question per line "
            "from standard input and print one JSON object per line."
        ),
    )
    parser.add_argument("question", nargs="*", help="the question (words are joined with spaces)")
    parser.add_argument(
        "--lang", choices=["zh", "en"], default=None, help="answer language (default: detected)"
    )
    parser.add_argument(
        "--knowledge-dir",
        default=None,
        help="knowledge directory (default: $KNOWLEDGE_DIR or the built-in one)",
    )
    parser.add_argument("--k", type=int, default=3, help="how many sources to return (default 3)")
    parser.add_argument(
        "--embeddings",
        action="store_true",
        help="add the embedding retriever (needs the embeddings extra)",
    )
    parser.add_argument(
        "--cache-dir",
        default=None,
        help="vector cache directory (default: $KNOWLEDGE_CACHE_DIR or ~/.cache/refund-bot/knowledge)",
    )
    parser.add_argument(
        "--mode", default=None, help="retriever: bm25, tfidf, lexical, embeddings, hybrid"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.k < 1:
        print("refund-bot ask: --k must be at least 1", file=sys.stderr)
        return 2
    from bot.knowledge import KnowledgeBase, KnowledgeError, resolve_knowledge_dir

    try:
        kb = KnowledgeBase.load(
            resolve_knowledge_dir(args.knowledge_dir),
            embeddings=args.embeddings,
            cache_dir=args.cache_dir,
        )
    except KnowledgeError as exc:
        print(f"refund-bot ask: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # the embeddings extra is missing or broken
        print(f"refund-bot ask: {exc}", file=sys.stderr)
        return 2
    if not kb.section_ids():
        print(
            f"refund-bot ask: the knowledge folder {resolve_knowledge_dir(args.knowledge_dir)} holds no texts",
            file=sys.stderr,
        )
        return 2
    if args.mode in ("embeddings", "hybrid") and kb.embedder is None:
        print(f"refund-bot ask: --mode {args.mode} needs --embeddings", file=sys.stderr)
        return 2

    def answer(question: str) -> str:
        result = kb.ask(question, lang=args.lang, k=args.k, mode=args.mode)
        return json.dumps(result.to_dict(), ensure_ascii=False)

    if args.question:
        print(answer(" ".join(args.question)))
        return 0
    for line in sys.stdin:
        question = line.strip()
        if question:
            print(answer(question), flush=True)
    return 0
