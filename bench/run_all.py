"""Run every benchmark and print their figures as one JSON object (`make bench`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCRIPTS = {
    "bot": ["bench_bot.py"],
    "scale": ["bench_scale.py"],
    "rules": ["bench_rules.py"],
    "retrieval": ["bench_retrieval.py"],
    "retrieval_quality": ["eval_retrieval.py"],
    "fraud": ["bench_fraud.py"],
    "fraud_accuracy": ["eval_fraud.py"],
    "fraud_generalisation": ["loto_fraud.py"],
    "fraud_images": ["bench_images.py", "--runs", "5"],
    "web": ["bench_web.py"],
}


def main() -> int:
    results: dict[str, object] = {}
    for name, command in SCRIPTS.items():
        done = subprocess.run(
            [sys.executable, str(BENCH / command[0]), *command[1:]],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            results[name] = {"error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
            continue
        results[name] = json.loads(done.stdout)
    print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
