"""Filters that run on the event loop.

aiogram calls every plain (not `async`) filter in a worker thread (`asyncio.to_thread`),
including its own `F.…` filters and `State` filters: about five thread hand-offs per
update here (a task, a future, a wake-up of the loop through its self-pipe each), for
checks that take microseconds. `run_filters_inline` makes those two kinds, which are pure
and quick, run directly in the event loop instead; any other plain filter keeps aiogram's
thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject, HandlerObject
from aiogram.fsm.state import State


def _quick(check: FilterObject) -> bool:
    return check.magic is not None or isinstance(check.callback, State)


def _inline(check: FilterObject) -> None:
    plain: Callable[..., Any] = check.callback

    async def inline(*args: Any, **kwargs: Any) -> Any:
        return plain(*args, **kwargs)

    # the arguments it takes were read from the plain callable already (`check.params`)
    check.callback = inline
    check.awaitable = True


def _filters(handlers: Iterable[HandlerObject]) -> Iterable[FilterObject]:
    for handler in handlers:
        yield from handler.filters or ()


def run_filters_inline(router: Router) -> int:
    """Make the quick plain filters of `router` and the routers under it run in the event
    loop; returns how many were changed."""
    changed = 0
    for each in router.chain_tail:
        for observer in each.observers.values():
            handlers = [*observer.handlers, observer._handler]
            for check in _filters(handlers):
                if not check.awaitable and _quick(check):
                    _inline(check)
                    changed += 1
    return changed
