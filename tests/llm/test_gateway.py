"""The gateway against the fake OpenAI-compatible server: the three structured modes, the
text fallback, every fault (each bounded by the timeout and counted), the budget, tokens."""

from __future__ import annotations

import time

import pytest

from bot.config import load_settings
from bot.llm import budget
from bot.llm.gateway import Gateway, build_gateway, estimate_tokens
from bot.llm.schemas import IntentKind, IntentReply
from tests.fakellm import FakeLLM, Fault, Reply, Text, scripted
from tests.llm.conftest import GatewayFactory

GOOD = {"intent": "question", "confidence": 0.9}


@pytest.mark.parametrize("mode", ["tools", "json_schema", "json"])
async def test_each_structured_mode(
    fake_llm: FakeLLM, make_gateway: GatewayFactory, mode: str
) -> None:
    fake_llm.responder = scripted(Reply(GOOD))
    gateway = make_gateway(structured=mode)
    reply = await gateway.ask("classify_intent", IntentReply, text="退款多久到账？")
    assert reply is not None and reply.value.intent is IntentKind.QUESTION
    sent = fake_llm.requests[-1]
    system = sent["messages"][0]["content"]
    if mode == "tools":
        assert sent["tools"][0]["function"]["name"] == "IntentReply"
        assert sent["tool_choice"]["function"]["name"] == "IntentReply"
        assert "response_format" not in sent
    elif mode == "json_schema":
        assert sent["response_format"]["type"] == "json_schema"
        assert "intent" in sent["response_format"]["json_schema"]["schema"]["properties"]
        assert "tools" not in sent
    else:
        assert sent["response_format"] == {"type": "json_object"}
        assert '"intent"' in system  # the schema is spelled out for plain JSON mode
    assert sent["model"] == "fake-model" and sent["temperature"] == 0
    # the answer's length is capped under both names: llama.cpp-style servers read only
    # `max_tokens` and otherwise generate until the context is full
    assert sent["max_completion_tokens"] == 400 and sent["max_tokens"] == 400
    assert fake_llm.headers[-1]["Authorization"] == "Bearer sk-test"
    assert gateway.counters.calls == 1 and not gateway.counters.errors


def test_openai_itself_gets_only_max_completion_tokens() -> None:
    from bot.llm.gateway import Gateway

    own = Gateway(base_url="https://api.openai.com/v1", model="gpt-4o-mini", max_tokens=300)
    other = Gateway(base_url="http://127.0.0.1:8000/v1", model="smollm2", max_tokens=300)
    assert own.chat.extra_body is None
    assert other.chat.extra_body == {"max_tokens": 300}


@pytest.mark.parametrize(
    "content",
    [
        '```json\n{"intent": "wants_person", "confidence": 0.8}\n```',
        'Sure! Here it is: {"intent": "wants_person", "confidence": 0.8} Hope that helps.',
    ],
)
async def test_json_in_text_is_read_when_no_tool_call_comes(
    fake_llm: FakeLLM, make_gateway: GatewayFactory, content: str
) -> None:
    fake_llm.responder = scripted(Text(content))
    reply = await make_gateway(structured="tools").ask(
        "classify_intent", IntentReply, text="找人工"
    )
    assert reply is not None and reply.value.intent is IntentKind.WANTS_PERSON


FAULTS = [
    (Fault("timeout", 10), "timeout"),
    (Fault("slow_stream", 10), "timeout"),
    (Fault("429"), "rate_limited"),
    (Fault("500"), "server_error"),
    (Fault("503"), "server_error"),
    (Fault("bad_body"), "bad_response"),
    (Fault("no_tool_call"), "empty"),
    (Text(""), "empty"),
    (Text("I think the buyer asks a question"), "malformed"),
    (Text('{"intent": "question", "confidence": '), "malformed"),
    (Reply({"intent": "refund_now", "confidence": 0.9}), "schema"),
    (Reply({"answer": "yes"}), "schema"),
    (Reply({"intent": "question", "confidence": 7}), "schema"),
]


@pytest.mark.parametrize(
    ("action", "kind"), FAULTS, ids=[f"{a.__class__.__name__}-{k}" for a, k in FAULTS]
)
async def test_every_fault_falls_back_within_the_timeout_and_is_counted(
    fake_llm: FakeLLM, make_gateway: GatewayFactory, action: object, kind: str
) -> None:
    fake_llm.responder = scripted(action)  # type: ignore[arg-type]
    gateway = make_gateway(timeout_seconds=1.0)
    started = time.perf_counter()
    reply = await gateway.ask("classify_intent", IntentReply, text="hello")
    elapsed = time.perf_counter() - started
    assert reply is None
    assert elapsed < 1.0 + 0.5
    assert gateway.counters.errors == {kind: 1}
    assert gateway.counters.fallbacks == 1 and gateway.counters.calls == 1


