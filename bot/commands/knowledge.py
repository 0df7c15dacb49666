"""`refund-bot knowledge report|check`: what the knowledge base is missing, and whether a
knowledge folder is sound.

    refund-bot knowledge report [--limit N] [--days D] [--lang zh|en] [--json]
        the most frequent questions that ended unsure or were marked unhelpful (stored
        anonymised in DATABASE_URL), each with the sections that came closest
    refund-bot knowledge check [DIR] [--questions FILE] [--json]
        duplicate or dangling ids, labelled questions whose section vanished (errors, exit 1),
        sections no labelled question reaches (warnings)

Bad input (a missing folder, a bad number, an unreadable question file) is one line on
standard error and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

PROG = "refund-bot knowledge"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="action", parser_class=_Parser)
    report = sub.add_parser("report", help="the most frequent unanswered questions")
    report.add_argument("--limit", type=int, default=20, help="how many questions (default 20)")
    report.add_argument("--days", type=int, default=None, help="only the last D days")
    report.add_argument("--lang", choices=["zh", "en"], default=None, help="only this language")
    report.add_argument("--json", action="store_true", help="print JSON")
    report.add_argument(
        "--knowledge-dir", default=None, help="for section titles (default: $KNOWLEDGE_DIR)"
    )
    check = sub.add_parser("check", help="validate a knowledge folder")
    check.add_argument(
        "directory", nargs="?", default=None, help="the folder (default: $KNOWLEDGE_DIR)"
    )
    check.add_argument(
        "--questions",
        default=None,
        help="labelled questions, JSON Lines (default: the repository's tests/data/retrieval_questions.jsonl if present)",
    )
    check.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _fail(message: str, status: int = 2) -> int:
    print(f"{PROG}: {message}".splitlines()[0], file=sys.stderr)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.action == "report":
        return _report(args)
    if args.action == "check":
        return _check(args)
    return _fail("choose an action: report or check")


# --- report ---------------------------------------------------------------------------


def _report(args: argparse.Namespace) -> int:
    if args.limit < 1:
        return _fail("--limit must be at least 1")
    if args.days is not None and args.days < 1:
        return _fail("--days must be at least 1")
    from bot.config import ConfigError, load_settings
    from bot.knowledge import KnowledgeBase, KnowledgeError, resolve_knowledge_dir

    try:
        settings = load_settings()
        kb = KnowledgeBase.load(resolve_knowledge_dir(args.knowledge_dir or settings.knowledge_dir))
    except (ConfigError, KnowledgeError) as exc:
        return _fail(str(exc))
    try:
        gaps = asyncio.run(_gaps(settings.database_url, kb, args))
    except _NotMigrated:
        return _fail(
            "the database has no unanswered_questions table yet; run `refund-bot db upgrade`"
        )
    except Exception as exc:  # noqa: BLE001 - one clear line for an unreachable database
        return _fail(
            f"invalid setting DATABASE_URL: cannot read it ({type(exc).__name__}: {exc})", 1
        )
    if args.json:
        print(json.dumps([g.to_dict() for g in gaps], ensure_ascii=False, indent=2))
        return 0
    if not gaps:
        print("no unanswered questions stored")
        return 0
    for n, gap in enumerate(gaps, start=1):
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(gap.reasons.items()))
        print(
            f"{n:>3}. {gap.count}× [{gap.lang}] {gap.example}  ({reasons}; last {gap.last_seen:%Y-%m-%d})"
        )
        closest = "; ".join(f"{title or sid} ({sid})" for sid, title in gap.closest) or "none"
        print(f"     closest: {closest}")
    return 0


class _NotMigrated(RuntimeError):
    pass


async def _gaps(url: str, kb: object, args: argparse.Namespace) -> list:  # type: ignore[type-arg]
    from sqlalchemy import inspect

    from bot.services.questions import QuestionLog
    from bot.storage.db import create_engine, session_factory

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            has_table = await connection.run_sync(
                lambda c: inspect(c).has_table("unanswered_questions")
            )
        if not has_table:
            raise _NotMigrated
        log = QuestionLog(sessions=session_factory(engine))
        return await log.report(titles=kb, days=args.days, lang=args.lang, limit=args.limit)  # type: ignore[arg-type]
    finally:
        await engine.dispose()


# --- check ----------------------------------------------------------------------------


def _check(args: argparse.Namespace) -> int:
    from bot.knowledge import KnowledgeError, resolve_knowledge_dir
    from bot.knowledge.check import check_folder
    from bot.knowledge.evaluation import load_questions
    from bot.paths import project_dir

    directory = resolve_knowledge_dir(args.directory)
    if not directory.is_dir():
        return _fail(f"knowledge directory not found: {directory}")
    questions_path = (
        Path(args.questions)
        if args.questions
        else project_dir("tests") / "data" / "retrieval_questions.jsonl"
    )
    questions = []
    if args.questions or questions_path.is_file():
        try:
            questions = load_questions(questions_path)
        except (OSError, UnicodeDecodeError) as exc:
            return _fail(f"cannot read the labelled questions {questions_path}: {exc}")
        except (ValueError, KeyError, TypeError) as exc:
            return _fail(f"bad labelled questions: {exc}")
    try:
        report = check_folder(directory, questions)
    except KnowledgeError as exc:
        return _fail(str(exc))
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        for finding in report.errors:
            print(
                f"error: {finding.kind}: {finding.message}"
                + (f" [{finding.path}]" if finding.path else "")
            )
        for finding in report.warnings:
            print(
                f"warning: {finding.kind}: {finding.message}"
                + (f" [{finding.path}]" if finding.path else "")
            )
        print(
            f"{report.sections} sections, {report.questions} labelled questions: "
            f"{len(report.errors)} errors, {len(report.warnings)} warnings"
        )
    return 1 if report.errors else 0
