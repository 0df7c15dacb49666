"""The refund wizard: order number -> platform -> status -> cause -> channel -> amount ->
payment time (-> completion time) -> preliminary decision and evidence -> summary ->
submit; or one message that tells the whole story, confirmed at once.

Split by concern: `flow` (the draft and the prompts; `inject` gives each handler its
`flow`), `entry` (menu, resume, one description), `answers` (typed answers), `buttons`, `evidence`, `unexpected`; `reading` and
`understood`: a language model's reading of a refused typed answer, used after "yes".
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router

from bot.config import ConfigError, Settings
from bot.knowledge import KnowledgeBase
from bot.services.refunds import RefundService
from bot.telegram.handlers.wizard import (
    answers,
    buttons,
    entry,
    evidence,
    understood,
    unexpected,
)
from bot.telegram.handlers.wizard.inject import GiveFlow
from bot.telegram.handlers.wizard.unexpected import resume, resume_from

router = Router(name="refund")
router.message.filter(F.chat.type == "private")
# every handler below is given `flow` (inner middlewares of a parent serve its children)
router.message.middleware(GiveFlow())
router.callback_query.middleware(GiveFlow())
router.include_routers(
    entry.router,
    buttons.router,
    understood.router,
    answers.router,
    evidence.router,
    unexpected.router,
)

# what the wizard's handlers are given by name, and the type each must have
INJECTIONS: dict[str, type] = {"settings": Settings, "refunds": RefundService, "kb": KnowledgeBase}


def check_injections(data: dict[str, Any]) -> None:
    """A missing or wrong injection fails when the bot starts, not when a buyer arrives."""
    for name, kind in INJECTIONS.items():
        if not isinstance(data.get(name), kind):
            raise ConfigError(
                f"the refund wizard needs {name!r} ({kind.__name__}); got {type(data.get(name)).__name__}"
            )


@router.startup()
async def _on_startup(**data: Any) -> None:
    check_injections(data)


__all__ = ["check_injections", "resume", "resume_from", "router"]
