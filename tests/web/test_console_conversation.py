"""The case page's conversation with the buyer, over HTTP on the real bot and the fake Bot
API: messages relayed in Telegram (the buyer's to the topic, an operator's text and photo
to the buyer) are shown with what they said, as last edited, in order and escaped."""

from __future__ import annotations

import asyncio
import re

import httpx

from bot.storage.support_models import MessageLink
from tests.conversation.test_support_workspace import rows, seed_case
from tests.web.conftest import Console
from tests.web.test_console_browser import wait_topic


async def page_as(console: Console, path: str) -> str:
    """Sign in over HTTP with the operator's /web link and fetch `path`."""
    link = await console.link_for(console.operator)
    async with httpx.AsyncClient(base_url=console.base, timeout=20) as client:
        opened = await client.post(link.removeprefix(console.base))
        assert opened.status_code == 303, opened.text
        answer = await client.get(path)
        assert answer.status_code == 200, answer.text
        return answer.text


async def linked(console: Console, src: tuple[int, int], wait: float = 10.0) -> MessageLink:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        for link in await rows(console.settings, MessageLink):
            if (link.src_chat_id, link.src_message_id) == src:
                return link
        assert loop.time() < deadline, f"{src} was never linked"
        await asyncio.sleep(0.1)


async def case_links(
    console: Console, case_id: int, count: int, wait: float = 10.0
) -> list[MessageLink]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        found = [
            link for link in await rows(console.settings, MessageLink) if link.case_id == case_id
        ]
        if len(found) >= count or loop.time() > deadline:
            return found
        await asyncio.sleep(0.1)


async def test_messages_relayed_in_telegram_appear_on_the_case_page_in_order(
    console: Console,
) -> None:
    case_id = await seed_case(console.settings, user_id=1001, number="RF-20261130-C0A1")
    topic = await wait_topic(console, case_id)
    buyer = console.harness.tg.user(1001)

    await console.group.say(console.operator, topic.thread_id, "您好，请问是哪天付款的")
    asked = console.operator.last_sent_message_id
    reply = await buyer.wait_for_message(15, lambda m: bool(m.text and "是哪天付款的" in m.text))
    await buyer.send_text("昨天付的")
    answered = buyer.last_sent_message_id
    copy = await console.group.wait_for_message(15, lambda m: bool(m.text and "昨天" in m.text))
    first = await linked(console, (1001, answered))  # written once the copy is made
    assert (first.kind, first.text) == ("text", "昨天付的")
    await console.group.say(console.operator, topic.thread_id, "好的，稍等")
    await buyer.wait_for_message(15, lambda m: bool(m.text and "稍等" in m.text))
    # edits follow, the buyer's and the operator's (that message only)
    await buyer.edit_text(answered, "昨天付的，<b>一直</b>没到账")
    await console.group.wait_for_edit(copy, 15)
    await console.group.edit(console.operator, asked, "您好，请问<订单>是哪天付款的？")
    await buyer.wait_for_edit(reply, 15)
    await console.group.photo(console.operator, topic.thread_id, caption="请看这张说明")
    await buyer.wait_for_message(15, lambda m: m.photo is not None)
    await console.settle()

    links = await case_links(console, case_id, 4)  # the last is linked once it was delivered
    assert sorted((link.kind or "", link.text or "") for link in links) == [
        ("photo", "请看这张说明"),
        ("text", "好的，稍等"),
        ("text", "您好，请问<订单>是哪天付款的？"),
        ("text", "昨天付的，<b>一直</b>没到账"),
    ]

    html = await page_as(console, f"/case/{case_id}")
    convo = re.search(r'<ol class="convo" id="conversation">(.*?)</ol>', html, re.S)
    assert convo, html
    said = convo.group(1)
    asked = said.index("您好，请问&lt;订单&gt;是哪天付款的？")
    answered = said.index("昨天付的，&lt;b&gt;一直&lt;/b&gt;没到账")  # escaped, never markup
    waiting = said.index("好的，稍等")
    shown = said.index("请看这张说明")
    assert asked < answered < waiting < shown
    assert "<b>一直</b>" not in html
    items = re.findall(r'<li class="(buyer|team)">', said)
    assert items == ["team", "buyer", "team", "team"]
