"""Breakage runner: break the code on purpose, one known way at a time, and check a test notices.

Usage (from the repository root):

    .venv/bin/python tests/breakages/run.py                 # every tests/breakages/*.yaml
    .venv/bin/python tests/breakages/run.py --file tests/breakages/rules.yaml --jobs 2
    .venv/bin/python tests/breakages/run.py --only gt-inclusive --only lt-inclusive
    .venv/bin/python tests/breakages/run.py --list          # check the entries, run nothing

Each YAML file is a list of entries:

    - id: gt-inclusive                      # unique over all files
      file: bot/domain/rules/conditions.py  # relative to the repository root
      find: "exact text occurring exactly once"
      replace: "broken version"
      tests: ["tests/unit/test_rules_table.py"]   # pytest paths or node ids, kept narrow

For every entry the runner checks that `find` occurs exactly once in `file` (otherwise the
entry is *stale*: the code moved on and the entry must be updated), applies the replacement in
a private copy of the working tree (the real tree is never written), runs
`python -m pytest -q -x -p no:cacheprovider <tests>` there and records the breakage as
*killed* (the tests failed) or *survived* (they passed: the tests do not guard that code).
The copy is restored after each entry. Before any breakage the union of all the entries' tests
runs once on the unbroken copy (the baseline): breakages only mean something against green
tests. A test run that collects nothing or cannot start (pytest exit 4 or 5) is an *error*.

Prints one JSON summary on standard output:

    {"total": 31, "killed": 31, "survived": [], "stale": [], "errors": [], "seconds": 84.2,
     "results": [{"id": ..., "file": ..., "status": "killed", "seconds": 2.1}, ...]}

Exit status: 0 when every breakage was killed; 1 when one survived, is stale, is invalid or
could not run; 2 when the baseline is red or the command line is wrong. Progress goes to
standard error. This file is not collected by pytest (its name does not start with test_).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PYTEST_ARGS = ["-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]
#: never copied into the private tree
SKIP_DIRS = {
    ".git",
    ".venv",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
    "node_modules",
    "build",
    "dist",
    ".cache",
}
FIELDS = ("id", "file", "find", "replace", "tests")


@dataclass
class Entry:
    id: str
    file: str
    find: str
    replace: str
    tests: list[str]
    source: str


@dataclass
class Result:
    id: str
    file: str
    status: str  # killed | survived | stale | invalid | error
    source: str
    seconds: float = 0.0
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "file": self.file,
            "status": self.status,
            "source": self.source,
            "seconds": round(self.seconds, 2),
        }
        if self.detail:
            out["detail"] = self.detail
        return out


# --------------------------------------------------------------------------- reading entries


def read_entries(paths: Iterable[Path]) -> tuple[list[Entry], list[Result]]:
    """Valid entries, plus one `invalid` result per entry (or file) that cannot be used."""
    entries: list[Entry] = []
    bad: list[Result] = []
    seen: dict[str, str] = {}
    for path in paths:
        source = _rel(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            bad.append(Result(f"<{source}>", "", "invalid", source, detail=f"cannot read: {exc}"))
            continue
        if data is None:
            continue
        if not isinstance(data, list):
            bad.append(
                Result(
                    f"<{source}>",
                    "",
                    "invalid",
                    source,
                    detail="the file must be a YAML list of entries",
                )
            )
            continue
        for n, raw in enumerate(data, 1):
            problem = _entry_problem(raw)
            rid = raw.get("id") if isinstance(raw, dict) else None
            name = rid if isinstance(rid, str) and rid else f"<{source} #{n}>"
            rfile = raw.get("file") if isinstance(raw, dict) else ""
            if problem is None and name in seen:
                problem = f"duplicate id (also in {seen[name]})"
            if problem is not None:
                bad.append(Result(name, str(rfile or ""), "invalid", source, detail=problem))
                continue
            seen[name] = source
            entries.append(
                Entry(
                    raw["id"], raw["file"], raw["find"], raw["replace"], list(raw["tests"]), source
                )
            )
    return entries, bad


def _entry_problem(raw: Any) -> str | None:
    if not isinstance(raw, dict):
        return "an entry must be a mapping with " + ", ".join(FIELDS)
    missing = [k for k in FIELDS if k not in raw]
    if missing:
        return "missing " + ", ".join(missing)
    unknown = sorted(set(raw) - set(FIELDS) - {"note"})
    if unknown:
        return "unknown keys " + ", ".join(map(str, unknown))
    for key in ("id", "file", "find"):
        if not isinstance(raw[key], str) or not raw[key]:
            return f"{key} must be a non-empty string"
    if not isinstance(raw["replace"], str):
        return "replace must be a string"
    if raw["replace"] == raw["find"]:
        return "replace equals find: nothing would break"
    tests = raw["tests"]
    if not isinstance(tests, list) or not tests or not all(isinstance(t, str) and t for t in tests):
        return "tests must be a non-empty list of pytest paths or node ids"
    if Path(raw["file"]).is_absolute() or ".." in Path(raw["file"]).parts:
        return "file must be a path inside the repository"
    return None


def stale_reason(root: Path, entry: Entry) -> str | None:
    path = root / entry.file
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return f"cannot read {entry.file}: {exc}"
    count = text.count(entry.find)
    if count != 1:
        return f"`find` occurs {count} times in {entry.file} (must be exactly once)"
    for test in entry.tests:
        if test.startswith("-"):  # a pytest option such as -k or -m
            continue
        if not (root / test.split("::")[0]).exists():
            return f"test path {test} does not exist"
    return None


# --------------------------------------------------------------------------- the private tree


def source_files(root: Path) -> list[Path]:
    """The working tree as git sees it (tracked and untracked, minus ignored files); without
    git, every file outside the skipped folders."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout
        names = [n for n in out.decode("utf-8", "surrogateescape").split("\0") if n]
        return [Path(n) for n in names if (root / n).is_file()]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            for name in filenames:
                files.append((Path(dirpath) / name).relative_to(root))
        return files


