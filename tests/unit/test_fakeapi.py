"""Contract tests of the fake Telegram Bot API server and its user-side client.

A real aiogram ``Bot`` / ``Dispatcher`` talks HTTP to the fake server, as it would to Telegram.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.filters import Command, CommandStart
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    ChatFullInfo,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
    Update,
)
from aiogram.utils.formatting import (
    BlockQuote,
    Bold,
    Code,
    ExpandableBlockQuote,
    Italic,
    Pre,
    Spoiler,
    Strikethrough,
    Text,
    TextLink,
    Underline,
    as_marked_section,
)
from aiogram.utils.text_decorations import html_decoration, markdown_decoration
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fakeapi import (
    BotMessage,
    FakeTelegramClient,
    FakeTelegramError,
    FakeTelegramServer,
)
from tests.fakeapi.aiogram_helpers import make_bot, run_polling, run_webhook
from tests.fakeapi.formatting import parse_formatted
from tests.fakeapi.media import image_size

TOKEN = "123456:TEST-TOKEN"

# A valid 2x3 PNG (width 2, height 3).
PNG_2X3 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000002000000030806000000b9eade81"
    "0000001449444154789c63f8cfc0f09f8181e13f030303001dfa03fd3d6b1d4f0000000049454e44ae426082"
)


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegramServer]:
    srv = FakeTelegramServer(token=TOKEN)
    await srv.start()
    yield srv
    await srv.stop()


@pytest.fixture
async def tg(server: FakeTelegramServer) -> AsyncIterator[FakeTelegramClient]:
    async with FakeTelegramClient(server.base_url) as client:
        yield client


@pytest.fixture
async def bot(server: FakeTelegramServer) -> AsyncIterator[Bot]:
    b = make_bot(server)
    yield b
    await b.session.close()


def echo_dispatcher(seen: list[Update] | None = None) -> Dispatcher:
    dp = Dispatcher()
    router = Router()

    @router.message(F.text)
    async def echo(message: Message, event_update: Update) -> None:
        if seen is not None:
            seen.append(event_update)
        await message.reply(f"echo: {message.text}")

    dp.include_router(router)
    return dp


async def open_private_chat(tg: FakeTelegramClient, bot: Bot, user_id: int = 1001) -> int:
    """A user writes to the bot (so the chat exists); the update is confirmed via getUpdates."""
    user = tg.user(user_id, first_name="李雷", language_code="zh")
    await user.send_text("/start")
    updates = await bot.get_updates(timeout=0)
    await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    return user_id


# ----------------------------------------------------------------------------- formatting


def test_html_parsing_with_utf16_offsets() -> None:
    text, entities = parse_formatted(
        '😀 <b>退款</b> &lt;ok&gt; <a href="https://x.org">link</a>', "HTML"
    )
    assert text == "😀 退款 <ok> link"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 2},
        {"type": "text_link", "offset": 11, "length": 4, "url": "https://x.org"},
    ]


def test_markdown_v2_parsing_and_reserved_chars() -> None:
    text, entities = parse_formatted(r"*bold* _it_ 1\.5 [a](https://x.org) `c\`d`", "MarkdownV2")
    assert text == "bold it 1.5 a c`d"
    assert [e["type"] for e in entities] == ["bold", "italic", "text_link", "code"]
    with pytest.raises(ValueError, match="reserved"):
        parse_formatted("price 1.5", "MarkdownV2")


ROUND_TRIP_SAMPLES = [
    Text(
        "退款 ",
        Bold("加急"),
        " 😀 ",
        Italic("a_b*c"),
        " 1.5 ",
        TextLink("链接 (x)", url="https://x.org/a"),
    ),
    Text(Bold("b ", Italic("bi ", Underline("biu"))), " ", Strikethrough("s"), Spoiler("sp")),
    Text(Underline(Italic("iu")), Italic(Underline("ui"))),
    Text("code: ", Code("a`b\\c"), "\n", Pre("x = 1 < 2 & 3"), "\nend"),
    Text(BlockQuote("quote line 1\nline 2"), "\nafter"),
    Text(ExpandableBlockQuote("long\nquote"), "\nafter"),
    Text("<tag> & \"q\" 'a' [b] (c) {d} #e +f -g =h |i !j ~k >l .m \\ back"),
    as_marked_section(Bold("Summary"), "订单 KM123", "金额 ¥50.00", marker="• "),
]


@pytest.mark.parametrize("mode", ["HTML", "MarkdownV2"])
@pytest.mark.parametrize("sample", ROUND_TRIP_SAMPLES)
def test_parsers_agree_with_aiogram_renderers(sample: Text, mode: str) -> None:
    rendered = sample.as_html() if mode == "HTML" else sample.as_markdown()
    expected = sample.as_kwargs()
    text, entities = parse_formatted(rendered, mode)
    assert text == expected["text"]
    want = [e.model_dump(exclude_none=True) for e in expected["entities"]]
    key = lambda e: (e["offset"], -e["length"], e["type"])  # noqa: E731
    assert sorted(entities, key=key) == sorted(want, key=key)


_leaf = st.text(alphabet="ab 退款😀<>&\"'*_[]()~`#+-=|{}.!\\\n", min_size=1, max_size=6)
_node = st.recursive(
    _leaf,
    lambda children: st.tuples(
        st.sampled_from(["b", "i", "u", "s", "spoiler", "link", "code"]),
        st.lists(children, min_size=1, max_size=3),
    ),
    max_leaves=8,
)


def _build(node: object, outer: frozenset[str] = frozenset()) -> object:
    if isinstance(node, str):
        return node
    kind, children = node  # type: ignore[misc]
    if kind == "code":  # code can't contain other entities
        return Code("".join(_flatten(c) for c in children))
    parts = [_build(c, outer | {kind}) for c in children]
    if (
        kind in outer
    ):  # an entity inside one of the same type means nothing (aiogram mis-renders it)
        return Text(*parts)
    if kind == "link":
        return TextLink(*parts, url="https://example.com/a?b=1")
    cls = {"b": Bold, "i": Italic, "u": Underline, "s": Strikethrough, "spoiler": Spoiler}[kind]
    return cls(*parts)


def _flatten(node: object) -> str:
    if isinstance(node, str):
        return node
    return "".join(_flatten(c) for c in node[1])  # type: ignore[index]


@settings(max_examples=100, deadline=None)
@given(st.lists(_node, min_size=1, max_size=4), st.sampled_from(["HTML", "MarkdownV2"]))
def test_parsers_invert_aiogram_rendering(nodes: list[object], mode: str) -> None:
    sample = Text(*[_build(n) for n in nodes])
    expected = sample.as_kwargs()
    # aiogram's unparse needs outer entities first when several start at the same offset
    ordered = sorted(expected["entities"], key=lambda e: (e.offset, -e.length, e.type == "code"))
    decoration = html_decoration if mode == "HTML" else markdown_decoration
    text, entities = parse_formatted(decoration.unparse(expected["text"], ordered), mode)
    assert text == expected["text"]
    want = [e.model_dump(exclude_none=True) for e in expected["entities"] if e.length]
    key = lambda e: (e["offset"], -e["length"], e["type"])  # noqa: E731
    assert sorted(entities, key=key) == sorted(want, key=key)


def test_pre_language_and_quotes() -> None:
    html = '<pre><code class="language-python">print(1)</code></pre>'
    assert parse_formatted(html, "HTML")[1] == [
        {"type": "pre", "offset": 0, "length": 8, "language": "python"}
    ]
    md = "```python\nprint(1)\n```"
    assert parse_formatted(md, "MarkdownV2")[1] == [
        {"type": "pre", "offset": 0, "length": 8, "language": "python"}
    ]


def test_image_size_detection() -> None:
    assert image_size(PNG_2X3) == (2, 3)
    assert image_size(b"not an image") is None


# ----------------------------------------------------------------------------- plain Bot API


async def test_get_me_and_bot_info(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.is_bot
    assert me.username == "refund_test_bot"


async def test_wrong_token_is_401(server: FakeTelegramServer, tg: FakeTelegramClient) -> None:
    bad_bot = make_bot(server, token="123456:WRONG")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await bad_bot.get_me()
    finally:
        await bad_bot.session.close()
    await tg.sync()
    assert tg.requests("getMe")[-1].error_code == 401


async def test_unknown_method_404_and_body_encodings(server: FakeTelegramServer) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.base_url}/bot{TOKEN}/frobnicate", json={}) as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        # Method names are case-insensitive; JSON, form and query-string parameters all work.
        async with http.post(f"{server.base_url}/bot{TOKEN}/GETME") as resp:
            assert (await resp.json())["result"]["username"] == "refund_test_bot"
        async with http.get(f"{server.base_url}/bot{TOKEN}/getUpdates?timeout=0") as resp:
            assert await resp.json() == {"ok": True, "result": []}
        async with http.post(
            f"{server.base_url}/bot{TOKEN}/sendMessage", data={"chat_id": "1", "text": "x"}
        ) as resp:
            assert resp.status == 400
            assert (await resp.json())["description"] == "Bad Request: chat not found"


async def test_send_edit_and_errors(bot: Bot, tg: FakeTelegramClient) -> None:
    chat_id = await open_private_chat(tg, bot)
    user = tg.user(chat_id)
    kb = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="下一步", callback_data="next")],
            [InlineKeyboardButton(text="Docs", url="https://example.com/refund")],
        ]
    )
    sent = await bot.send_message(
        chat_id, "<b>Hello</b>, 李雷!", parse_mode="HTML", reply_markup=kb
    )
    assert isinstance(sent, Message)
    assert sent.text == "Hello, 李雷!"
    assert sent.entities is not None and sent.entities[0].type == "bold"
    assert sent.reply_markup is not None
    assert sent.reply_markup.model_dump(exclude_none=True) == kb.model_dump(exclude_none=True)

    msg = await user.wait_for_message()
    assert msg.message_id == sent.message_id and not msg.edited
    assert msg.button_texts() == ["下一步", "Docs"]
    assert msg.buttons[1][0].url == "https://example.com/refund"
    Message.model_validate(msg.raw)

    edited = await bot.edit_message_text(
        text="Hello again", chat_id=chat_id, message_id=sent.message_id, reply_markup=kb
    )
    assert isinstance(edited, Message) and edited.edit_date is not None
    event = await user.wait_for_message()
    assert event.edited and event.text == "Hello again"

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            text="Hello again", chat_id=chat_id, message_id=sent.message_id, reply_markup=kb
        )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(text="x", chat_id=chat_id, message_id=999)
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(424242, "hi")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(chat_id, "refund < 100", parse_mode="HTML")

    # Editing without reply_markup removes the keyboard, like Telegram.
    await bot.edit_message_reply_markup(chat_id=chat_id, message_id=sent.message_id)
    assert (await user.wait_for_message()).buttons == []
    assert user.messages()[-1].buttons == []

    assert await bot.delete_message(chat_id, sent.message_id)
    await user.wait_deleted(sent.message_id)
    assert user.messages() == []
    assert user.messages(include_deleted=True)[0].deleted
    assert tg.requests("deleteMessage")[0].params["message_id"] == sent.message_id
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(chat_id, sent.message_id)


async def test_reply_keyboard_and_reply_parameters(bot: Bot, tg: FakeTelegramClient) -> None:
    chat_id = await open_private_chat(tg, bot)
    user = tg.user(chat_id)
    markup = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="是"), KeyboardButton(text="否")]], resize_keyboard=True
    )
    first = await bot.send_message(chat_id, "Choose", reply_markup=markup)
    assert first.reply_markup is None  # reply keyboards are not part of the Message
    msg = await user.wait_for_message()
    assert msg.reply_keyboard == [["是", "否"]]
    assert await user.reply_keyboard() == [["是", "否"]]

    reply = await bot.send_message(
        chat_id,
        "Removed",
        reply_markup=ReplyKeyboardRemove(),
        reply_parameters=ReplyParameters(message_id=first.message_id),
    )
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.message_id == first.message_id
    assert (await user.wait_for_message()).keyboard_removed
    assert await user.reply_keyboard() is None
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(chat_id, "x", reply_parameters=ReplyParameters(message_id=777))


async def test_photo_upload_download_and_file_ids(bot: Bot, tg: FakeTelegramClient) -> None:
    chat_id = await open_private_chat(tg, bot)
    user = tg.user(chat_id)
    sent = await bot.send_photo(
        chat_id, BufferedInputFile(PNG_2X3, "a.png"), caption="<i>proof</i>", parse_mode="HTML"
    )
    assert sent.photo and sent.photo[-1].width == 2 and sent.photo[-1].height == 3
    assert sent.caption == "proof"
    largest = sent.photo[-1]

    downloaded = await bot.download(largest.file_id)
    assert downloaded is not None and downloaded.read() == PNG_2X3
    file = await bot.get_file(largest.file_id)
    assert file.file_size == len(PNG_2X3) and file.file_path

    msg = await user.wait_for_message()
    assert msg.photo == largest.file_id and msg.text == "proof"
    assert await tg.download(largest.file_id) == PNG_2X3

    again = await bot.send_photo(chat_id, largest.file_id)
    assert again.photo and again.photo[-1].file_unique_id == largest.file_unique_id
    upload2 = await bot.send_photo(chat_id, BufferedInputFile(PNG_2X3, "b.png"))
    assert upload2.photo and upload2.photo[-1].file_unique_id == largest.file_unique_id
    assert upload2.photo[-1].file_id != largest.file_id

    doc = await bot.send_document(chat_id, BufferedInputFile(b"%PDF-1.4 test", "guide.pdf"))
    assert doc.document and doc.document.file_name == "guide.pdf"
    assert doc.document.mime_type == "application/pdf"
    with pytest.raises(TelegramBadRequest, match="can't use file of type Document as Photo"):
        await bot.send_photo(chat_id, doc.document.file_id)
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(chat_id, BufferedInputFile(b"not an image", "x.jpg"))

    group = await bot.send_media_group(
        chat_id,
        [
            InputMediaPhoto(media=largest.file_id, caption="1"),
            InputMediaPhoto(media=BufferedInputFile(PNG_2X3, "c.png")),
        ],
    )
    assert len(group) == 2 and group[0].media_group_id == group[1].media_group_id


async def test_user_files_and_get_file_limit(bot: Bot, tg: FakeTelegramClient) -> None:
    user = tg.user(2002, first_name="Han")
    await user.send_photo(PNG_2X3, caption="receipt")
    await user.send_document(b"small", file_name="order.txt", mime_type="text/plain")
    await user.send_document(b"huge", file_name="video.zip", file_size=25 * 1024 * 1024)
    updates = await bot.get_updates(timeout=0)
    photo_msg, small_msg, huge_msg = (u.message for u in updates)
    assert photo_msg is not None and small_msg is not None and huge_msg is not None
    assert photo_msg.caption == "receipt"
    assert photo_msg.photo is not None and photo_msg.photo[-1].width == 2
    assert (await bot.download(photo_msg.photo[-1])).read() == PNG_2X3  # type: ignore[union-attr]
    assert small_msg.document is not None and small_msg.document.file_name == "order.txt"
    assert (await bot.download(small_msg.document)).read() == b"small"  # type: ignore[union-attr]
    assert huge_msg.document is not None and huge_msg.document.file_size == 25 * 1024 * 1024
    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(huge_msg.document.file_id)


async def test_get_updates_long_poll_and_offsets(bot: Bot, tg: FakeTelegramClient) -> None:
    user = tg.user(3003)
    assert await bot.get_updates(timeout=0) == []
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=3))
    await asyncio.sleep(0.05)
    uid = await user.send_text("/help me")
    updates = await poll
    assert time.monotonic() - started < 1.5
    assert [u.update_id for u in updates] == [uid]
    message = updates[0].message
    assert message is not None and message.entities is not None
    assert message.entities[0].type == "bot_command" and message.entities[0].length == 5
    # Not confirmed yet: delivered again; confirmed by offset: gone.
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [uid]
    assert await bot.get_updates(offset=uid + 1, timeout=0) == []
    assert await bot.get_updates(timeout=0) == []


# ----------------------------------------------------------------------------- dispatcher: polling


async def test_polling_echo_without_redelivery_after_restart(
    bot: Bot, tg: FakeTelegramClient
) -> None:
    seen: list[Update] = []
    user = tg.user(1001, first_name="李雷", language_code="zh")
    async with run_polling(echo_dispatcher(seen), bot, tg):
        await user.send_text("你好")
        msg = await user.wait_for_message()
        assert msg.text == "echo: 你好"
        await tg.wait_confirmed()
    async with run_polling(echo_dispatcher(seen), bot, tg):
        await user.send_text("second")
        assert (await user.wait_for_message()).text == "echo: second"
        assert await user.wait_idle(quiet=0.1) == []
    assert [u.message.text for u in seen if u.message] == ["你好", "second"]
    assert [m.text for m in user.messages()] == ["echo: 你好", "echo: second"]


async def test_callback_query_round_trip(bot: Bot, tg: FakeTelegramClient) -> None:
    dp = Dispatcher()
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        kb = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="下一步", callback_data="step:2")]]
        )
        await message.answer("Step 1", reply_markup=kb)

    @router.callback_query(F.data == "step:2")
    async def step2(query: CallbackQuery) -> None:
        await query.answer("Moving on", show_alert=True)
        assert isinstance(query.message, Message)
        await query.message.edit_text("Step 2")

    dp.include_router(router)
    user = tg.user(1001)
    async with run_polling(dp, bot, tg):
        await user.send_text("/start")
        msg = await user.wait_for_message()
        assert msg.text == "Step 1" and msg.button_texts() == ["下一步"]
        with pytest.raises(FakeTelegramError, match="no inline button"):
            await user.press(msg, text="Nope")
        await user.press(msg, text="下一步")
        edited = await user.wait_for_message()
        assert edited.edited and edited.text == "Step 2" and edited.buttons == []
        answer = await user.last_callback_answer()
        assert answer is not None and answer.text == "Moving on" and answer.show_alert
        # The message lost its keyboard: nothing left to press.
        with pytest.raises(FakeTelegramError):
            await user.press(msg, callback_data="step:2")
    query_id = tg.requests("answerCallbackQuery")[0].params["callback_query_id"]
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id, text="again")


async def test_duplicate_raw_update_is_delivered_twice(bot: Bot, tg: FakeTelegramClient) -> None:
    seen: list[Update] = []
    user = tg.user(1001, first_name="Lei")
    update = {
        "update_id": 5000,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": 1001, "type": "private", "first_name": "Lei"},
            "from": user.info,
            "text": "pay now",
        },
    }
    async with run_polling(echo_dispatcher(seen), bot, tg):
        assert await tg.raw_update(update) == 5000
        await user.wait_for_message()
        assert await tg.raw_update(update) == 5000
        await user.wait_for_message()
    assert [u.update_id for u in seen] == [5000, 5000]
    replies = user.messages()
    assert [m.raw["reply_to_message"]["message_id"] for m in replies] == [1, 1]


async def test_wait_idle_fails_when_nobody_polls(tg: FakeTelegramClient) -> None:
    await tg.user(1001).send_text("anyone?")
    with pytest.raises(FakeTelegramError, match=r"(?s)not yet delivered.*is it running"):
        await tg.wait_idle(quiet=0.05, timeout=0.2)


async def test_wait_timeout_reports_what_the_bot_did(bot: Bot, tg: FakeTelegramClient) -> None:
    user = tg.user(1001)
    async with run_polling(echo_dispatcher(), bot, tg):
        await user.send_text("one")
        await user.wait_for_message()
        with pytest.raises(FakeTelegramError, match=r"(?s)timed out.*echo: one"):
            await user.wait_for_message(timeout=0.3)


# ----------------------------------------------------------------------------- dispatcher: webhook


async def test_webhook_delivery_with_reply_in_response(
    server: FakeTelegramServer, tg: FakeTelegramClient
) -> None:
    bot = make_bot(server)
    dp = Dispatcher()

    @dp.message(Command("start"))
    async def start(message: Message) -> object:
        # Returned methods are sent back in the webhook response, Telegram executes them.
        return message.answer("from webhook reply")

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}")

    user = tg.user(1001)
    async with run_webhook(dp, bot, secret_token="s3cret", handle_in_background=False) as url:
        assert await bot.set_webhook(url, secret_token="s3cret")
        with pytest.raises(TelegramConflictError):
            await bot.get_updates(timeout=0)
        await user.send_text("hi")
        assert (await user.wait_for_message()).text == "echo: hi"
        await user.send_text("/start")
        assert (await user.wait_for_message()).text == "from webhook reply"
        info = await bot.get_webhook_info()
        assert info.url == url and info.pending_update_count == 0
        assert await bot.delete_webhook()
    deliveries = tg.webhook_deliveries()
    assert [d["status"] for d in deliveries] == [200, 200]
    assert deliveries[1]["reply_method"] == "sendMessage"
    assert tg.requests("sendMessage")[-1].source == "webhook_reply"


async def test_webhook_wrong_secret_is_rejected_and_recorded(
    server: FakeTelegramServer, tg: FakeTelegramClient
) -> None:
    bot = make_bot(server)
    user = tg.user(1001)
    async with run_webhook(echo_dispatcher(), bot, secret_token="expected") as url:
        await bot.set_webhook(url, secret_token="other", drop_pending_updates=True)
        await user.send_text("hi")
        await tg.wait_idle(quiet=0.05)
        info = await bot.get_webhook_info()
        await bot.delete_webhook(drop_pending_updates=True)
    await bot.session.close()
    deliveries = tg.webhook_deliveries()
    assert [d["status"] for d in deliveries] == [401] * server.webhook_max_attempts
    assert info.last_error_message == "Wrong response from the webhook: 401 Unauthorized"
    assert user.messages() == []


# ----------------------------------------------------------------------------- chats & misc


async def test_group_privacy_admins_and_members(bot: Bot, tg: FakeTelegramClient) -> None:
    owner = tg.user(1, first_name="Owner")
    buyer = tg.user(1001, first_name="Buyer")
    group = tg.group(-100123, title="Buyers group", owner=owner)
    assert await group.send_text(buyer, "just chatting") is None  # privacy mode hides it
    assert await group.send_text(buyer, "/help") is not None
    await tg.set_bot_admin(-100123, True)
    assert await group.send_text(buyer, "now visible") is not None
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == ["/help", "now visible"]

    admins = await bot.get_chat_administrators(-100123)
    assert [a.status for a in admins] == ["creator", "administrator"]
    assert admins[1].user.id == bot.id
    member = await bot.get_chat_member(-100123, 1001)
    assert member.status == "member"
    chat = await bot.get_chat(-100123)
    assert (
        isinstance(chat, ChatFullInfo)
        and chat.title == "Buyers group"
        and chat.type == "supergroup"
    )
    sent = await bot.send_message(-100123, "hello group")
    assert (await group.wait_for_message()).message_id == sent.message_id
    # An admin bot may delete a user's message in a group, if it has that right.
    user_message_id = updates[-1].message.message_id  # type: ignore[union-attr]
    await group.set_bot_admin(True, can_delete_messages=False)
    me = await bot.get_chat_member(-100123, bot.id)
    assert me.status == "administrator" and not me.can_delete_messages  # type: ignore[union-attr]
    with pytest.raises(TelegramBadRequest, match="message can't be deleted"):
        await bot.delete_message(-100123, user_message_id)
    await group.set_bot_admin(True)
    assert await bot.delete_message(-100123, user_message_id)


async def test_commands_menu_actions_forward_copy(bot: Bot, tg: FakeTelegramClient) -> None:
    chat_id = await open_private_chat(tg, bot)
    user = tg.user(chat_id)
    assert await bot.set_my_commands([BotCommand(command="start", description="开始")])
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    assert await bot.set_chat_menu_button(chat_id=chat_id)
    assert await bot.send_chat_action(chat_id, "typing")
    with pytest.raises(TelegramBadRequest):
        await bot.send_chat_action(chat_id, "dancing")  # type: ignore[arg-type]
    info = await bot.get_chat(chat_id)
    assert info.type == "private" and info.first_name == "李雷"
    assert (await bot.get_chat_member(chat_id, chat_id)).status == "member"
    assert await bot.log_out() and await bot.close()

    await user.forward_text(
        "退款请加微信",
        from_name="某客服",
        reply_markup={"inline_keyboard": [[{"text": "退款", "url": "http://scam.example/refund"}]]},
    )
    updates = await bot.get_updates(timeout=0)
    fwd = updates[-1].message
    assert fwd is not None and fwd.forward_origin is not None
    assert fwd.forward_origin.type == "hidden_user"
    assert fwd.reply_markup is not None and fwd.reply_markup.inline_keyboard[0][0].text == "退款"

    copied = await bot.copy_message(chat_id, chat_id, fwd.message_id)
    forwarded = await bot.forward_message(chat_id, chat_id, fwd.message_id)
    assert forwarded.forward_origin is not None
    msgs = await user.wait_for_messages(2)
    assert [m.message_id for m in msgs] == [copied.message_id, forwarded.message_id]
    assert all(m.text == "退款请加微信" for m in msgs)


async def test_blocked_user_gets_403(bot: Bot, tg: FakeTelegramClient) -> None:
    chat_id = await open_private_chat(tg, bot)
    await tg.user(chat_id).block()
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(chat_id, "hi")
    updates = await bot.get_updates(timeout=0)
    assert updates[-1].my_chat_member is not None
    assert updates[-1].my_chat_member.new_chat_member.status == "kicked"
    await tg.user(chat_id).send_text("/start")  # writing again unblocks the bot
    updates = await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert [u.event_type for u in updates] == ["my_chat_member", "message"]
    assert (await bot.send_message(chat_id, "welcome back")).text == "welcome back"


async def test_bot_message_helpers(tg: FakeTelegramClient, bot: Bot) -> None:
    chat_id = await open_private_chat(tg, bot)
    await bot.send_message(
        chat_id,
        "pick",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="a")]]
        ),
    )
    msg = await tg.user(chat_id).wait_for_message(predicate=lambda m: m.text == "pick")
    assert isinstance(msg, BotMessage)
    assert msg.button("A").callback_data == "a" and msg.has_button("A")
    with pytest.raises(FakeTelegramError):
        msg.button("B")


async def test_user_content_kinds_validate_as_updates(bot: Bot, tg: FakeTelegramClient) -> None:
    user = tg.user(4004, first_name="Mei", username="mei_buyer")
    await user.send_photo(caption="订单截图")
    await user.send_sticker()
    await user.send_voice(duration=3)
    await user.send_location(31.2, 121.4)
    await user.send_contact()
    await user.send_text(
        "look", entities=[{"type": "text_link", "offset": 0, "length": 4, "url": "http://x.org"}]
    )
    await user.forward_text("转发", from_user=tg.user(5005, first_name="Seller"))
    updates = await bot.get_updates(timeout=0)  # aiogram validates every Update
    msgs = [u.message for u in updates]
    assert all(m is not None for m in msgs)
    photo, sticker, voice, location, contact, link, fwd = msgs  # type: ignore[misc]
    assert [(p.width, p.height) for p in photo.photo] == [
        (90, 68),
        (320, 240),
        (800, 600),
        (1280, 960),
    ]
    assert len({p.file_unique_id for p in photo.photo}) == 4
    assert sticker.sticker is not None and sticker.sticker.emoji == "👍"
    assert voice.voice is not None and voice.voice.duration == 3
    assert location.location is not None and location.location.latitude == 31.2
    assert contact.contact is not None and contact.contact.user_id == 4004
    assert link.entities is not None and link.entities[0].url == "http://x.org"
    assert fwd.forward_origin is not None and fwd.forward_origin.type == "user"


async def test_allowed_updates_and_drop_pending(bot: Bot, tg: FakeTelegramClient) -> None:
    chat_id = await open_private_chat(tg, bot)
    user = tg.user(chat_id)
    sent = await bot.send_message(
        chat_id,
        "x",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="a")]]
        ),
    )
    await user.press(sent.message_id, text="A")
    await user.send_text("text")
    # Only messages were asked for: the callback query is dropped, like Telegram does.
    updates = await bot.get_updates(timeout=0, allowed_updates=["message"])
    assert [u.event_type for u in updates] == ["message"]
    await user.send_text("pending")
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates(timeout=0) == []


async def test_markdown_v2_and_html_errors_reach_the_bot(bot: Bot, tg: FakeTelegramClient) -> None:
    chat_id = await open_private_chat(tg, bot)
    ok = await bot.send_message(chat_id, r"*退款* 进度 50\%", parse_mode="MarkdownV2")
    assert ok.text == "退款 进度 50%" and ok.entities and ok.entities[0].type == "bold"
    with pytest.raises(TelegramBadRequest, match="reserved and must be escaped"):
        await bot.send_message(chat_id, "1.5 USD", parse_mode="MarkdownV2")
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "br"'):
        await bot.send_message(chat_id, "a<br>b", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(chat_id, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(
            chat_id,
            "x",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="x" * 65)]]
            ),
        )
    await tg.sync()
    failed = tg.failed_requests()
    assert len(failed) == 4 and all(r.error_code == 400 for r in failed)


async def test_reply_keyboard_tap_and_idle(bot: Bot, tg: FakeTelegramClient) -> None:
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        kb = ReplyKeyboardMarkup(
            keyboard=[
                [KeyboardButton(text="分享手机号", request_contact=True)],
                [KeyboardButton(text="取消")],
            ],
            one_time_keyboard=True,
        )
        await message.answer("Share your phone?", reply_markup=kb)

    @dp.message(F.contact)
    async def contact(message: Message) -> None:
        assert message.contact is not None
        await message.answer(
            f"got {message.contact.phone_number}", reply_markup=ReplyKeyboardRemove()
        )

    user = tg.user(1001)
    async with run_polling(dp, bot, tg):
        await user.send_text("/start")
        first = await user.wait_for_message()
        assert first.reply_keyboard == [["分享手机号"], ["取消"]]
        await user.tap("分享手机号")
        replies = await user.wait_idle(quiet=0.1)
        assert [m.text for m in replies] == ["got +8613800000000"]
        assert replies[0].keyboard_removed
        await user.expect_no_message(quiet=0.1)


async def test_direct_multipart_upload_field(
    server: FakeTelegramServer, bot: Bot, tg: FakeTelegramClient
) -> None:
    chat_id = await open_private_chat(tg, bot)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(chat_id))
    form.add_field("photo", PNG_2X3, filename="p.png", content_type="image/png")
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{server.base_url}/bot{TOKEN}/sendPhoto", data=form) as resp,
    ):
        body = await resp.json()
    assert body["ok"], body
    message = Message.model_validate(body["result"])
    assert message.photo is not None and message.photo[-1].width == 2
    await tg.sync()
    assert tg.requests("sendPhoto")[-1].params == {"chat_id": chat_id, "photo": "attach://photo"}


async def test_user_profile_updates_and_captions(bot: Bot, tg: FakeTelegramClient) -> None:
    user = tg.user(6006)
    assert user.info == {"id": 6006, "is_bot": False, "first_name": "Test", "language_code": "en"}
    assert tg.user(6006, first_name="Wei", language_code="zh", username="wei") is user
    assert user.info["first_name"] == "Wei" and user.info["username"] == "wei"
    await user.send_text("hi")
    photo = await bot.send_photo(6006, BufferedInputFile(PNG_2X3, "p.png"), caption="old")
    edited = await bot.edit_message_caption(
        chat_id=6006, message_id=photo.message_id, caption="<b>new</b>", parse_mode="HTML"
    )
    assert isinstance(edited, Message) and edited.caption == "new"
    with pytest.raises(TelegramBadRequest, match="there is no text in the message to edit"):
        await bot.edit_message_text(text="x", chat_id=6006, message_id=photo.message_id)
    await bot.send_message(6006, "after")
    assert (await user.wait_for_new_message(predicate=lambda m: m.text == "after")).text == "after"
    assert (await user.wait_for_edit(photo.message_id)).text == "new"
    events = await user.wait_for_messages(1)
    assert [(m.text, m.edited) for m in events] == [("old", False)]
    assert user.messages()[-2].raw["caption_entities"][0]["type"] == "bold"


async def test_injected_failures_and_conversation_rules(bot: Bot, tg: FakeTelegramClient) -> None:
    chat_id = await open_private_chat(tg, bot)
    await tg.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(chat_id, "flood")
    assert info.value.retry_after == 3
    assert (await bot.send_message(chat_id, "fine")).text == "fine"

    stranger = tg.user(7007, first_name="Stranger")
    await tg.group(-100777, title="G").send_text(stranger, "/hello")
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(7007, "hi")
    await stranger.open_chat()
    assert (await bot.send_message(7007, "hi")).chat.id == 7007


async def test_unanswered_callback_queries_are_reported(bot: Bot, tg: FakeTelegramClient) -> None:
    chat_id = await open_private_chat(tg, bot)
    user = tg.user(chat_id)
    kb = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="A", callback_data="a")]])
    sent = await bot.send_message(chat_id, "x", reply_markup=kb)
    await user.press(sent.message_id, callback_data="a")
    assert await user.last_callback_answer(timeout=0.05) is None
    assert len(tg.unanswered_callback_queries()) == 1
    update = (await bot.get_updates(timeout=0))[-1]
    assert update.callback_query is not None and update.callback_query.data == "a"
    await bot.answer_callback_query(update.callback_query.id)
    answer = await user.last_callback_answer()
    assert answer is not None and answer.text is None
    await tg.sync()
    assert tg.unanswered_callback_queries() == []
