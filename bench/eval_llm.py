"""Never worse than no model: the bot's readings on the labelled sets with no model, with a
model answering at random (the fake OpenAI-compatible server of the tests) and, when
--base-url is given, with a real model.

    python bench/eval_llm.py                              # no model vs random model
    python bench/eval_llm.py --seeds 5                    # more random runs
    python bench/eval_llm.py --base-url http://127.0.0.1:8000/v1 --model smollm2 \
        --structured json_schema --timeout 60             # a local server too (docs/llm.md)

Sets: typed wizard answers (tests/data/llm_fields.jsonl), cause descriptions
(tests/data/llm_causes.jsonl), retrieval questions (tests/data/retrieval_questions.jsonl),
scam messages (tests/data/fraud_cases.jsonl and fraud_fresh_batch1-14.jsonl: the model's
second opinion on the messages the other fraud checks are unsure about; scored as recall and
false-positive rate, with an extra run against a model that always knows the label, the
ceiling of what a second opinion can add).
Each item is one buyer message: at most one model call. The final reading is `correct`,
`wrong_own` (the bot's own parser, keywords or retriever erred) or `abstain` (the bot asks
again, offers the list, or says it is not sure). A model's reading is a suggestion the buyer
confirms with a button; a wrong one is turned down and counted in `wrong_suggestions`.
Prints one JSON object; timings state the load average and CPU time they were taken at.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter
from datetime import datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.domain.intake import parse_amount, parse_order_number, parse_payment_time  # noqa: E402
from bot.domain.vocab import Cause  # noqa: E402
from bot.knowledge import KnowledgeBase  # noqa: E402
from bot.knowledge.evaluation import load_questions  # noqa: E402
from bot.llm.budget import turn  # noqa: E402
from bot.llm.combine import ask_with_rewrite, read_cause, read_field  # noqa: E402
from bot.llm.gateway import Gateway  # noqa: E402
from bot.llm.schemas import FieldStep  # noqa: E402

DATA = ROOT / "tests" / "data"
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=TZ)  # the labelled payment times are relative to this
PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{5,39}$"
CAUSES = [c.value for c in Cause if c is not Cause.OTHER]


SAMPLE = 0  # --sample: evenly spaced items of each set (0: all), the same for every run


def _pick(items: list[Any]) -> list[Any]:
    if not SAMPLE or len(items) <= SAMPLE:
        return items
    step = len(items) / SAMPLE
    return [items[int(i * step)] for i in range(SAMPLE)]


def _rows(name: str) -> list[dict[str, Any]]:
    return _pick(
        [
            json.loads(line)
            for line in (DATA / name).read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
    )


def _cpu_of(pid: int | None) -> float | None:
    """CPU seconds (user + system) used so far by another process (the model server)."""
    if not pid:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _score(marks: list[str]) -> dict[str, Any]:
    counts = Counter(marks)
    n = len(marks) or 1
    correct = counts["correct"] + counts["correct_after_no"]
    return {
        "n": len(marks),
        "correct": correct,
        "wrong_own": counts["wrong_own"],  # the bot's parser or keywords read it wrong
        "abstain": counts["abstain"] + counts["abstain_after_no"],
        "wrong_suggestions": counts["correct_after_no"]
        + counts["abstain_after_no"],  # buyer taps "no"
        "accuracy": round(correct / n, 4),
    }


async def _fields(gateway: Gateway | None) -> list[str]:
    marks = []
    parsers = {
        FieldStep.ORDER_NUMBER: partial(parse_order_number, pattern=PATTERN),
        FieldStep.AMOUNT: partial(parse_amount, maximum=Decimal("50000")),
        FieldStep.PAYMENT_TIME: partial(parse_payment_time, now=NOW, tz=TZ),
    }
    for n, row in enumerate(_rows("llm_fields.jsonl")):
        step = FieldStep(row["step"])
        with turn(f"fields:{n}", case_key=f"fields:{n}"):
            reading = await read_field(
                gateway,
                step,
                row["text"],
                parsers[step],
                CAUSES,
                now=NOW,
                tz=TZ,
                order_pattern=PATTERN,
            )
        marks.append(_mark(reading, row["expected"]))
    return marks


async def _causes(gateway: Gateway | None) -> list[str]:
    marks = []
    for n, row in enumerate(_rows("llm_causes.jsonl")):
        with turn(f"causes:{n}", case_key=f"causes:{n}"):
            reading = await read_cause(gateway, row["text"], CAUSES, now=NOW, tz=TZ)
        marks.append(_mark(reading, None if row["expected"] == "other" else row["expected"]))
    return marks


def _mark(reading: Any, expected: str | None) -> str:
    """The final reading after the buyer's confirmation: a wrong model suggestion is turned
    down with one tap and the bot goes on as without a model (marked `*_after_no`)."""
    if reading is not None and reading.needs_confirmation and reading.value != expected:
        return "correct_after_no" if expected is None else "abstain_after_no"
    if reading is None:
        return "correct" if expected is None else "abstain"
    return "correct" if reading.value == expected else "wrong_own"


async def _retrieval(gateway: Gateway | None, kb: KnowledgeBase) -> list[str]:
    """Correct: a confident answer whose best section is labelled (or not confident on an
    off-topic question); wrong: confident and wrong; abstain: not confident on an
    answerable question."""
    marks = []
    for n, question in enumerate(_pick(load_questions(DATA / "retrieval_questions.jsonl"))):
        with turn(f"retrieval:{n}", case_key=f"retrieval:{n}"):
            answer = await ask_with_rewrite(gateway, kb, question.q, question.lang)
        if not question.answerable:
            marks.append("wrong_own" if answer.confident else "correct")
        elif not answer.confident:
            marks.append("abstain")
        else:
            marks.append(
                "correct"
                if answer.sources and answer.sources[0].id in question.ids
                else "wrong_own"
            )
    return marks


FRAUD_SETS = ("fraud_cases.jsonl", *(f"fraud_fresh_batch{n}.jsonl" for n in range(1, 15)))


class Oracle:
    """A model that knows every label: it answers `classify_scam` with the truth of the
    message being checked (set before each check), to show how much a model that settles
    the unsure band perfectly could add."""

    def __init__(self) -> None:
        self.scam = False

    def __call__(self, _body: dict[str, Any]) -> Any:
        from tests.fakellm import Reply

        technique = "impersonation" if self.scam else "none"
        return Reply({"scam": self.scam, "technique": technique, "confidence": 0.95})


async def _scams(gateway: Gateway | None, oracle: Oracle | None = None) -> dict[str, Any]:
    """The fraud checks with the model's second opinion (`bot.telegram.fraud.second_opinion`)
    on the labelled set and fresh batches 1-7: scams warned about (medium or high), harmless
    messages warned about, and how many sat in the unsure band the model is asked about."""
    from bot.domain.fraud import Detector, Risk
    from bot.domain.fraud.detector import unsure
    from bot.services.scam import fraud_texts
    from bot.telegram.fraud import second_opinion

    detector = Detector(texts=fraud_texts())
    counts: Counter[str] = Counter()
    for name in FRAUD_SETS:
        for n, row in enumerate(_rows(name)):
            scam = row["label"] == "scam"
            kind = "scam" if scam else "harmless"
            verdict = detector.scan_text(row["text"])
            counts[f"{kind}_unsure"] += unsure(verdict)
            if oracle is not None:
                oracle.scam = scam
            with turn(f"scam:{name}:{n}"):
                verdict = await second_opinion(detector, verdict, row["text"], gateway)
            counts[kind] += 1
            counts[f"{kind}_warned"] += verdict.at_least(Risk.MEDIUM)
    return {
        "scams": counts["scam"],
        "scams_warned": counts["scam_warned"],
        "harmless": counts["harmless"],
        "harmless_warned": counts["harmless_warned"],
        "recall": round(counts["scam_warned"] / max(1, counts["scam"]), 4),
        "false_positive_rate": round(counts["harmless_warned"] / max(1, counts["harmless"]), 4),
        "unsure_band": {"scams": counts["scam_unsure"], "harmless": counts["harmless_unsure"]},
    }


async def _run(
    gateway: Gateway | None, kb: KnowledgeBase, oracle: Oracle | None = None
) -> dict[str, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = {
        "typed_fields": _score(await _fields(gateway)),
        "cause_descriptions": _score(await _causes(gateway)),
        "retrieval_questions": _score(await _retrieval(gateway, kb)),
        "scam_messages": await _scams(gateway, oracle),
    }
    result["seconds"] = round(time.perf_counter() - wall, 3)
    result["cpu_seconds"] = round(time.process_time() - cpu, 3)
    if gateway is not None:
        snap = gateway.counters.snapshot()
        cases = max(1, snap["cases_with_tokens"])
        result["model"] = {
            key: snap[key]
            for key in (
                "calls",
                "ok",
                "fallbacks",
                "errors",
                "guardrails",
                "refused",
                "tokens_in",
                "tokens_out",
                "tokens_by_use",
                "latency_ms_avg",
                "latency_ms_max",
            )
        }
        result["model"]["tokens_per_message_with_a_call"] = round(
            (snap["tokens_in"] + snap["tokens_out"]) / cases, 1
        )
    return result


def _prompt_sizes(kb: KnowledgeBase) -> dict[str, int]:
    """Estimated tokens of each use's prompt (system + user) for a typical message, in the
    default tools mode (the schema travels as the tool definition, not counted here)."""
    from bot.domain.rules import decide, sample_facts
    from bot.llm.gateway import estimate_tokens
    from bot.llm.prompts import render
    from bot.policy_files import load_policy

    policy = load_policy()
    facts = next(iter(sample_facts(policy)))
    facts_json = json.dumps(
        {
            "facts": facts.model_dump(mode="json"),
            "decision": decide(policy, facts).model_dump(mode="json"),
        },
        ensure_ascii=False,
    )
    passages = [
        {"id": p.id, "title": p.title, "text": p.text}
        for p in kb.search("银行卡退款多久到账", "zh", 3)
    ]
    events = [
        {"at": "2026-11-30 10:00", "who": "buyer", "text": "卡密无效，充值失败，商家不回消息"}
    ] * 6
    causes = [{"code": code, "en": code, "zh": code} for code in CAUSES]
    common = {"marker": "ref-00000000", "schema_hint": "", "text": "tk多久到帐啊，我付了一百二十块"}
    values = {
        "extract_field": {
            "step": "cause",
            "causes": causes,
            "today": "2026-11-30 12:00",
            "timezone": "Asia/Shanghai",
        },
        "classify_intent": {},
        "rewrite_query": {},
        "grounded_answer": {"language": "zh", "passages": passages},
        "summarise_case": {"language": "zh", "facts": facts_json, "events": events},
    }
    return {
        use: estimate_tokens(
            render(f"{use}.system", **common, **extra) + render(f"{use}.user", **common, **extra)
        )
        for use, extra in values.items()
    }


def _never_worse(none: dict[str, Any], other: dict[str, Any]) -> dict[str, bool]:
    sets = ("typed_fields", "cause_descriptions", "retrieval_questions")
    return {
        s: other[s]["correct"] >= none[s]["correct"]
        and other[s]["wrong_own"] <= none[s]["wrong_own"]
        for s in sets
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    from tests.fakellm import FakeLLM, random_answers

    kb = KnowledgeBase.load()
    report: dict[str, Any] = {
        "load_average_1min_start": round(os.getloadavg()[0], 2),
        "sample_per_set": SAMPLE or "all",
    }
    report["prompt_tokens_estimate"] = _prompt_sizes(kb)
    report["no_model"] = await _run(None, kb)

    def fake(server: FakeLLM, model: str) -> Gateway:
        return Gateway(
            base_url=server.base_url,
            model=model,
            timeout_seconds=5,
            max_retries=0,
            structured="tools",
        )

    runs = []
    for seed in range(args.seeds):
        # tokens: the gateway's estimate
        async with FakeLLM(random_answers(seed), usage=False) as server:
            runs.append(await _run(fake(server, "random"), kb))
    report["random_model"] = {"seeds": args.seeds, "runs": runs}
    report["random_never_worse"] = all(
        all(_never_worse(report["no_model"], run).values()) for run in runs
    )
    # the ceiling of the fraud second opinion: a model that is always right
    oracle = Oracle()
    async with FakeLLM(oracle, usage=False) as server:
        report["oracle_scam_messages"] = await _scams(fake(server, "oracle"), oracle)
    if args.base_url:
        gateway = Gateway(
            base_url=args.base_url,
            model=args.model,
            api_key=args.api_key,
            timeout_seconds=args.timeout,
            max_retries=0,
            structured=args.structured,
        )
        server_cpu = _cpu_of(args.server_pid)
        report["real_model"] = await _run(gateway, kb)
        report["real_model"]["name"] = args.model
        report["real_model"]["structured"] = args.structured
        if server_cpu is not None:
            spent = (_cpu_of(args.server_pid) or server_cpu) - server_cpu
            report["real_model"]["server_cpu_seconds"] = round(spent, 2)
        report["real_never_worse"] = _never_worse(report["no_model"], report["real_model"])
    report["load_average_1min_end"] = round(os.getloadavg()[0], 2)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="random-model runs")
    parser.add_argument("--base-url", default=None, help="a real OpenAI-compatible server")
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--api-key", default=None)
    parser.add_argument(
        "--structured", default="json_schema", choices=["tools", "json_schema", "json"]
    )
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument(
        "--sample", type=int, default=0, help="evenly spaced items per set (default: all)"
    )
    parser.add_argument(
        "--server-pid", type=int, default=None, help="the model server's pid, for its CPU time"
    )
    args = parser.parse_args(argv)
    global SAMPLE
    SAMPLE = args.sample
    report = asyncio.run(main_async(args))
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return (
        0
        if report["random_never_worse"] and all(report.get("real_never_worse", {}).values())
        else 1
    )


if __name__ == "__main__":
    raise SystemExit(main())
