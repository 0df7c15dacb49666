"""Every `policy_refs` id of the default policy is a section of the knowledge base.

Sections are Markdown headings ending in a Pandoc-style id, `## Title {#id}`, in
knowledge/*.md (any language folder below it).
"""

from __future__ import annotations

from pathlib import Path

from bot.commands.policy import knowledge_ids
from bot.domain.rules import section_ids
from bot.policy_files import DEFAULT_POLICY_PATH, load_policy

KNOWLEDGE = DEFAULT_POLICY_PATH.parent


def test_section_ids_from_headings() -> None:
    text = "\n".join(
        [
            "# 退款 {#process}",
            "## Refund arrival time {#arrival-times}",
            "### trailing spaces {#fees}   ",
            "not a heading {#nope}",
            "## no id",
            "    ## indented code {#code}",
        ]
    )
    assert section_ids(text) == {"process", "arrival-times", "fees"}


def test_every_policy_ref_resolves() -> None:
    ids = knowledge_ids(KNOWLEDGE)
    assert ids, f"no `{{#id}}` headings found in {KNOWLEDGE.name}/*.md"
    policy = load_policy(DEFAULT_POLICY_PATH)
    missing = {
        rule.id: sorted(set(rule.policy_refs) - ids)
        for rule in policy.rules
        if set(rule.policy_refs) - ids
    }
    assert not missing, f"policy_refs without a knowledge-base section: {missing}"
    # the loader's own check agrees
    assert load_policy(DEFAULT_POLICY_PATH, known_refs=ids).version == policy.version


def test_knowledge_ids_reads_nested_folders(tmp_path: Path) -> None:
    (tmp_path / "zh").mkdir()
    (tmp_path / "zh" / "a.md").write_text("## 手续费 {#fees}\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("# Appeals {#appeals}\n", encoding="utf-8")
    (tmp_path / "c.txt").write_text("# Not markdown {#other}\n", encoding="utf-8")
    assert knowledge_ids(tmp_path) == {"fees", "appeals"}
