"""One Router per flow; the order here is the order in which they are tried.

`build_router(settings)` scopes them by chat through parent routers: the private-chat
flows under a parent that lets only private chats in, the support group's handlers under
a parent filtered on `SUPPORT_CHAT_ID`, the group guard under a parent for groups. A
handler never has to check the chat in its body.
"""

from aiogram import F, Router

from bot.config import Settings
from bot.telegram.handlers import (
    ask,
    cases,
    errors,
    fallback,
    groups,
    links,
    privacy,
    start,
    support,
    web,
    wizard,
)

ROUTERS = (errors, start, privacy, web, support, groups, links, cases, ask, wizard, fallback)
PRIVATE = (start, privacy, web, support, links, cases, ask, wizard, fallback)
GROUP_TYPES = {"group", "supergroup"}


def _detach(router: Router) -> None:
    """Module-level routers are built once per process; a new tree (a restart in the
    console or in tests) takes them over from the old one."""
    parent = router.parent_router
    if parent is not None:
        parent.sub_routers.remove(router)
        router._parent_router = None


def build_router(settings: Settings) -> Router:
    """The router tree for these settings."""
    for module_router in (*(m.router for m in ROUTERS), support.staff_router):
        _detach(module_router)
    root = Router(name="root")
    root.include_router(errors.router)

    if settings.support_chat_id is not None:
        support_chat = Router(name="support-chat")
        in_support = F.chat.id == settings.support_chat_id
        support_chat.message.filter(in_support)
        support_chat.edited_message.filter(in_support)
        support_chat.callback_query.filter(F.message.chat.id == settings.support_chat_id)
        support_chat.include_router(support.staff_router)
        root.include_router(support_chat)

    private = Router(name="private")
    private.message.filter(F.chat.type == "private")
    private.edited_message.filter(F.chat.type == "private")
    private.callback_query.filter(F.message.chat.type == "private")
    bans = support.Bans()
    private.message.middleware(bans)
    private.callback_query.middleware(bans)
    private.include_routers(*(m.router for m in PRIVATE))
    root.include_router(private)

    in_groups = Router(name="groups")
    in_groups.message.filter(F.chat.type.in_(GROUP_TYPES))
    in_groups.include_router(groups.router)
    root.include_router(in_groups)
    return root
