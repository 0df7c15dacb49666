"""Forum topics for the fake Bot API: supergroups with topics (``is_forum``), the topic
methods (createForumTopic, editForumTopic, closeForumTopic, reopenForumTopic,
deleteForumTopic), ``message_thread_id`` on the bot's and the users' messages, and pinned
messages checked against the bot's rights.

`ForumMixin` is a base class of `FakeTelegramServer`; `ForumGroup` plays users in a forum
supergroup from the test side.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from .client import SAMPLE_JPEG, BotMessage, FakeGroup, FakeUser, _reply_id

if TYPE_CHECKING:
    from .server import JSON, _Chat
else:
    JSON = dict[str, Any]

ICON_COLORS = (0x6FB9F0, 0xFFD67E, 0xCB86DB, 0x8EEE98, 0xFF93B2, 0xFB6F5F)
TOPIC_NAME_LIMIT = 128


def _bad(description: str) -> Exception:
    from .server import bad

    return bad(description)


class ForumMixin:
    """Topic state per chat: thread id (the id of the topic's service message) -> topic."""

    chats: dict[int, _Chat]
    _forum_topics: dict[int, dict[int, JSON]]
    _pins: dict[int, list[int]]

    # --- helpers ---------------------------------------------------------------------------

    def _forum_state(self) -> dict[int, dict[int, JSON]]:
        if not hasattr(self, "_forum_topics"):
            self._forum_topics = {}
            self._pins = {}
        return self._forum_topics

    def _forum_chat(self, params: JSON) -> _Chat:
        chat: _Chat = self._chat(params.get("chat_id"), for_sending=True)  # type: ignore[attr-defined]
        if chat.info.get("type") != "supergroup" or not chat.info.get("is_forum"):
            raise _bad("the chat is not a forum")
        return chat

    def _bot_right(self, chat: _Chat, right: str) -> bool:
        return bool(chat.bot_admin and chat.bot_rights.get(right, True))

    def _topic(self, chat: _Chat, params: JSON) -> JSON:
        try:
            thread = int(params.get("message_thread_id") or 0)
        except (TypeError, ValueError):
            thread = 0
        topic = self._forum_state().get(chat.id, {}).get(thread)
        if topic is None:
            raise _bad("message thread not found")
        return topic

    def _forum_outgoing(self, chat: _Chat, full: JSON, params: JSON) -> None:
        """Called for every bot message: a thread id must name an existing topic."""
        if not params.get("message_thread_id") or not chat.info.get("is_forum"):
            return
        topic = self._topic(chat, params)
        full["message_thread_id"] = topic["message_thread_id"]
        full["is_topic_message"] = True

    # --- Bot API ---------------------------------------------------------------------------

    async def _m_createForumTopic(self, params: JSON, files: Any) -> JSON:
        chat = self._forum_chat(params)
        if not self._bot_right(chat, "can_manage_topics"):
            raise _bad("not enough rights to create a topic")
        name = str(params.get("name") or "").strip()
        if not 1 <= len(name) <= TOPIC_NAME_LIMIT:
            raise _bad("TOPIC_TITLE_INVALID" if name else "topic name is empty")
        color = int(params.get("icon_color") or random.choice(ICON_COLORS))
        info: JSON = {"name": name, "icon_color": color}
        if params.get("icon_custom_emoji_id"):
            info["icon_custom_emoji_id"] = params["icon_custom_emoji_id"]
        service = self._store_message(chat, self.bot_user, {"forum_topic_created": dict(info)})  # type: ignore[attr-defined]
        thread = int(service["message_id"])
        service["message_thread_id"] = thread
        service["is_topic_message"] = True
        topic = {"message_thread_id": thread, **info, "is_closed": False}
        self._forum_state().setdefault(chat.id, {})[thread] = topic
        self._emit("forum_topic", chat_id=chat.id, action="created", topic=dict(topic))  # type: ignore[attr-defined]
        return {"message_thread_id": thread, **info}

    async def _m_editForumTopic(self, params: JSON, files: Any) -> bool:
        chat = self._forum_chat(params)
        topic = self._topic(chat, params)
        if not self._bot_right(chat, "can_manage_topics"):
            raise _bad("not enough rights to edit a topic")
        name = params.get("name")
        if name is not None:
            name = str(name).strip()
            if not 1 <= len(name) <= TOPIC_NAME_LIMIT:
                raise _bad("TOPIC_TITLE_INVALID")
            if name == topic["name"] and params.get("icon_custom_emoji_id") is None:
                raise _bad("TOPIC_NOT_MODIFIED")
            topic["name"] = name
        if params.get("icon_custom_emoji_id") is not None:
            topic["icon_custom_emoji_id"] = params["icon_custom_emoji_id"]
        self._emit("forum_topic", chat_id=chat.id, action="edited", topic=dict(topic))  # type: ignore[attr-defined]
        return True

    async def _set_closed(self, params: JSON, closed: bool) -> bool:
        chat = self._forum_chat(params)
        topic = self._topic(chat, params)
        if not self._bot_right(chat, "can_manage_topics"):
            raise _bad("not enough rights to manage topics")
        if topic["is_closed"] == closed:
            raise _bad("TOPIC_NOT_MODIFIED")
        topic["is_closed"] = closed
        self._emit(
            "forum_topic",
            chat_id=chat.id,
            action="closed" if closed else "reopened",
            topic=dict(topic),
        )  # type: ignore[attr-defined]
        return True

    async def _m_closeForumTopic(self, params: JSON, files: Any) -> bool:
        return await self._set_closed(params, True)

    async def _m_reopenForumTopic(self, params: JSON, files: Any) -> bool:
        return await self._set_closed(params, False)

    async def _m_deleteForumTopic(self, params: JSON, files: Any) -> bool:
        chat = self._forum_chat(params)
        topic = self._topic(chat, params)
        del self._forum_state()[chat.id][topic["message_thread_id"]]
        return True

    async def _m_pinChatMessage(self, params: JSON, files: Any) -> bool:
        chat: _Chat = self._chat(params.get("chat_id"))  # type: ignore[attr-defined]
        if self._message(chat, params.get("message_id")) is None:  # type: ignore[attr-defined]
            raise _bad("message to pin not found")
        if not chat.is_private and not self._bot_right(chat, "can_pin_messages"):
            raise _bad("not enough rights to manage pinned messages in the chat")
        self._forum_state()
        pins = self._pins.setdefault(chat.id, [])
        mid = int(params["message_id"])
        if mid not in pins:
            pins.append(mid)
        return True

    async def _m_unpinChatMessage(self, params: JSON, files: Any) -> bool:
        chat: _Chat = self._chat(params.get("chat_id"))  # type: ignore[attr-defined]
        self._forum_state()
        pins = self._pins.setdefault(chat.id, [])
        if params.get("message_id") is not None and int(params["message_id"]) in pins:
            pins.remove(int(params["message_id"]))
        elif pins:
            pins.pop()
        return True

    # --- test side -----------------------------------------------------------------------

    async def _t_forum(self, body: JSON) -> JSON:
        """Make a supergroup a forum: {chat_id, title?, is_forum?}."""
        chat: _Chat = self._group_chat(
            {"id": body["chat_id"], "title": body.get("title"), "type": "supergroup"}
        )  # type: ignore[attr-defined]
        chat.info["type"] = "supergroup"
        chat.info["is_forum"] = bool(body.get("is_forum", True))
        return dict(chat.info)

    async def _t_forge_press(self, body: JSON) -> JSON:
        """A modified client sends callback data that no button carries:
        {user, chat_id, message_id, callback_data}."""
        import time

        from .server import _CallbackQuery

        user = self._register_user(body["user"])  # type: ignore[attr-defined]
        chat: _Chat = self.chats[int(body["chat_id"])]
        msg = chat.messages[int(body["message_id"])]
        cq_id = str(random.randint(10**18, 10**19))
        self._callbacks[cq_id] = _CallbackQuery(
            id=cq_id,
            user_id=user["id"],
            chat_id=chat.id,
            message_id=msg["message_id"],
            created=time.monotonic(),
        )  # type: ignore[attr-defined]
        self._last_press[user["id"]] = cq_id  # type: ignore[attr-defined]
        update_id = self.enqueue_update(  # type: ignore[attr-defined]
            {
                "callback_query": {
                    "id": cq_id,
                    "from": user,
                    "message": self._snapshot(msg),
                    "chat_instance": str(chat.id),
                    "data": str(body["callback_data"]),
                }
            }  # type: ignore[attr-defined]
        )
        return {"update_id": update_id, "callback_query_id": cq_id}

    async def _t_topics(self, body: JSON) -> JSON:
        """The chat's topics and pinned messages: {chat_id}."""
        chat_id = int(body["chat_id"])
        self._forum_state()
        topics = sorted(
            self._forum_state().get(chat_id, {}).values(), key=lambda t: t["message_thread_id"]
        )
        return {"topics": [dict(t) for t in topics], "pinned": list(self._pins.get(chat_id, []))}


class ForumGroup(FakeGroup):
    """A forum supergroup seen from the users' side: they write inside topics."""

    def __init__(
        self, tg: Any, chat_id: int, title: str | None = None, *, owner: FakeUser | None = None
    ) -> None:
        super().__init__(tg, chat_id, title, chat_type="supergroup", owner=owner)

    @property
    def info(self) -> JSON:
        return {"id": self.chat_id, "type": "supergroup", "title": self.title, "is_forum": True}

    async def ensure(self) -> None:
        if not self._registered:
            await super().ensure()
            await self.tg._call("forum", chat_id=self.chat_id, title=self.title)

    async def topics(self) -> list[JSON]:
        return list((await self.tg._call("topics", chat_id=self.chat_id))["topics"])

    async def pinned(self) -> list[int]:
        return list((await self.tg._call("topics", chat_id=self.chat_id))["pinned"])

    async def topic_named(self, needle: str) -> JSON:
        for topic in await self.topics():
            if needle in topic["name"]:
                return topic
        raise AssertionError(
            f"no topic named like {needle!r}: {[t['name'] for t in await self.topics()]}"
        )

    def in_thread(self, thread_id: int) -> list[BotMessage]:
        return [m for m in self.messages() if (m.raw or {}).get("message_thread_id") == thread_id]

    async def say(
        self,
        user: FakeUser,
        thread_id: int | None,
        text: str,
        *,
        reply_to: BotMessage | int | None = None,
    ) -> int | None:
        await self.ensure()
        content: JSON = {"text": text}
        if thread_id is not None:
            content |= {"message_thread_id": thread_id, "is_topic_message": True}
        return await self._send(
            user, content, chat=self.info, reply_to_message_id=_reply_id(reply_to)
        )

    async def photo(
        self,
        user: FakeUser,
        thread_id: int,
        *,
        caption: str | None = None,
        data: bytes = SAMPLE_JPEG,
        media_group_id: str | None = None,
    ) -> int | None:
        await self.ensure()
        sizes = await self._upload("photo", data)
        content: JSON = {
            "photo": sizes,
            "caption": caption,
            "message_thread_id": thread_id,
            "is_topic_message": True,
        }
        if media_group_id:
            content["media_group_id"] = media_group_id
        return await self._send(user, content, chat=self.info)

    async def album(
        self, user: FakeUser, thread_id: int, images: list[bytes], caption: str | None = None
    ) -> None:
        group = str(random.randint(10**16, 10**17))
        for index, data in enumerate(images):
            await self.photo(
                user,
                thread_id,
                caption=caption if index == 0 else None,
                data=data,
                media_group_id=group,
            )

    async def forge_press(
        self, user: FakeUser, message: BotMessage | int, callback_data: str
    ) -> int:
        mid = message if isinstance(message, int) else message.message_id
        result = await self.tg._call(
            "forge_press",
            user=user.info,
            chat_id=self.chat_id,
            message_id=mid,
            callback_data=callback_data,
        )
        self.tg._presses.append(str(result["callback_query_id"]))
        return int(result["update_id"])

    async def edit(self, user: FakeUser, message_id: int, text: str) -> int | None:
        result = await self.tg._call(
            "edit", user=user.info, chat_id=self.chat_id, message_id=message_id, text=text
        )
        return result.get("update_id")