async def test_retries_stay_inside_the_timeout(
    fake_llm: FakeLLM, make_gateway: GatewayFactory
) -> None:
    fake_llm.responder = scripted(Fault("503"), Fault("503"), Reply(GOOD))
    gateway = make_gateway(max_retries=2, timeout_seconds=5.0)
    reply = await gateway.ask("classify_intent", IntentReply, text="hello")
    assert reply is not None and len(fake_llm.requests) == 3

    fake_llm.responder = scripted(Fault("500"))
    gateway = make_gateway(max_retries=5, timeout_seconds=1.0)
    started = time.perf_counter()
    assert await gateway.ask("classify_intent", IntentReply, text="hello") is None
    assert time.perf_counter() - started < 1.5
    assert set(gateway.counters.errors) <= {"server_error", "timeout"}


async def test_one_call_per_buyer_message(fake_llm: FakeLLM, make_gateway: GatewayFactory) -> None:
    fake_llm.responder = scripted(Reply(GOOD))
    gateway = make_gateway(require_turn=True)
    assert await gateway.ask("classify_intent", IntentReply, text="hi") is None  # no turn: refused
    assert gateway.counters.refused == {"no_turn": 1} and not fake_llm.requests
    with budget.turn("chat1:update1", case_key="case-7"):
        assert await gateway.ask("classify_intent", IntentReply, text="hi") is not None
        assert await gateway.ask("classify_intent", IntentReply, text="hi again") is None
    with budget.turn("chat1:update2", case_key="case-7"):
        assert await gateway.ask("classify_intent", IntentReply, text="next message") is not None
    assert len(fake_llm.requests) == 2
    assert gateway.counters.refused == {"no_turn": 1, "budget": 1}
    tokens_in, tokens_out = gateway.counters.case_tokens("case-7")
    assert (
        tokens_in == gateway.counters.tokens_in > 0
        and tokens_out == gateway.counters.tokens_out > 0
    )


async def test_tokens_are_estimated_when_the_server_reports_none(
    fake_llm: FakeLLM, make_gateway: GatewayFactory
) -> None:
    fake_llm.usage = False
    fake_llm.responder = scripted(Reply(GOOD))
    gateway = make_gateway()
    await gateway.ask("classify_intent", IntentReply, text="退款多久到账", case_key="c1")
    assert gateway.counters.tokens_in > 100 and 0 < gateway.counters.tokens_out < 40
    assert gateway.counters.case_tokens("c1") == (
        gateway.counters.tokens_in,
        gateway.counters.tokens_out,
    )
    assert estimate_tokens("退款多久 to arrive?") == 4 + 3 + 0


async def test_connection_refused_is_a_fallback() -> None:
    gateway = Gateway(
        base_url="http://127.0.0.1:9/v1",
        model="m",
        require_turn=False,
        timeout_seconds=1,
        max_retries=0,
    )
    assert await gateway.ask("classify_intent", IntentReply, text="hi") is None
    assert gateway.counters.errors == {"connection": 1}


def test_settings_turn_the_gateway_on_and_off() -> None:
    assert build_gateway(load_settings()) is None
    settings = load_settings(
        llm_base_url="http://127.0.0.1:8000/v1",
        llm_structured="json_schema",
        platform_domains="kamall.example",
        llm_allowed_domains="help.kamall.example",
    )
    gateway = build_gateway(settings)
    assert gateway is not None and gateway.structured == "json_schema"
    assert gateway.allowed_domains == ("kamall.example", "help.kamall.example")
    assert gateway.timeout_seconds == 8.0


def test_snapshot_is_plain_data(make_gateway: GatewayFactory) -> None:
    snapshot = make_gateway().counters.snapshot()
    assert (
        snapshot["calls"] == 0
        and snapshot["errors"] == {}
        and 1000 in snapshot["latency_ms_buckets"]
    )


def test_a_gateway_in_a_new_event_loop_does_not_reuse_a_connection_of_a_closed_one() -> None:
    """Each gateway owns its HTTP client. LangChain's default is one client per (base URL,
    timeout) shared by the whole process; its kept-alive connections belong to the event loop
    that opened them, and a later loop that picks one up fails ('Event loop is closed')."""
    import asyncio
    import threading

    ready = threading.Event()
    server_loop = asyncio.new_event_loop()
    llm = FakeLLM(responder=scripted(Reply(GOOD)))

    def serve() -> None:
        asyncio.set_event_loop(server_loop)
        server_loop.run_until_complete(llm.__aenter__())
        ready.set()
        server_loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)

    async def ask_once() -> tuple[object, dict[str, int]]:
        gateway = Gateway(
            base_url=llm.base_url,
            model="fake",
            timeout_seconds=2.0,
            max_retries=0,
            require_turn=False,
        )
        try:
            reply = await gateway.ask("classify_intent", IntentReply, text="hello")
            return reply, dict(gateway.counters.errors)
        finally:
            await gateway.aclose()

    try:
        for _ in range(3):  # each asyncio.run is a new loop, closed after it
            reply, errors = asyncio.run(ask_once())
            assert reply is not None and errors == {}
    finally:
        asyncio.run_coroutine_threadsafe(llm.__aexit__(), server_loop).result(10)
        server_loop.call_soon_threadsafe(server_loop.stop)
        thread.join(10)
