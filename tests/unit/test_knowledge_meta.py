"""Questions about the assistant itself (meta_questions.toml): families of phrasings, with
hard negatives that must keep going to the refund sections."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge import KnowledgeBase
from bot.knowledge.smalltalk import META_FILE, meta_patterns


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("你会些什么", "how-to-use"),
        ("这个助手都能帮我干啥？", "how-to-use"),
        ("你可以帮我做哪些事", "how-to-use"),
        ("有什么功能", "how-to-use"),
        ("what are you able to help with", "how-to-use"),
        ("so what can this bot do for me?", "how-to-use"),
        ("how do I use this bot", "how-to-use"),
        ("你是真人还是机器人", "official-support"),
        ("你们是正规平台的客服吗？", "official-support"),
        ("請問你是不是官方的", "official-support"),
        ("am I talking to a bot?", "official-support"),
        ("are you official or a third party?", "official-support"),
        ("is this the official support", "official-support"),
        ("我的订单号在哪里看", "order-number"),
        ("去哪找單號", "order-number"),
        ("where can I see my order id", "order-number"),
        ("how do i find the order number", "order-number"),
    ],
)
def test_meta_questions_are_answered_from_their_section(
    kb: KnowledgeBase, question: str, expected: str
) -> None:
    answer = kb.ask(question)
    assert answer.confident, question
    assert answer.sources[0].id == expected


@pytest.mark.parametrize(
    ("question", "not_expected"),
    [
        ("你能帮我退款吗", "how-to-use"),  # a refund question, not one about the assistant
        ("can you refund me", "how-to-use"),
        ("what can i do if the merchant never sends the code", "how-to-use"),
        ("商家是不是骗子", "official-support"),
        ("is this link official", "official-support"),
        ("are refunds official policy", "official-support"),
        ("订单号填错了怎么办", "order-number"),
        ("my order number shows paid but nothing came", "order-number"),
    ],
)
def test_hard_negatives_are_not_meta(kb: KnowledgeBase, question: str, not_expected: str) -> None:
    assert kb.smalltalk.alias(question, kb.ask(question).lang) != not_expected


def test_every_meta_family_names_a_shipped_section(kb: KnowledgeBase) -> None:
    named = {section for section, _lang, _pattern in meta_patterns()}
    assert named and named <= kb.section_ids()


def test_a_knowledge_folder_without_the_section_skips_its_family(tmp_path: Path) -> None:
    (tmp_path / "kb.md").write_text(
        "## 手续费 {#fees}\n\n卖家原因不收手续费,买家原因最多收 10%。\n", encoding="utf-8"
    )
    kb = KnowledgeBase.load(tmp_path)
    assert kb.smalltalk.alias("你会些什么", "zh") is None


def test_a_bad_pattern_names_its_section(tmp_path: Path) -> None:
    bad = tmp_path / "meta.toml"
    bad.write_text('[[intent]]\nsection = "x"\nzh = ["(unclosed"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="x"):
        meta_patterns(bad)
    assert META_FILE.exists()
