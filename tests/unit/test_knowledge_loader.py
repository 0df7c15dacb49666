"""Loading knowledge files: section ids, titles, languages, chunking, text files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge import DEFAULT_DIR, KnowledgeBase, KnowledgeError
from bot.knowledge.chunking import chunk_section, chunk_sections
from bot.knowledge.loader import (
    LoadReport,
    Section,
    load_sections,
    markdown_to_text,
    parse_markdown,
)

REQUIRED_IDS = {
    "order-states",
    "unpaid-cancel",
    "causes-merchant",
    "causes-buyer",
    "causes-payment",
    "causes-platform",
    "personal-agent",
    "duplicate-charge",
    "delisting",
    "undelivered",
    "delivered-not-redeemed",
    "redeemed-goods",
    "no-seven-day-return",
    "evidence",
    "process",
    "merchant-review",
    "platform-review",
    "deadlines",
    "arrival-times",
    "fees",
    "appeals",
    "outside-channels",
    "scams",
    "real-refunds",
}


def test_shipped_knowledge_has_every_required_id_in_both_languages() -> None:
    sections = load_sections(DEFAULT_DIR)
    zh = {s.id for s in sections if s.lang == "zh"}
    en = {s.id for s in sections if s.lang == "en"}
    assert zh >= REQUIRED_IDS
    assert zh == en, f"zh only: {sorted(zh - en)}, en only: {sorted(en - zh)}"
    for section in sections:
        assert section.title and section.body, section.id


def test_heading_ids_titles_and_subheadings() -> None:
    text = """# File title

Intro that belongs to no section.

## 退款到账时间 {#arrival-times}

银行卡 2–5 个工作日。

### 注意

周末不算工作日。

## Fees {#fees lang=en .important}

At most 10%.

## 没有 id 的标题

自动编号。
"""
    sections = parse_markdown(text, path="zh/money.md", lang="zh", stem="money")
    assert [(s.id, s.title, s.lang) for s in sections] == [
        ("arrival-times", "退款到账时间", "zh"),
        ("fees", "Fees", "en"),
        ("money-1", "没有 id 的标题", "zh"),
    ]
    assert "周末不算工作日" in sections[0].body  # a sub-heading stays in its section
    assert "Intro" not in "".join(s.body for s in sections)


def test_headings_inside_code_fences_are_not_sections() -> None:
    text = "## A {#a}\n\n```\n## not a heading {#b}\n```\n"
    assert [s.id for s in parse_markdown(text)] == ["a"]


def test_markdown_to_text_flattens_tables_and_emphasis() -> None:
    body = "**注意**:\n\n| 支付方式 | 到账时间 |\n|---|---|\n| 银行卡 | 2–5 个工作日 |\n"
    text = markdown_to_text(body)
    assert "**" not in text and "|" not in text
    assert "银行卡：2–5 个工作日" in text  # full-width colon in Chinese


def test_chunks_keep_section_id_and_title() -> None:
    long_body = "\n\n".join(
        f"- 第{i}条:退款规则的一段比较长的说明文字,用来测试分块。" * 3 for i in range(20)
    )
    section = Section(id="long-one", title="很长的一节", body=long_body, lang="zh")
    chunks = chunk_section(section, max_chars=200)
    assert len(chunks) > 3
    assert all(c.section_id == "long-one" and c.title == "很长的一节" for c in chunks)
    assert all(len(c.text) <= 400 for c in chunks)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert all(c.index_text.startswith("很长的一节\n") for c in chunks)
    assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_every_shipped_chunk_points_at_a_section() -> None:
    sections = load_sections(DEFAULT_DIR)
    keys = {(s.id, s.lang) for s in sections}
    for chunk in chunk_sections(sections):
        assert (chunk.section_id, chunk.lang) in keys


def test_txt_files_and_non_knowledge_files(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text("rules: []\n", encoding="utf-8")
    (tmp_path / "notes.json").write_text("{}", encoding="utf-8")
    (tmp_path / "holiday-hours.txt").write_text(
        "节假日客服时间\n春节期间人工客服每天 10:00–18:00 在线。\n", encoding="utf-8"
    )
    (tmp_path / "holiday-hours.en.txt").write_text(
        "Holiday support hours\nDuring the Spring Festival staff answer 10:00-18:00.\n",
        encoding="utf-8",
    )
    report = LoadReport()
    sections = load_sections(tmp_path, report)
    assert sorted((s.id, s.lang, s.title) for s in sections) == [
        ("holiday-hours", "en", "Holiday support hours"),
        ("holiday-hours", "zh", "节假日客服时间"),
    ]
    assert sorted(report.files) == ["holiday-hours.en.txt", "holiday-hours.txt"]


def test_language_from_folder(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "a.md").write_text("## Fees {#fees}\n\nAt most 10%.\n", encoding="utf-8")
    (tmp_path / "zh-CN").mkdir()
    (tmp_path / "zh-CN" / "a.md").write_text("## 手续费 {#fees}\n\n最多 10%。\n", encoding="utf-8")
    assert sorted((s.id, s.lang) for s in load_sections(tmp_path)) == [
        ("fees", "en"),
        ("fees", "zh"),
    ]


def test_a_later_directory_overrides_sections(tmp_path: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "fees.md").write_text(
        "## 手续费(本平台) {#fees}\n\n本平台取消一律不收手续费。\n", encoding="utf-8"
    )
    kb = KnowledgeBase.load([DEFAULT_DIR, extra])
    fees = kb.section("fees")
    assert fees is not None and fees.title == "手续费(本平台)"
    assert kb.report.overridden == [("fees", "zh", "fees.md")]
    assert "arrival-times" in kb.section_ids()


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="not found"):
        KnowledgeBase.load(tmp_path / "nope")


def test_aliases_are_indexed_but_never_shown(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(
        "## 已付款未发货 {#undelivered}\n\n<!-- aliases: 没动静、卡没给 -->\n\n钱已扣、商家还没交付。\n\n"
        "## 联系人工客服 {#contact-support}\n\n<!-- keywords: 转人工,\n 真人 -->\n从客服中心进入。\n",
        encoding="utf-8",
    )
    sections = {s.id: s for s in load_sections(tmp_path)}
    assert sections["undelivered"].aliases == ("没动静", "卡没给")
    assert sections["contact-support"].aliases == ("转人工", "真人")
    assert (
        "<!--" not in sections["undelivered"].body and "没动静" not in sections["undelivered"].text
    )
    chunk = chunk_section(sections["undelivered"])[0]
    assert "没动静" in chunk.index_text and "没动静" not in chunk.text
    kb = KnowledgeBase.load(tmp_path)
    assert kb.search("店里一点动静都没有, 没动静", "zh", k=1)[0].id == "undelivered"
    source = kb.section("undelivered", "zh")
    assert source is not None and "aliases" not in source.text and "没动静" not in source.text
    # a stray HTML comment is never shown either
    assert markdown_to_text("text <!-- note for writers --> more") == "text  more"


def test_shipped_sections_show_no_alias_comments() -> None:
    kb = KnowledgeBase.load()
    for lang in ("zh", "en"):
        for section_id in kb.section_ids():
            source = kb.section(section_id, lang)
            assert source is not None and "<!--" not in source.text and "aliases" not in source.text
