"""The per-update budget: at most one model call for each buyer message.

The Telegram layer opens a turn around each update:

    with gateway.turn(f"{chat_id}:{update_id}", case_key=case_id):
        ...  # handlers; the first model call spends the turn, a second one is refused

The turn travels with the task in a context variable, so nothing needs to pass it along.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class Turn:
    key: str
    case_key: str | None = None
    calls_left: int = 1

    def spend(self) -> bool:
        """Take one call from the budget; False when it is used up."""
        if self.calls_left <= 0:
            return False
        self.calls_left -= 1
        return True


_current: ContextVar[Turn | None] = ContextVar("llm_turn", default=None)


def current_turn() -> Turn | None:
    return _current.get()


@contextmanager
def turn(key: str, *, case_key: str | None = None, calls: int = 1) -> Iterator[Turn]:
    """A budget of `calls` model calls for the code run inside (one buyer message)."""
    value = Turn(key, case_key, calls)
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)


@contextmanager
def carried(value: Turn | None) -> Iterator[Turn | None]:
    """Run the code inside under an existing turn (or none): a task started for an update,
    in a context of its own, still spends that update's one model call."""
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)
