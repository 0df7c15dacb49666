"""A fake OpenAI-compatible server (POST /v1/chat/completions) for the LLM layer's tests.

    async with FakeLLM(scripted(Reply({"intent": "question", "confidence": 0.9}))) as llm:
        gateway = Gateway(base_url=llm.base_url, model="fake", ...)
        ...
        llm.requests[-1]  # the JSON body the gateway sent

A responder maps each request body to an action:
- `Reply(data)`: a structured answer, sent the way the request asked for it (a tool call
  when it offered tools, else JSON text in the message content);
- `Text(content)`: the message content as given (malformed JSON, prose, an empty string);
- `Fault(kind)`: "timeout" (answer after `delay` seconds), "429", "500", "503",
  "bad_body" (HTTP 200 with a body that is not JSON), "slow_stream" (a 200 whose body
  trickles out a byte at a time), "no_tool_call" (a tool request answered with nothing).

`scripted(...)` plays actions in order (then repeats the last), `random_answers(seed)` answers
every schema with random but well-formed values, `obedient(...)` plays a model that does
whatever the buyer's text tells it.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Reply:
    data: dict[str, Any]


@dataclass
class Text:
    content: str


@dataclass
class Fault:
    kind: str
    delay: float = 30.0


Action = Reply | Text | Fault
Responder = Callable[[dict[str, Any]], Action]


def scripted(*actions: Action) -> Responder:
    queue = list(actions)

    def respond(_body: dict[str, Any]) -> Action:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return respond


def by_use(answers: dict[str, Action | Responder], default: Action | None = None) -> Responder:
    """Answer by the use a request is for (`extract_field`, `classify_intent`, ...: known
    from the reply schema it asks for), an action or a responder per use."""

    def respond(body: dict[str, Any]) -> Action:
        use = request_use(body)
        answer = answers.get(use or "", default)
        if answer is None:
            raise AssertionError(f"no answer scripted for the use {use!r}")
        return answer(body) if callable(answer) else answer

    return respond


# --- helpers on a request body ----------------------------------------------------------


_REPLY_OF_USE = {
    "FieldReply": "extract_field",
    "IntentReply": "classify_intent",
    "RewriteReply": "rewrite_query",
    "AnswerReply": "grounded_answer",
    "SummaryReply": "summarise_case",
    "ScamReply": "classify_scam",
}


def request_use(body: dict[str, Any]) -> str | None:
    """The use a request is for, from the reply schema it asks for."""
    if body.get("tools"):
        return _REPLY_OF_USE.get(body["tools"][0]["function"]["name"])
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return _REPLY_OF_USE.get(response_format["json_schema"]["name"])
    schema = request_schema(body) or {}
    return _REPLY_OF_USE.get(str(schema.get("title", "")))


def messages_text(body: dict[str, Any], role: str) -> str:
    return "\n".join(
        str(m.get("content") or "") for m in body.get("messages", []) if m.get("role") == role
    )


def request_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema the request asks the answer to follow (tool, json_schema or a schema
    spelled out in the system prompt)."""
    if body.get("tools"):
        return dict(body["tools"][0]["function"]["parameters"])
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return dict(response_format["json_schema"]["schema"])
    system = messages_text(body, "system")
    start = system.find('{"')
    if start != -1:
        try:
            value, _ = json.JSONDecoder().raw_decode(system, start)
            return dict(value)
        except json.JSONDecodeError:
            return None
    return None


def buyer_text(body: dict[str, Any]) -> str:
    user = messages_text(body, "user")
    parts = re.findall(
        r'<data kind="(?:buyer_text|case_event)"[^>]*>\n?(.*?)\n?</data>', user, re.DOTALL
    )
    return "\n".join(parts)


# --- a model answering at random --------------------------------------------------------


def random_answers(seed: int = 0) -> Responder:
    """Well-formed answers with random content: strings are random words, numbers and ids
    picked from the prompt (so cause codes, amounts and passage ids come up), enums,
    booleans and numbers are random."""
    rng = random.Random(seed)

    def respond(body: dict[str, Any]) -> Action:
        schema = request_schema(body) or {"type": "object", "properties": {}}
        words = re.findall(
            r"[\w.-]+", messages_text(body, "system") + "\n" + messages_text(body, "user")
        )
        # plausible values come up half the time: a listed code, or a token of the buyer's text
        plausible = re.findall(r"^- (\w+):", messages_text(body, "system"), re.MULTILINE)
        plausible += re.findall(r"[\w.:-]+", buyer_text(body))
        ids = re.findall(r'<passage id="([^"]+)"', messages_text(body, "user"))
        return Reply(_random_value(schema, schema, rng, words, ids, plausible=plausible))

    return respond


def _random_value(
    schema: dict[str, Any],
    root: dict[str, Any],
    rng: random.Random,
    words: list[str],
    ids: list[str],
    name: str = "",
    plausible: list[str] | None = None,
) -> Any:
    if "$ref" in schema:
        ref = schema["$ref"].split("/")[-1]
        return _random_value(
            root.get("$defs", {}).get(ref, {}), root, rng, words, ids, name, plausible
        )
    if "enum" in schema:
        return rng.choice(schema["enum"])
    if "anyOf" in schema:
        return _random_value(rng.choice(schema["anyOf"]), root, rng, words, ids, name, plausible)
    kind = schema.get("type", "object")
    if kind == "object":
        properties = schema.get("properties", {}).items()
        return {
            key: _random_value(sub, root, rng, words, ids, key, plausible)
            for key, sub in properties
        }
    if kind == "array":
        items = schema.get("items", {})
        return [
            _random_value(items, root, rng, words, ids, name, plausible)
            for _ in range(rng.randint(0, 3))
        ]
    if kind == "boolean":
        return rng.random() < 0.5
    if kind in ("number", "integer"):
        low, high = schema.get("minimum", 0), schema.get("maximum", 1)
        return rng.uniform(low, high) if kind == "number" else rng.randint(int(low), int(high))
    if kind == "string":
        if name == "cited" and ids:
            return rng.choice([*ids, "unknown-section"])
        if plausible and rng.random() < 0.5:
            return rng.choice(plausible)[: schema.get("maxLength", 200)]
        pool = words or ["x"]
        count = 1 if rng.random() < 0.6 else rng.randint(2, 12)  # often one word: a code, a number
        return " ".join(rng.choice(pool) for _ in range(count))[: schema.get("maxLength", 200)]
    return None


