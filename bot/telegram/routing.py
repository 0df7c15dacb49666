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
from dataclasses import dataclass
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.event.handler import FilterObject, HandlerObject
from aiogram.filters import Command, Filter, StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message


def _quick(check: FilterObject) -> bool:
    return check.magic is not None or isinstance(check.callback, State)


def _inline(check: FilterObject) -> None:
    plain: Callable[..., Any] = check.callback

    async def inline(*args: Any, **kwargs: Any) -> Any:
        return plain(*args, **kwargs)

    # the arguments it takes were read from the plain callable already (`check.params`)
    inline.__wrapped__ = plain  # type: ignore[attr-defined]  # what it checks (gates read it)
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


# --- router gates ------------------------------------------------------------------------
#
# aiogram tries the routers in order and, in each, every handler's filters until one
# matches: a wizard button went through about twenty callback-data filters of the routers
# before the wizard's. A gate is one check at the front of a router's own filters that
# lets an event in only when some handler of the router or of the routers under it could
# match it, judged from the filters whose conditions are known here (callback data prefix,
# conversation state, command). When no handler could, the router and everything under it
# are skipped, as aiogram would after trying them all: which handler takes an event, and
# which middlewares run, do not change. A router under which any handler has no known
# condition gets no gate.

GATED = ("message", "edited_message", "callback_query")


@dataclass(frozen=True)
class Need:
    """What one handler needs to match (None: no known condition of that kind)."""

    callback_prefix: tuple[str, str] | None = None  # (prefix, separator)
    states: frozenset[str | None] | None = None
    command_prefixes: str | None = None

    def admits(self, data: str | None, raw_state: str | None, text: str | None) -> bool:
        if self.callback_prefix is not None:
            prefix, separator = self.callback_prefix
            if not data or data.split(separator, 1)[0] != prefix:
                return False
        if self.states is not None and raw_state not in self.states:
            return False
        first = text[:1] if text else ""
        return self.command_prefixes is None or (first != "" and first in self.command_prefixes)


def _states(check: Any) -> frozenset[str | None] | None:
    """The raw states a State or StateFilter admits; None when it admits any or a whole
    group (not narrowed here)."""
    allowed: set[str | None] = set()
    for state in check.states if isinstance(check, StateFilter) else (check,):
        if isinstance(state, State):
            state = state.state
        if state == "*" or not (state is None or isinstance(state, str)):
            return None
        allowed.add(state)
    return frozenset(allowed)


def need_of(handler: HandlerObject) -> Need | None:
    """The known conditions of a handler; None when it has none (it may take anything)."""
    prefix: tuple[str, str] | None = None
    states: frozenset[str | None] | None = None
    commands: str | None = None
    for check in handler.filters or ():
        original = getattr(check.callback, "__wrapped__", check.callback)
        if isinstance(original, CallbackQueryFilter):
            factory = original.callback_data
            prefix = (factory.__prefix__, factory.__separator__)
        elif isinstance(original, State | StateFilter):
            found = _states(original)
            if found is not None:
                states = found if states is None else states & found
        elif isinstance(original, Command):
            commands = original.prefix
    if prefix is None and states is None and commands is None:
        return None
    return Need(prefix, states, commands)


def needs_under(router: Router, update_type: str) -> frozenset[Need] | None:
    """What the handlers of `router` and of the routers under it need for `update_type`;
    None when one of them has no known condition."""
    found: set[Need] = set()
    for each in router.chain_tail:
        for handler in each.observers[update_type].handlers:
            need = need_of(handler)
            if need is None:
                return None
            found.add(need)
    return frozenset(found)


class RouterGate(Filter):
    """A router's first filter: True when some handler under it could match the event."""

    def __init__(self, needs: frozenset[Need]) -> None:
        self.needs = needs

    async def __call__(self, obj: Any, raw_state: str | None = None) -> bool:
        return self.admits(obj, raw_state)

    def admits(self, obj: Any, raw_state: str | None) -> bool:
        data = obj.data if isinstance(obj, CallbackQuery) else None
        text = (obj.text or obj.caption) if isinstance(obj, Message) else None
        return any(need.admits(data, raw_state, text) for need in self.needs)


def gates_of(router: Router, update_type: str) -> list[RouterGate]:
    observer = router.observers[update_type]
    return [
        check.callback
        for check in observer._handler.filters or ()
        if isinstance(check.callback, RouterGate)
    ]


def gate_routers(root: Router) -> int:
    """Put a gate in front of every router of the tree that can have one (the gates of an
    earlier tree are replaced); returns how many."""
    gated = 0
    for router in root.chain_tail:
        for update_type in GATED:
            own = router.observers[update_type]._handler
            own.filters = [
                check for check in own.filters or () if not isinstance(check.callback, RouterGate)
            ]
            needs = needs_under(router, update_type)
            if needs is None:
                continue
            own.filters.insert(0, FilterObject(RouterGate(needs)))
            gated += 1
        if router is not root and "propagate_event" not in vars(router):
            router.propagate_event = _skipping(router)  # type: ignore[method-assign]
    return gated


def _skipping(router: Router) -> Callable[..., Any]:
    """`router.propagate_event`, asking the router's gate first: an event it keeps out is
    not even taken into the router (aiogram's own visit of a router costs a middleware
    chain, a closure and a filter call before the gate is reached). Only when the router
    has no outer middlewares for the event, which aiogram runs before any filter."""
    plain = type(router).propagate_event.__get__(router)

    async def propagate_event(update_type: str, event: Any, **kwargs: Any) -> Any:
        observer = router.observers.get(update_type)
        if observer is not None and not len(observer.outer_middleware):
            first = (observer._handler.filters or (None,))[0]
            gate = first.callback if first is not None else None
            if isinstance(gate, RouterGate) and not gate.admits(event, kwargs.get("raw_state")):
                return UNHANDLED
        return await plain(update_type=update_type, event=event, **kwargs)

    return propagate_event


def gates_out_of_sync(root: Router) -> list[str]:
    """Routers whose gate does not match the handlers under them now (a handler added after
    the gates were made); empty when all are in sync."""
    wrong: list[str] = []
    for router in root.chain_tail:
        for update_type in GATED:
            gates = gates_of(router, update_type)
            needs = needs_under(router, update_type)
            expected = [] if needs is None else [needs]
            if [gate.needs for gate in gates] != expected:
                wrong.append(f"{router.name} {update_type}")
    return wrong
