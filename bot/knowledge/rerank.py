"""A learned reranker over the best few sections, and the confidence it gives its choice.

The fused lexical ranking (`index.py`) is usually right at three but, on wording it has not
seen, often puts a neighbour of the right section first. The reranker looks again at the
best TOP_K sections with features that say *why* each one matched:

- the fused score and each channel's score (BM25 words, character n-grams, the nearest
  example question), relative to that channel's best, and whether the channel ranks the
  section first;
- how much of the question the section covers: its content words (plain and weighted by
  idf) in the section's words, in its title and aliases, and in its nearest example
  question (a question-to-question channel, word for word);
- fact type: the question asks a time / an amount / a step / whom to contact / where to
  find something, and the section does or does not state that kind of fact;
- contrast: the question's words the section holds and no other candidate does (what tells
  close neighbours apart);
- memory: the section's nearest labelled buyer question (Memory, the training splits'
  questions shipped with the weights), its similarity and whether it is the nearest of all,
  and its share of the votes of the VOTE_K nearest labelled questions.

A linear score over these features, softmax over the candidates, gives each candidate a
probability. The best one answers; the answer is unsure when that probability is below
MIN_PROBABILITY (close neighbours whose evidence disagrees share the probability).

The weights are data (`data/rerank.json`), trained on the tuned splits of the labelled
questions and on the texts' own example questions, each asked of an index built without it
(never on the batches kept for a blind check), by one command:

    python bench/train_reranker.py
"""

from __future__ import annotations

import heapq
import json
import logging
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from bot.knowledge.calibration import section_ranking
from bot.knowledge.lexical import TfidfIndex
from bot.knowledge.normalise import normalise
from bot.knowledge.textproc import char_ngrams, gate_words, query_char_ngrams

log = logging.getLogger(__name__)

Ranking = list[tuple[int, float]]

TOP_K = 4
MODEL_FILE = Path(__file__).resolve().parent / "data" / "rerank.json"
FEATURE_VERSION = 4

CHANNELS = ("bm25", "chars", "examples")
# the nearest labelled question of each candidate section (Memory): its similarity relative
# to the best one, as it is, and whether the candidate owns the nearest of all; and its
# share of the votes of the VOTE_K nearest labelled questions (each votes its similarity
# for every section it names): one near question can be a neighbour's, several rarely are
MEMORY_FEATURES = ("memory_rel", "memory_sim", "memory_first", "memory_vote")
VOTE_K = 5
FEATURES: tuple[str, ...] = (
    "fused",
    "fused_first",
    *(f"{c}_rel" for c in CHANNELS),
    *(f"{c}_first" for c in CHANNELS),
    "cover",
    "cover_idf",
    "title_cover",
    "example_cover",
    "example_jaccard",
    "kind_match",
    "kind_miss",
    "intent_match",
    "intent_miss",
    "unique_cover",
    "unique_title",
    *MEMORY_FEATURES,
)

# what a question asks besides time / money / step (answers.py): whom to contact, where
# something is, which details to give; each needs a section that states such a fact
_INTENTS = {
    "contact": re.compile(
        r"找谁|联系谁|联系|客服|人工|电话|投诉|who (?:do|can|should)|contact|talk to|"
        r"speak to|customer service|support|complain"
    ),
    "where": re.compile(r"在哪|哪里|哪儿|去哪|入口|where|which (?:page|button|menu)|find"),
    "fields": re.compile(
        r"填什么|写什么|填啥|写啥|选啥|选什么|哪些信息|什么材料|啥材料|哪些材料|要什么|"
        r"what (?:do i|should i|to) (?:write|fill|put|give|provide|choose|select)|which (?:fields|details|reason)"
    ),
}
_INTENT_FACTS = {
    "contact": re.compile(
        r"客服|人工|联系|拨打|投诉|热线|12315|反诈|警|support|contact|call|report|complain|police"
    ),
    "where": re.compile(r"入口|页面|菜单|按钮|点击|打开|详情|page|menu|button|tap|open|details"),
    "fields": re.compile(
        r"填写|写明|选择|提供|上传|材料|截图|订单号|原因|fill|write|choose|select|provide|upload|"
        r"screenshot|order number|reason"
    ),
}


