"""The support web console: the queue, the case, the numbers and the policy simulator,
served by the bot's own process (`WEB_PORT`) or alone (`refund-bot web`).

Every action goes through the support workspace's service (`bot.services.support`): the
same authorization, transitions, relay, outbox and audit trail as in Telegram. This
package's `__init__` stays light (the tables in `models` are imported by `bot.storage`);
the FastAPI app is built on demand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

    from bot.app import Services
    from bot.config import Settings


def start(
    settings: Settings, services: Services, *, bot: Any = None, dispatcher: Any = None
) -> asyncio.Task[None] | None:
    """Start the console beside the bot when `WEB_PORT` is set: a background task the
    caller cancels at shutdown (None when the console is off)."""
    from bot.web.server import start_in_process

    return start_in_process(settings, services, bot=bot, dispatcher=dispatcher)
