"""The one gateway to an OpenAI-compatible chat endpoint (LangChain's ChatOpenAI).

    gateway = build_gateway(settings)          # None when LLM_BASE_URL is unset
    with turn(f"{chat_id}:{update_id}", case_key=case_id):
        reply = await gateway.ask("classify_intent", IntentReply, text=message_text)

`ask` renders `prompts/<use>.system.j2` and `prompts/<use>.user.j2`, sends them, reads the
structured answer (function call, JSON schema or plain JSON, with a JSON-in-text fallback),
validates it with pydantic and returns it, or None on any fault: timeout (the whole call,
retries included, is bounded by LLM_TIMEOUT_SECONDS), 429/5xx, unreadable or wrongly shaped
JSON, an empty answer, a spent budget. Every outcome is counted in `gateway.counters`.
The uses in `bot.llm.uses` add their own checks and the guardrails of `bot.llm.guard`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr, ValidationError

from bot.llm.budget import current_turn
from bot.llm.counters import LLMCounters
from bot.llm.guard import leaks_prompt, strip_foreign_urls, unbacked_claims
from bot.llm.prompts import render
from bot.llm.structured import NotJSON, json_from_text

if TYPE_CHECKING:  # the client stack is imported when a gateway is built, not with the bot
    from langchain_core.messages import AIMessage, BaseMessage

log = logging.getLogger(__name__)

Structured = Literal["tools", "json_schema", "json"]
STRUCTURED_MODES: tuple[Structured, ...] = ("tools", "json_schema", "json")
R = TypeVar("R", bound=BaseModel)
T = TypeVar("T")


@dataclass(frozen=True)
class Reply(Generic[T]):
    """A validated structured answer, with the system prompt it answered (for leak checks)."""

    value: T
    system_prompt: str
    marker: str


def _is_openai(base_url: str) -> bool:
    host = (urlsplit(base_url).hostname or "").lower()
    return host == "api.openai.com" or host.endswith(".openai.azure.com")


def estimate_tokens(text: str) -> int:
    """Rough token count for servers that report no usage: a CJK character is about one
    token, an English word about 1.3."""
    cjk = len(re.findall(r"[\u3000-\u9fff\uff00-\uffef]", text))
    words = len(re.findall(r"[A-Za-z0-9]+", text))
    other = len(re.findall(r"[^\sA-Za-z0-9\u3000-\u9fff\uff00-\uffef]", text))
    return cjk + round(words * 1.3) + other // 2


class Gateway:
    """A configured model endpoint. Never raises to its callers: faults give None."""

    enabled = True

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout_seconds: float = 8.0,
        max_retries: int = 1,
        structured: Structured = "tools",
        max_tokens: int = 400,
        allowed_domains: Iterable[str] = (),
        require_turn: bool = True,
        counters: LLMCounters | None = None,
    ) -> None:
        if structured not in STRUCTURED_MODES:
            raise ValueError(f"structured must be one of {', '.join(STRUCTURED_MODES)}")
        self.model = model
        self.structured: Structured = structured
        self.timeout_seconds = timeout_seconds
        self.allowed_domains = tuple(d.strip().lower() for d in allowed_domains if d.strip())
        self.require_turn = require_turn
        self.counters = counters or LLMCounters()
        # a fresh marker per process: if it ever shows up in an answer, the prompt leaked
        self.marker = f"ref-{secrets.token_hex(4)}"
        import openai
        from langchain_openai import ChatOpenAI

        # the gateway's own HTTP client: LangChain's default is one client per (base URL,
        # timeout) for the whole process, whose kept-alive connections belong to the event
        # loop that opened them; a client per gateway lives and closes with it (`aclose`)
        self.http = openai.DefaultAsyncHttpxClient(timeout=timeout_seconds)
        self.chat = ChatOpenAI(
            model=model,
            base_url=base_url,
            api_key=SecretStr(api_key or "unused"),
            timeout=timeout_seconds,
            max_retries=max_retries,
            temperature=0,
            max_completion_tokens=max_tokens,
            # LangChain sends only `max_completion_tokens`; servers other than OpenAI's own
            # (llama.cpp, llama-cpp-python, DeepSeek, DashScope) read `max_tokens`, and
            # without it a small local model talks on until its context is full
            extra_body=None if _is_openai(base_url) else {"max_tokens": max_tokens},
            http_async_client=self.http,
        )

    async def aclose(self) -> None:
        """Close the gateway's connections (on shutdown)."""
        await self.http.aclose()

    # --- the call ---------------------------------------------------------------------

    async def ask(
        self, use: str, reply: type[R], *, case_key: str | None = None, **values: Any
    ) -> Reply[R] | None:
        """Render the use's prompts with `values`, call the model once, return the validated
        reply or None (counted by reason)."""
        turn = current_turn()
        if turn is None and self.require_turn:
            self.counters.record_refused("no_turn")
            log.warning("llm call %s outside a turn refused", use)
            return None
        if turn is not None and not turn.spend():
            self.counters.record_refused("budget")
            log.info("llm call %s refused: this message already used its model call", use)
            return None
        case_key = case_key or (turn.case_key if turn else None)
        import openai
        from langchain_core.messages import HumanMessage, SystemMessage

        try:
            system, user = self._messages(use, reply, values)
        except Exception:  # a template bug must not reach the buyer
            log.exception("llm prompt %s failed to render", use)
            self.counters.record_error("prompt")
            return None
        started = time.perf_counter()
        kind: str | None = None
        message: AIMessage | None = None
        try:
            async with asyncio.timeout(self.timeout_seconds):
                message = await self._invoke(reply, [SystemMessage(system), HumanMessage(user)])
        except TimeoutError:
            kind = "timeout"
        except openai.APITimeoutError:
            kind = "timeout"
        except openai.RateLimitError:
            kind = "rate_limited"
        except openai.InternalServerError:
            kind = "server_error"
        except openai.APIStatusError as exc:
            kind = "server_error" if exc.status_code >= 500 else "http_error"
        except openai.APIConnectionError:
            kind = "connection"
        except (
            json.JSONDecodeError,
            openai.APIResponseValidationError,
            ValueError,
            KeyError,
            TypeError,
        ):
            kind = "bad_response"
        except asyncio.CancelledError:
            raise
        except Exception:  # anything else from the client stack: never reach the buyer
            log.exception("llm call %s failed", use)
            kind = "unexpected"
        latency_ms = (time.perf_counter() - started) * 1000
        self.counters.record_call(use, latency_ms)
        if message is not None:
            self._count_tokens(message, system + user, case_key, use)
        if kind is not None or message is None:
            self.counters.record_error(kind or "unexpected")
            log.info("llm call %s fell back: %s after %.0f ms", use, kind, latency_ms)
            return None
        value, kind = self._read(message, reply)
        if value is None:
            self.counters.record_error(kind)
            log.info("llm call %s fell back: %s", use, kind)
            return None
        return Reply(value, system, self.marker)

    def _messages(
        self, use: str, reply: type[BaseModel], values: dict[str, Any]
    ) -> tuple[str, str]:
        hint = ""
        if self.structured == "json":
            hint = render(
                "_schema_hint", schema=json.dumps(reply.model_json_schema(), ensure_ascii=False)
            )
        system = render(f"{use}.system", marker=self.marker, schema_hint=hint, **values)
        user = render(f"{use}.user", **values)
        return system, user

    async def _invoke(self, reply: type[BaseModel], messages: Sequence[BaseMessage]) -> AIMessage:
        from langchain_core.messages import AIMessage
        from langchain_core.utils.function_calling import convert_to_openai_tool

        name = reply.__name__
        if self.structured == "tools":
            runnable: Any = self.chat.bind_tools([convert_to_openai_tool(reply)], tool_choice=name)
        elif self.structured == "json_schema":
            schema = {"name": name, "schema": reply.model_json_schema(), "strict": False}
            runnable = self.chat.bind(
                response_format={"type": "json_schema", "json_schema": schema}
            )
        else:
            runnable = self.chat.bind(response_format={"type": "json_object"})
        message = await runnable.ainvoke(list(messages))
        if not isinstance(message, AIMessage):  # pragma: no cover - ChatOpenAI returns AIMessage
            raise TypeError("not an assistant message")
        return message

    def _read(self, message: AIMessage, reply: type[R]) -> tuple[R | None, str]:
        """The validated reply from a message, or (None, error kind)."""
        candidates: list[Any] = [call["args"] for call in message.tool_calls]
        for bad in message.invalid_tool_calls:
            candidates.append(bad.get("args") or "")
        content = (
            message.content if isinstance(message.content, str) else json.dumps(message.content)
        )
        if content.strip():
            candidates.append(content)
        if not candidates:
            return None, "empty"
        kind = "malformed"
        for candidate in candidates:
            try:
                data = candidate if isinstance(candidate, dict) else json_from_text(str(candidate))
            except NotJSON:
                continue
            try:
                return reply.model_validate(data), ""
            except ValidationError:
                kind = "schema"
        return None, kind

    def _count_tokens(self, message: AIMessage, sent: str, case_key: str | None, use: str) -> None:
        usage = message.usage_metadata
        if usage and (usage.get("input_tokens") or usage.get("output_tokens")):
            tokens_in, tokens_out = usage.get("input_tokens", 0), usage.get("output_tokens", 0)
        else:
            said = (
                message.content if isinstance(message.content, str) else json.dumps(message.content)
            )
            said += "".join(
                json.dumps(call["args"], ensure_ascii=False) for call in message.tool_calls
            )
            tokens_in, tokens_out = estimate_tokens(sent), estimate_tokens(said)
        self.counters.record_tokens(tokens_in, tokens_out, case_key, use)

    # --- guardrails on free text ------------------------------------------------------

    def guard_text(
        self,
        text: str,
        reply: Reply[Any],
        *,
        sources: Iterable[str] = (),
        facts: Iterable[str] = (),
        allow_approval: bool = False,
    ) -> str | None:
        """The model's text with foreign links removed, or None when it leaks the prompt or
        states an amount, time or approval the sources do not back (each counted)."""
        if leaks_prompt(text, reply.system_prompt, marker=reply.marker):
            self.counters.record_guardrail("prompt_leak", dropped=True)
            log.warning("llm answer dropped: it repeats the system prompt")
            return None
        text, removed = strip_foreign_urls(text, self.allowed_domains)
        if removed:
            self.counters.record_guardrail("foreign_url", dropped=False)
            log.warning("llm answer: %d link(s) not on the allowlist removed", len(removed))
        claims = unbacked_claims(text, sources, facts=facts, allow_approval=allow_approval)
        if claims:
            self.counters.record_guardrail("unbacked_claim", dropped=True)
            log.warning("llm answer dropped: unbacked claims %s", claims)
            return None
        if not text.strip():
            self.counters.record_error("empty")
            return None
        self.counters.record_ok()
        return text.strip()

    def accept(self) -> None:
        """Count a structured reply that passed the use's own validation."""
        self.counters.record_ok()

    def reject(self, kind: str) -> None:
        """Count a structured reply the use's validation refused."""
        self.counters.record_error(kind)


def build_gateway(settings: Any, *, counters: LLMCounters | None = None) -> Gateway | None:
    """The gateway the settings describe, or None when LLM_BASE_URL is unset (no model)."""
    if not getattr(settings, "llm_base_url", None):
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    domains = [*settings.platform_domains, *settings.llm_allowed_domains]
    return Gateway(
        base_url=str(settings.llm_base_url),
        model=settings.llm_model,
        api_key=key,
        timeout_seconds=settings.llm_timeout_seconds,
        max_retries=settings.llm_max_retries,
        structured=settings.llm_structured,
        max_tokens=settings.llm_max_tokens,
        allowed_domains=domains,
        counters=counters,
    )
