"""The shortcuts of the fraud scanner's speed work: each skips work it can prove useless and
must never change a result. The branches of an alternation left out for a text
(`literals.py`), the concept words looked up by the text's 2-grams and the intent features'
weights remembered per set of signals and concepts (`model.py`)."""

from __future__ import annotations

import json
import math
import re
from itertools import repeat
from pathlib import Path
from typing import Any

import pytest

from bot.domain.fraud.detector import prose_of, ready_of, reveal
from bot.domain.fraud.literals import Branches, needed
from bot.domain.fraud.model import INTENT_WEIGHT, TextModel, _feature_sets, concepts, scale
from bot.domain.fraud.normalize import compact
from bot.domain.fraud.text import TextChecker, _compile
from tests.unit.test_fraud_firstchars import _groups  # every pattern group of scripts.yaml

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("转账|汇款", {"转账", "汇款"}),
        ("(?:转|打)(?:到|至)?[^，]{0,4}(?:安全账户|指定账户)", {"安全账户", "指定账户"}),
        ("\\bsend\\s+(?:me|us)\\s+the\\s+code", {"send"}),  # the longest words, first
        ("a?bc", {"bc"}),
        ("x{2,}y", {"x"}),
        ("[ab]c|d", {"c", "d"}),
        ("(?:x|yz)+q", {"q"}),
        ("(?:ab|cd)e?", {"ab", "cd"}),
    ],
)
def test_the_words_a_pattern_needs(pattern: str, words: set[str]) -> None:
    assert needed(pattern) == frozenset(words)


@pytest.mark.parametrize(
    "pattern",
    [
        "a?",  # optional: needs nothing
        "(?:x|y?)z?",  # one alternative needs nothing
        "x*",
        "[^，]{1,4}",  # a negated class
        ".",
        "\\d+",  # a category
        "[a-z]+",  # a class too wide to be a requirement
        "(?i)refund",  # ignores case
        "(?i:refund)",
    ],
)
def test_no_requirement_when_a_match_may_lack_every_word(pattern: str) -> None:
    assert needed(pattern) is None


def test_an_optional_or_alternative_part_is_never_a_requirement() -> None:
    branches = Branches(["(?:x|)退款", "钱?转账", "bc?d"], _compile)
    assert branches.live("申请退款") == 0b001
    # the optional "钱" and "c" are not required
    assert branches.live("快转账 bd") == 0b110
    assert _match_list(branches.for_text("快转账 bd"), "快转账 bd") == [
        ((1, 3), "转账", ()),
        ((4, 6), "bd", ()),
    ]
    assert branches.for_text("没有相关的词") is None