def asked_intents(question: str) -> frozenset[str]:
    text = normalise(question)
    return frozenset(k for k, p in _INTENTS.items() if p.search(text))


@lru_cache(maxsize=8192)
def intent_facts(text: str) -> frozenset[str]:
    norm = normalise(text)
    return frozenset(k for k, p in _INTENT_FACTS.items() if p.search(norm))


@dataclass(frozen=True)
class Profile:
    """What a section offers a question, computed once when the index is built."""

    words: frozenset[str]  # title, aliases, text and example questions
    title_words: frozenset[str]  # title and aliases
    examples: tuple[frozenset[str], ...]  # each example question's words (and the title's)
    facts: frozenset[str]  # kinds of fact its sentences state (time, money, step, ...)


@dataclass(frozen=True)
class Query:
    """What the features need from the question."""

    words: frozenset[str]
    kinds: frozenset[str]  # time / money / step / contact / where / fields
    idf: Callable[[str], float] = field(default=lambda _w: 1.0)
    # each section's nearest labelled question (cosine, Memory.scores); empty without one
    memory: Mapping[str, float] = field(default_factory=dict)
    # each section's share of the nearest labelled questions' votes (Memory.votes)
    votes: Mapping[str, float] = field(default_factory=dict)


@dataclass
class Reranked:
    sections: list[str]  # best first
    probabilities: list[float]  # same order
    # the similarity of the nearest labelled buyer question (Memory), any section; None
    # without a memory
    nearest: float | None = None

    @property
    def best_probability(self) -> float:
        return self.probabilities[0] if self.probabilities else 0.0


def section_scores(ranking: Ranking, section_of: Callable[[int], str]) -> dict[str, float]:
    """Each section's best chunk score, best first; sections that scored nothing left out."""
    return {sid: score for sid, score in section_ranking(ranking, section_of) if score > 0.0}


def candidate_features(
    fused: Mapping[str, float],
    channels: Sequence[Mapping[str, float]],
    candidates: Sequence[str],
    query: Query,
    profiles: Mapping[str, Profile],
) -> list[list[float]]:
    """One feature vector (in FEATURES order) per candidate section."""
    top_fused = max(fused.values(), default=0.0) or 1.0
    first_fused = candidates[0] if candidates else ""
    channel_tops = [max(c.values(), default=0.0) or 1.0 for c in channels]
    channel_firsts = [max(c, key=lambda s: c[s]) if c else "" for c in channels]
    words = query.words
    n_words = len(words) or 1
    idf_total = sum(query.idf(w) for w in words) or 1.0
    # each candidate's share of the question that none of the other candidates has: what
    # tells close neighbours apart when they share most of the question's words
    unique, unique_title = _contrastive(candidates, words, profiles)
    rows = []
    for sid in candidates:
        profile = profiles.get(sid)
        row = [fused.get(sid, 0.0) / top_fused, 1.0 if sid == first_fused else 0.0]
        for i in range(len(CHANNELS)):
            row.append(channels[i].get(sid, 0.0) / channel_tops[i] if i < len(channels) else 0.0)
        for i in range(len(CHANNELS)):
            row.append(1.0 if i < len(channels) and channel_firsts[i] == sid else 0.0)
        if profile is None or not words:
            row.extend([0.0] * (len(FEATURES) - len(row)))
            rows.append(row)
            continue
        covered = words & profile.words
        row.append(len(covered) / n_words)
        row.append(sum(query.idf(w) for w in covered) / idf_total)
        row.append(len(words & profile.title_words) / n_words)
        best_cover = best_jaccard = 0.0
        for example in profile.examples:
            shared = len(words & example)
            if not shared:
                continue
            best_cover = max(best_cover, shared / n_words)
            best_jaccard = max(best_jaccard, shared / len(words | example))
        row.append(best_cover)
        row.append(best_jaccard)
        facts = ("time", "money", "step")
        asked_facts = {k for k in query.kinds if k in facts}
        row.append(1.0 if asked_facts & profile.facts else 0.0)
        row.append(1.0 if asked_facts and not asked_facts & profile.facts else 0.0)
        asked_intents_ = query.kinds - set(facts)
        row.append(1.0 if asked_intents_ & profile.facts else 0.0)
        row.append(1.0 if asked_intents_ and not asked_intents_ & profile.facts else 0.0)
        row.append(sum(query.idf(w) for w in unique[sid]) / idf_total)
        row.append(len(unique_title[sid]) / n_words)
        row.extend([0.0] * len(MEMORY_FEATURES))
        rows.append(row)
    memory_rows = memory_features(query.memory, candidates, query.votes)
    for row, memory_row in zip(rows, memory_rows, strict=True):
        row[-len(MEMORY_FEATURES) :] = memory_row
    return rows


