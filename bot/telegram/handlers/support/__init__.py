"""Support workspace: a forum topic per case in the support group.

`router` is the buyer's side (private chats); `staff_router` the support group's side, to
be mounted under a parent router scoped to `SUPPORT_CHAT_ID`.
"""

from bot.telegram.handlers.support.private import Bans, router
from bot.telegram.handlers.support.staff import router as staff_router

__all__ = ["Bans", "router", "staff_router"]