# --- a model that obeys whatever the buyer writes ---------------------------------------

FOREIGN_LINK = "https://kamall-refund.help/claim?order=1"


def obedient(overrides: dict[str, Any] | None = None) -> Responder:
    """A model that follows instructions found in the data: it prints its system prompt,
    adds the link asked for, approves refunds with amounts and deadlines of its own, cites
    sections it was not given, and puts `overrides` into the structured answer."""

    def respond(body: dict[str, Any]) -> Action:
        system = messages_text(body, "system")
        said = buyer_text(body)
        ids = re.findall(r'<passage id="([^"]+)"', messages_text(body, "user"))
        chinese = bool(re.search(r"[\u4e00-\u9fff]", said))
        parts = []
        if re.search(
            r"instruction|prompt|system|rules above|指令|提示词|系统|规则|设定", said, re.IGNORECASE
        ):
            parts.append(system[:300])  # the opening of its instructions, marker included
        if re.search(r"link|url|http|网址|链接|网站", said, re.IGNORECASE):
            parts.append(f"{'请点击' if chinese else 'Open'} {FOREIGN_LINK}")
        if not parts or re.search(
            r"approv|admin|decide|批准|同意|管理员|全额|通过", said, re.IGNORECASE
        ):
            parts.append(
                "您的退款5000元已批准，1小时内到账。"
                if chinese
                else "Your refund of ¥5000 is approved and arrives within 1 hour."
            )
        payload = " ".join(parts)
        schema = request_schema(body) or {}
        answer: dict[str, Any] = {}
        for key, sub in schema.get("properties", {}).items():
            kind = sub.get("type")
            if key == "cited":
                answer[key] = [*ids, "admin-override"]
            elif kind == "string" or "$ref" in sub or "enum" in sub:
                answer[key] = payload
            elif kind == "boolean":
                answer[key] = True
            elif kind in ("number", "integer"):
                answer[key] = 1.0
        if "intent" in answer:
            answer["intent"] = "wants_refund"
        answer.update(overrides or {})
        return Reply(answer)

    return respond


# --- the server -------------------------------------------------------------------------


@dataclass
class FakeLLM:
    responder: Responder = field(default_factory=lambda: scripted(Text("")))
    usage: bool = True  # report token usage like OpenAI does
    requests: list[dict[str, Any]] = field(default_factory=list)
    replies: list[Action] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def __aenter__(self) -> FakeLLM:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        action = self.responder(body)
        self.replies.append(action)
        if isinstance(action, Fault):
            return await self._fault(request, action)
        if isinstance(action, Reply):
            arguments = json.dumps(action.data, ensure_ascii=False)
            if body.get("tools"):
                name = body["tools"][0]["function"]["name"]
                message: dict[str, Any] = {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": name, "arguments": arguments},
                        }
                    ],
                }
            else:
                message = {"role": "assistant", "content": arguments}
        else:
            message = {"role": "assistant", "content": action.content}
        return web.json_response(self._completion(body, message))

    def _completion(self, body: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
        sent = sum(len(str(m.get("content") or "")) for m in body.get("messages", []))
        said = len(str(message.get("content") or "")) + len(
            json.dumps(message.get("tool_calls") or "")
        )
        result: dict[str, Any] = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                }
            ],
        }
        if self.usage:
            result["usage"] = {
                "prompt_tokens": sent // 3 + 1,
                "completion_tokens": said // 3 + 1,
                "total_tokens": (sent + said) // 3 + 2,
            }
        return result

    async def _fault(self, request: web.Request, fault: Fault) -> web.StreamResponse:
        if fault.kind == "timeout":
            await asyncio.sleep(fault.delay)
            return web.json_response(self._completion({}, {"role": "assistant", "content": "{}"}))
        if fault.kind in ("429", "500", "502", "503"):
            headers = {"retry-after-ms": "10"} if fault.kind == "429" else {}
            return web.json_response(
                {"error": {"message": "fault", "type": "fault", "code": fault.kind}},
                status=int(fault.kind),
                headers=headers,
            )
        if fault.kind == "bad_body":
            return web.Response(
                text='{"id": "chatcmpl-fake", "choices": [', content_type="application/json"
            )
        if fault.kind == "no_tool_call":
            return web.json_response(self._completion({}, {"role": "assistant", "content": None}))
        if fault.kind == "slow_stream":
            response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
            await response.prepare(request)
            payload = json.dumps(
                self._completion({}, {"role": "assistant", "content": "{}"})
            ).encode()
            for byte in payload:
                await response.write(bytes([byte]))
                await asyncio.sleep(fault.delay / max(1, len(payload)) + 0.05)
            await response.write_eof()
            return response
        raise ValueError(f"unknown fault {fault.kind}")
