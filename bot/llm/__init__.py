"""The optional language-model layer: one gateway, prompts from `prompts/`, typed uses with
validation and fallbacks, guardrails. Without LLM_BASE_URL nothing here calls a model.

    from bot.llm import build_gateway, turn, classify_intent
    gateway = build_gateway(settings)                      # None: no model
    with turn(f"{chat_id}:{update_id}", case_key=case_id):  # one model call per message
        intent = await classify_intent(gateway, text)      # None: do what the bot did before

See docs/llm.md.
"""

from bot.domain.pii import mask_pii
from bot.llm.budget import Turn, current_turn, turn
from bot.llm.counters import LLMCounters
from bot.llm.gateway import STRUCTURED_MODES, Gateway, build_gateway
from bot.llm.schemas import Answer, FieldGuess, FieldStep, Intent, IntentKind
from bot.llm.uses import (
    classify_intent,
    extract_field,
    grounded_answer,
    rewrite_query,
    summarise_case,
)

__all__ = [
    "STRUCTURED_MODES",
    "Answer",
    "FieldGuess",
    "FieldStep",
    "Gateway",
    "Intent",
    "IntentKind",
    "LLMCounters",
    "Turn",
    "build_gateway",
    "classify_intent",
    "current_turn",
    "extract_field",
    "grounded_answer",
    "mask_pii",
    "rewrite_query",
    "summarise_case",
    "turn",
]