def _raw_texts() -> list[str]:
    out = []
    for path in sorted(DATA.glob("fraud*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(str(json.loads(line).get("text", "")))
    return out


def _match_list(pattern: re.Pattern[str] | None, text: str) -> list[tuple[Any, ...]]:
    if pattern is None:
        return []
    return [(m.span(), m.group(), m.groups()) for m in pattern.finditer(text)]


def test_pruned_alternations_find_exactly_what_the_whole_group_finds() -> None:
    texts = [compact(ready_of(reveal(raw)[0])) for raw in _raw_texts()]
    assert len(texts) > 5000
    left_out = 0
    for name, patterns in _groups():
        whole = _compile(patterns)
        branches = Branches(patterns, _compile, cache_size=1_000_000)  # every set compiled
        for text in texts:
            pruned = branches.for_text(text)
            assert _match_list(pruned, text) == _match_list(whole, text), (name, text)
            # and on a slice, as the checks search around a match
            half = len(text) // 2
            if pruned is not None:
                got = [m.span() for m in pruned.finditer(text, half)]
                assert got == [m.span() for m in whole.finditer(text, half)], (name, text)
            elif whole.search(text, half):
                raise AssertionError((name, text))
            left_out += branches.live(text) != (1 << len(patterns)) - 1
    assert left_out > 10_000  # the shortcut is taken


def test_a_full_cache_runs_the_whole_group() -> None:
    branches = Branches(["退款", "转账", "验证码"], _compile, cache_size=1)
    first = branches.for_text("申请退款")
    assert first is not None and first is not branches.whole
    # no room for a second alternation: the whole group, which finds the same
    later = branches.for_text("把验证码发我")
    assert later is branches.whole
    assert _match_list(later, "把验证码发我") == [((1, 4), "验证码", ())]
    assert branches.for_text("申请退款") is first  # the one compiled stays
    assert branches.for_text("你好") is None


def test_the_checks_run_pruned_alternations() -> None:
    checker = TextChecker()
    assert {"impersonation", "goods", "transfer", "scam_claims"} <= set(checker.pruned)
    # a message with none of the goods words runs no goods pattern at all
    assert checker.pruned["goods"].for_text("今天天气不错") is None


class _Whole:
    """A group that always runs every branch: what the checks did before pruning it."""

    def __init__(self, branches: Branches) -> None:
        self.whole = branches.whole

    def for_text(self, text: str) -> re.Pattern[str]:
        return self.whole


def test_scam_lines_with_pruned_branches_are_the_lines_of_the_whole_group() -> None:
    pruned, whole = TextChecker(), TextChecker()
    whole.pruned["scam_claims"] = _Whole(whole.pruned["scam_claims"])  # type: ignore[assignment]
    texts = [compact(ready_of(reveal(raw)[0])) for raw in _raw_texts()]
    found = 0
    for text in texts:
        for context in (False, True):
            got = pruned.check(text, context=context)
            want = whole.check(text, context=context)
            assert got.scam_claims == want.scam_claims, text
            assert got == want, text
        found += bool(got.scam_claims)
    assert found > 500  # scam lines were there to find (941 in the labelled files)


def test_concepts_by_2_grams_are_the_concepts_by_characters() -> None:
    texts = [prose_of(raw) for raw in _raw_texts()]
    named = 0
    for text in texts:
        s = " ".join(text.split())
        pairs = {s[i : i + 2] for i in range(len(s) - 1)}
        assert concepts(s, pairs) == concepts(s), text
        named += bool(concepts(s))
    assert named > 3000


def _reference(model: TextModel, text: str, signals: tuple[str, ...]) -> float:
    """The score as the feature sets define it, nothing remembered."""
    if len(text) - text.count(" ") < 12:
        return 0.0
    grams, intents = _feature_sets(text, signals)
    get = model.weights.get
    z = (
        model.bias
        + sum(map(get, grams, repeat(0.0))) * scale(len(grams) + len(intents))
        + sum(map(get, intents, repeat(0.0))) * INTENT_WEIGHT
    )
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def test_remembered_intent_weights_give_the_score_of_the_features() -> None:
    model = TextModel.load()
    signal_sets: list[tuple[str, ...]] = [(), ("req_transfer",), ("claim", "req_code")]
    for raw in _raw_texts()[:1500]:
        text = prose_of(raw)
        for signals in signal_sets:
            want = _reference(model, text, signals)
            assert model.score(text, signals=signals).probability == pytest.approx(
                want, abs=1e-12
            ), (text, signals)


def test_the_same_concepts_with_other_signals_score_otherwise() -> None:
    model = TextModel({"r:req_transfer": 40.0, "c:pay": 1.0}, -3.0)
    text = "please pay the money for the order now"
    plain = model.score(text).probability
    flagged = model.score(text, signals=("req_transfer",)).probability
    assert plain < 0.5 < flagged
    assert model.score(text).probability == plain  # the first result was not overwritten


_GUARDED = (
    "_CLAUSE_END",
    "_HYPOTHETICAL",
    "_REPORTED",
    "_REACTION",
    "_STAKE",
    "_MEETING_ABUSE",
    "_DENIED",
    "_ADDRESSED",
    "_CIRCLE",
    "_HANDED",
    "_SELF_QUESTION",
    "_IMPERATIVE",
    "_FRESH",
)


def test_guarded_module_patterns_find_what_they_found_before() -> None:
    import bot.domain.fraud.text as text_module

    texts = [compact(ready_of(reveal(raw)[0])) for raw in _raw_texts()]
    for name in _GUARDED:
        fast = getattr(text_module, name)
        head = fast.pattern.index("])(?:") + len("])(?:")
        assert fast.pattern.startswith("(?=[") and fast.pattern.endswith(")"), name
        plain = re.compile(fast.pattern[head:-1], fast.flags)
        for text in texts:
            want = [m.span() for m in plain.finditer(text)]
            assert [m.span() for m in fast.finditer(text)] == want, (name, text)
            half = len(text) // 2
            assert bool(fast.search(text, 0, half)) == bool(plain.search(text, 0, half))


@pytest.mark.parametrize("url", ["abc.top/xyz1", "https://refund-top.cn/x?a=1&b=2", "t.me/kf_9999"])
def test_a_base64_link_of_any_length_passes_the_quick_look(url: str) -> None:
    import base64

    from bot.domain.fraud.reveal import encoded_urls

    for blob in (base64.b64encode(url.encode()), base64.urlsafe_b64encode(url.encode())):
        text = blob.decode().rstrip("=")
        assert encoded_urls(f"看这个 {text} 快") == [url], text
    assert len(base64.b64encode(b"abc.top/xyz1")) == 16  # the shortest blob there is


def test_a_text_scored_again_is_explained_with_its_own_n_grams() -> None:
    remembered, fresh = TextModel.load(), TextModel.load()
    texts = [prose_of(raw) for raw in _raw_texts()[:400]]
    explained = 0
    for before, text in zip(["", *texts], texts, strict=False):
        remembered.score(before)  # another text's n-grams are the remembered ones
        plain = remembered.score(text)
        again = remembered.score(text, explain=True)  # the remembered sets, read again
        assert plain.probability == fresh.score(text).probability, text
        fresh._last = None  # computed afresh
        assert again == fresh.score(text, explain=True), text
        explained += bool(again.top)
    assert explained > 100


def test_registered_domains_are_remembered_per_string() -> None:
    from bot.domain.fraud import Detector

    urls = Detector(model=TextModel.off()).urls
    for _ in range(2):  # the second round reads what the first remembered
        assert urls.registered_domain("www.alipay.com") == ("alipay.com", True)
        assert urls.registered_domain("https://alipay-refund.top/x") == ("alipay-refund.top", False)
        assert urls.registered_domain("not a domain") is None
        assert urls.registered_domain("http://1.2.3.4/x") == ("1.2.3.4", False)
