"""The model's short summary on a support case card (`summarise_case`), computed outside any
buyer message: each summary is its own turn (one call), kept per case and made again only
when the case has new events, so refreshing a card costs nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from bot.llm.budget import turn
from bot.llm.gateway import Gateway
from bot.llm.uses import summarise_case

log = logging.getLogger(__name__)

# what the summary may rest on: the case's facts, never its internal ids
FACT_FIELDS = (
    "number",
    "order_number",
    "platform_type",
    "order_status",
    "cause",
    "payment_channel",
    "amount",
    "paid_at",
    "completed_at",
    "status",
)
MAX_CACHED = 2000


class EventLike(Protocol):
    actor: str
    kind: str
    payload: dict[str, Any]
    created_at: Any


class CardLike(Protocol):
    @property
    def case(self) -> Any: ...

    @property
    def events(self) -> Any: ...

    @property
    def decision(self) -> Mapping[str, Any]: ...


def event_rows(events: Iterable[EventLike]) -> list[dict[str, str]]:
    rows = []
    for event in events:
        payload = event.payload or {}
        text = str(payload.get("text") or payload.get("reason") or payload.get("status") or "")
        rows.append(
            {"at": str(event.created_at), "who": event.actor, "text": f"{event.kind} {text}"}
        )
    return rows


def case_facts(case: Any) -> dict[str, Any]:
    return {name: getattr(case, name, None) for name in FACT_FIELDS}


class CaseSummaries:
    """`await summaries.for_card(data, lang)` -> the summary text, or None (no model, or the
    model gave nothing usable: the card is shown without it)."""

    def __init__(self, gateway: Gateway | None) -> None:
        self.gateway = gateway
        self._cache: dict[Any, tuple[int, str | None]] = {}

    async def for_card(self, data: CardLike, lang: str) -> str | None:
        if self.gateway is None:
            return None
        case = data.case
        key, seen = getattr(case, "id", None), len(data.events)
        cached = self._cache.get(key)
        if cached is not None and cached[0] == seen:
            return cached[1]
        with turn(f"card:{key}", case_key=str(getattr(case, "number", key))):
            text = await summarise_case(
                self.gateway,
                event_rows(data.events),
                case_facts(case),
                decision=dict(data.decision),
                lang=lang,
            )
        if len(self._cache) >= MAX_CACHED:
            self._cache.clear()
        self._cache[key] = (seen, text)
        return text