def make_copy(root: Path, files: Sequence[Path], parent: Path, n: int) -> Path:
    dest = parent / f"tree{n}"
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, target)
    return dest


def child_env(tree: Path) -> dict[str, str]:
    env = dict(os.environ)
    # the copy's packages come first, also when the project is installed in editable mode
    env["PYTHONPATH"] = os.pathsep.join([str(tree), *filter(None, [env.get("PYTHONPATH")])])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def check_imports_from(tree: Path, python: str) -> str | None:
    """The tests in the copy must import the copy's code, not the original tree."""
    probe = "import bot, pathlib; print(pathlib.Path(bot.__file__).resolve())"
    if not (tree / "bot" / "__init__.py").exists():
        return None
    done = subprocess.run(
        [python, "-c", probe], cwd=tree, env=child_env(tree), capture_output=True, text=True
    )
    where = done.stdout.strip()
    if done.returncode != 0 or not where.startswith(str(tree.resolve())):
        return f"the copy imports bot from {where or done.stderr.strip()!r}, not from the copy"
    return None


def run_pytest(tree: Path, python: str, tests: Sequence[str], timeout: float) -> tuple[int, str]:
    try:
        done = subprocess.run(
            [python, *PYTEST_ARGS, *tests],
            cwd=tree,
            env=child_env(tree),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return -1, f"timed out after {timeout:g} s"
    tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
    return done.returncode, " | ".join(tail)


def run_entry(
    entry: Entry, tree: Path, python: str, timeout: float, collected: bool = False
) -> Result:
    """Apply one breakage in `tree`, run its tests, restore. `collected`: the baseline showed
    these tests collect and pass unbroken, so a collection failure now is the breakage's doing
    (e.g. a module-level load that now raises) and counts as killed."""
    start = time.monotonic()
    reason = stale_reason(tree, entry)
    if reason is not None:
        return Result(entry.id, entry.file, "stale", entry.source, detail=reason)
    path = tree / entry.file
    original = path.read_bytes()
    try:
        text = original.decode("utf-8")
        path.write_bytes(text.replace(entry.find, entry.replace, 1).encode("utf-8"))
        rc, tail = run_pytest(tree, python, entry.tests, timeout)
    finally:
        path.write_bytes(original)
    seconds = time.monotonic() - start
    if rc == 0:
        return Result(entry.id, entry.file, "survived", entry.source, seconds, tail)
    if rc in (4, 5) and not collected:  # usage error / nothing collected: wrong `tests`?
        return Result(
            entry.id, entry.file, "error", entry.source, seconds, f"pytest exit {rc}: {tail}"
        )
    if rc in (4, 5):
        return Result(
            entry.id,
            entry.file,
            "killed",
            entry.source,
            seconds,
            f"pytest exit {rc}: the tests no longer collect",
        )
    detail = "timeout" if rc == -1 else f"pytest exit {rc}"
    return Result(entry.id, entry.file, "killed", entry.source, seconds, detail)


# --------------------------------------------------------------------------- main


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tests/breakages/run.py",
        description="Apply each deliberate breakage in a private copy of the tree and check "
        "that its tests go red.",
    )
    parser.add_argument(
        "--file",
        action="append",
        default=[],
        metavar="YAML",
        help="a breakage list (repeatable; default: tests/breakages/*.yaml)",
    )
    parser.add_argument(
        "--only", action="append", default=[], metavar="ID", help="run only this entry (repeatable)"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="breakages run in parallel, each in its own copy (default 1)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=600,
        metavar="SECONDS",
        help="per test run; a run that times out counts as killed (default 600)",
    )
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the run of the unbroken tests"
    )
    parser.add_argument(
        "--list",
        action="store_true",
        help="only check the entries (stale, invalid) and print the summary",
    )
    parser.add_argument(
        "--python", default=sys.executable, help="interpreter that runs pytest (default: this one)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.jobs < 1:
        print("run.py: --jobs must be at least 1", file=sys.stderr)
        return 2
    started = time.monotonic()
    files = [Path(f) for f in args.file] or sorted(HERE.glob("*.yaml"))
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        print(f"run.py: no such breakage list: {', '.join(missing)}", file=sys.stderr)
        return 2
    entries, results = read_entries(files)
    if args.only:
        wanted = set(args.only)
        unknown = wanted - {e.id for e in entries} - {r.id for r in results}
        if unknown:
            print(f"run.py: unknown ids: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        entries = [e for e in entries if e.id in wanted]
        results = [r for r in results if r.id in wanted]

    runnable: list[Entry] = []
    for entry in entries:
        reason = stale_reason(ROOT, entry)
        if reason is None:
            runnable.append(entry)
        else:
            results.append(Result(entry.id, entry.file, "stale", entry.source, detail=reason))

    baseline_failed = False
    if runnable and not args.list:
        with tempfile.TemporaryDirectory(prefix="breakages-") as tmp:
            tree_files = source_files(ROOT)
            jobs = min(args.jobs, len(runnable))
            trees: queue.Queue[Path] = queue.Queue()
            for n in range(jobs):
                trees.put(make_copy(ROOT, tree_files, Path(tmp), n))
            first = trees.queue[0]  # every copy is alike: check one
            problem = check_imports_from(first, args.python)
            if problem is not None:
                print(f"run.py: {problem}", file=sys.stderr)
                return 2
            if not args.no_baseline:
                union = list(dict.fromkeys(t for e in runnable for t in e.tests))
                print(f"baseline: {len(union)} test path(s) on the unbroken tree", file=sys.stderr)
                rc, tail = run_pytest(first, args.python, union, args.timeout)
                if rc != 0:
                    print(
                        f"run.py: the baseline is red (pytest exit {rc}): {tail}", file=sys.stderr
                    )
                    baseline_failed = True
            if not baseline_failed:
                lock = threading.Lock()
                done_count = [0]

                def work(entry: Entry) -> Result:
                    tree = trees.get()
                    try:
                        result = run_entry(
                            entry, tree, args.python, args.timeout, collected=not args.no_baseline
                        )
                    finally:
                        trees.put(tree)
                    with lock:
                        done_count[0] += 1
                        print(
                            f"[{done_count[0]}/{len(runnable)}] {result.status:8} {entry.id}"
                            f" ({result.seconds:.1f} s)",
                            file=sys.stderr,
                        )
                    return result

                with ThreadPoolExecutor(max_workers=jobs) as pool:
                    results += list(pool.map(work, runnable))

    order = {e.id: i for i, e in enumerate(entries)}
    results.sort(key=lambda r: order.get(r.id, -1))
    by_status: dict[str, list[str]] = {}
    for r in results:
        by_status.setdefault(r.status, []).append(r.id)
    summary = {
        "total": len(entries) + sum(1 for r in results if r.status == "invalid"),
        "killed": len(by_status.get("killed", [])),
        "survived": by_status.get("survived", []),
        "stale": by_status.get("stale", []),
        "invalid": by_status.get("invalid", []),
        "errors": by_status.get("error", []),
        "not_run": [] if not (args.list or baseline_failed) else [e.id for e in runnable],
        "baseline": "skipped"
        if args.no_baseline or args.list
        else ("red" if baseline_failed else "green"),
        "seconds": round(time.monotonic() - started, 1),
        "results": [r.as_json() for r in results],
    }
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    if baseline_failed:
        return 2
    bad = summary["survived"] or summary["stale"] or summary["invalid"] or summary["errors"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
