from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.llm.gateway import Gateway
from tests.fakellm import FakeLLM

GatewayFactory = Callable[..., Gateway]


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeLLM]:
    async with FakeLLM() as server:
        yield server


@pytest.fixture
async def make_gateway(fake_llm: FakeLLM) -> AsyncIterator[GatewayFactory]:
    made: list[Gateway] = []

    def make(**options: Any) -> Gateway:
        values: dict[str, Any] = {
            "base_url": fake_llm.base_url,
            "model": "fake-model",
            "api_key": "sk-test",
            "timeout_seconds": 2.0,
            "max_retries": 0,
            "structured": "tools",
            "require_turn": False,
            "allowed_domains": ["kamall.example"],
        }
        values.update(options)
        made.append(Gateway(**values))
        return made[-1]

    yield make
    for gateway in made:
        await gateway.aclose()