def memory_features(
    memory: Mapping[str, float], candidates: Sequence[str], votes: Mapping[str, float] | None = None
) -> list[list[float]]:
    """MEMORY_FEATURES of each candidate from the sections' nearest labelled questions
    (`Memory.scores`) and their votes (`Memory.votes`)."""
    top = max(memory.values(), default=0.0)
    first = max(memory, key=lambda s: memory[s]) if top > 0.0 else ""
    votes = votes or {}
    return [
        [
            memory.get(sid, 0.0) / top if top else 0.0,
            memory.get(sid, 0.0),
            float(sid == first),
            votes.get(sid, 0.0),
        ]
        for sid in candidates
    ]


class Memory:
    """Labelled buyer questions, each with the sections that answer it: a question-to-
    question channel over real wording (character n-gram TF-IDF, one index per language).
    A section scores as its nearest labelled question."""

    def __init__(self, questions: Sequence[tuple[str, str, Sequence[str]]]) -> None:
        self.questions = [(q, lang, tuple(ids)) for q, lang, ids in questions]
        self._indexes: dict[str, tuple[TfidfIndex, list[tuple[str, ...]]]] = {}
        self._words: dict[str, frozenset[str]] = {}
        for lang in sorted({lang for _q, lang, _ids in self.questions}):
            chosen = [(q, ids) for q, qlang, ids in self.questions if qlang == lang]
            index = TfidfIndex(
                [q for q, _ids in chosen], char_ngrams, query_tokenizer=query_char_ngrams
            )
            self._indexes[lang] = (index, [ids for _q, ids in chosen])

    def words(self, lang: str) -> frozenset[str]:
        """The content words (as the gate reads them) of the labelled questions of one
        language: the buyers' own vocabulary (game names, slang) that the texts lack."""
        found = self._words.get(lang)
        if found is None:
            found = frozenset(
                word
                for q, qlang, _ids in self.questions
                if qlang == lang
                for word, _stand_ins in gate_words(q)
            )
            self._words[lang] = found
        return found

    def scores(self, question: str, lang: str) -> dict[str, float]:
        """Each section's similarity to its nearest labelled question."""
        return self.recall(question, lang)[0]

    def votes(self, question: str, lang: str) -> dict[str, float]:
        """Each section's share of the votes of the VOTE_K nearest labelled questions."""
        return self.recall(question, lang)[1]

    def recall(self, question: str, lang: str) -> tuple[dict[str, float], dict[str, float]]:
        """(scores, votes) of the question, computed from one lookup."""
        found = self._indexes.get(lang)
        if found is None:
            return {}, {}
        index, owners = found
        best: dict[str, float] = {}
        scored = index.score(question)
        for doc, score in scored.items():
            for sid in owners[doc]:
                if score > best.get(sid, 0.0):
                    best[sid] = score
        nearest = heapq.nlargest(VOTE_K, scored.items(), key=lambda x: (x[1], -x[0]))
        total = sum(score for _doc, score in nearest if score > 0.0)
        votes: dict[str, float] = {}
        for doc, score in nearest:
            if score > 0.0:
                for sid in owners[doc]:
                    votes[sid] = votes.get(sid, 0.0) + score / total
        return best, votes


def _contrastive(
    candidates: Sequence[str], words: frozenset[str], profiles: Mapping[str, Profile]
) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """For each candidate, the question's words found in it and in no other candidate (its
    words, then its title and aliases)."""
    found = {s: words & p.words if (p := profiles.get(s)) else frozenset() for s in candidates}
    titled = {
        s: words & p.title_words if (p := profiles.get(s)) else frozenset() for s in candidates
    }
    unique = {}
    unique_title = {}
    for sid in candidates:
        others = frozenset().union(*(found[o] for o in candidates if o != sid))
        others_titled = frozenset().union(*(titled[o] for o in candidates if o != sid))
        unique[sid] = found[sid] - others
        unique_title[sid] = titled[sid] - others_titled
    return unique, unique_title


@dataclass(frozen=True)
class RerankModel:
    weights: tuple[float, ...]
    min_probability: float = 0.0
    top_k: int = TOP_K
    memory: Memory | None = field(default=None, compare=False)

    @classmethod
    def load(cls, path: Path | str = MODEL_FILE) -> RerankModel:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("version") != FEATURE_VERSION or list(data["features"]) != list(FEATURES):
            raise ValueError(f"{path}: trained for other features; run bench/train_reranker.py")
        memory = data.get("memory")
        return cls(
            tuple(float(data["weights"][name]) for name in FEATURES),
            float(data.get("min_probability", 0.0)),
            int(data.get("top_k", TOP_K)),
            Memory([(q, lang, ids) for q, lang, ids in memory]) if memory else None,
        )

    def probabilities(self, rows: Sequence[Sequence[float]]) -> list[float]:
        scores = [sum(w * x for w, x in zip(self.weights, row, strict=True)) for row in rows]
        if not scores:
            return []
        top = max(scores)
        exp = [math.exp(s - top) for s in scores]
        total = sum(exp)
        return [e / total for e in exp]

    def rerank(
        self,
        fused: Ranking,
        parts: Sequence[Ranking],
        section_of: Callable[[int], str],
        query: Query,
        profiles: Mapping[str, Profile],
    ) -> Reranked:
        fused_sections = section_scores(fused, section_of)
        candidates = sorted(fused_sections, key=lambda s: -fused_sections[s])[: self.top_k]
        channels = [section_scores(p, section_of) for p in parts[: len(CHANNELS)]]
        rows = candidate_features(fused_sections, channels, candidates, query, profiles)
        probs = self.probabilities(rows)
        order = sorted(range(len(candidates)), key=lambda i: (-probs[i], i))
        return Reranked([candidates[i] for i in order], [probs[i] for i in order])


def reorder(ranking: Ranking, section_of: Callable[[int], str], sections: Sequence[str]) -> Ranking:
    """`ranking` with the best chunk of each of `sections` first, in that order; every other
    chunk follows in its old order."""
    best: dict[str, tuple[int, float]] = {}
    for chunk, score in ranking:
        sid = section_of(chunk)
        if sid not in best:
            best[sid] = (chunk, score)
    head = [best[s] for s in sections if s in best]
    moved = {chunk for chunk, _score in head}
    return head + [(c, s) for c, s in ranking if c not in moved]


def make_profile(
    words: Collection[str],
    title_words: Collection[str],
    examples: Sequence[Collection[str]],
    facts: Collection[str],
) -> Profile:
    return Profile(
        frozenset(words),
        frozenset(title_words),
        tuple(frozenset(e) for e in examples if e),
        frozenset(facts),
    )


@lru_cache(maxsize=1)
def default_model() -> RerankModel | None:
    """The shipped model, or None before it has been trained or when it was trained for
    other features (logged: retrain with bench/train_reranker.py; the fused order stays)."""
    if not MODEL_FILE.exists():
        return None
    try:
        return RerankModel.load(MODEL_FILE)
    except (ValueError, KeyError) as exc:
        log.warning("reranker not loaded: %s", exc)
        return None
