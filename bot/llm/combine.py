"""How a model's guess joins the bot's own reading, so that a model can only add answers
the bot had none for, never change one it had:

- a typed wizard answer is parsed by the bot's parser first; the model is asked only when
  the parser refuses it, and its guess is shown to the buyer to confirm;
- a cause description goes to the keyword classifier first; the model only when it is unsure;
- a question the retriever is unsure about (close to its gate, not off-topic) is rewritten
  and retrieved again; the second retrieval only counts when it is confident and agrees
  with the first on the best section, so the best section shown never changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from bot.domain.intake import InputError, classify_cause
from bot.knowledge.gate import MIN_CONFIDENCE
from bot.llm.gateway import Gateway
from bot.llm.schemas import FieldStep
from bot.llm.uses import extract_field, rewrite_query


@dataclass(frozen=True)
class Reading:
    """A field value and where it came from; a model's reading needs the buyer's yes."""

    value: str
    source: Literal["parser", "keywords", "model"]
    confidence: float = 1.0

    @property
    def needs_confirmation(self) -> bool:
        return self.source == "model"


async def read_field(
    gateway: Gateway | None,
    step: FieldStep,
    text: str,
    parse: Callable[[str], object],
    allowed_causes: Sequence[str] = (),
    **context: Any,
) -> Reading | None:
    """The parser's value, else the model's validated guess, else None (ask again)."""
    try:
        value = parse(text)
    except InputError:
        value = None
    if value is not None:
        return Reading(value.isoformat() if hasattr(value, "isoformat") else str(value), "parser")
    guess = await extract_field(gateway, step, text, allowed_causes, **context)
    return Reading(guess.value, "model", guess.confidence) if guess else None


async def read_cause(
    gateway: Gateway | None, text: str, allowed_causes: Sequence[str], **context: Any
) -> Reading | None:
    """The keyword classifier's cause, else the model's (from `allowed_causes`), else None."""
    cause = classify_cause(text)
    if cause is not None and cause.value in allowed_causes:
        return Reading(cause.value, "keywords")
    guess = await extract_field(gateway, FieldStep.CAUSE, text, allowed_causes, **context)
    return Reading(guess.value, "model", guess.confidence) if guess else None


class KnowledgeLike(Protocol):
    def ask(self, question: str, lang: str | None = None) -> Any: ...


# The retriever's coverage score (0..1; it answers from 0.4) above which a question counts as
# "unsure" and gets a rewrite. A question a gate rule rules out (another business, a request
# the assistant does not serve) scores at most gate.RULED_OUT_MAX (0.2), so no rewrite lifts
# it; an off-topic question made of everyday words the texts also use can score up to 0.375
# here, and a rewrite of it is taken only when it lands confidently on the same section.
REWRITE_MIN_CONFIDENCE = 0.3
# From the gate's own threshold up, the texts cover the question's words and it was unsure
# because close sections compete (the reranker's probability, the calibration rule): a
# rewrite whose answer agrees with the same first section settles nothing, so none is asked.
REWRITE_MAX_CONFIDENCE = MIN_CONFIDENCE


async def ask_with_rewrite(
    gateway: Gateway | None, kb: KnowledgeLike, question: str, lang: str | None = None
) -> Any:
    """`kb.ask(question)`; when that is not confident because some of its words are not the
    texts' (a gate score from REWRITE_MIN_CONFIDENCE up to REWRITE_MAX_CONFIDENCE), ask again
    with the model's rewrite of the question and take the confident second answer if its
    best section is the first answer's best section. Returns the knowledge base's answer
    object."""
    first = kb.ask(question, lang)
    if first.confident or gateway is None or not first.sources:
        return first
    if getattr(first, "confidence", 0.0) < REWRITE_MIN_CONFIDENCE:
        return first  # off-topic rather than unsure: no rewrite may make it look answerable
    if getattr(first, "confidence", 0.0) >= REWRITE_MAX_CONFIDENCE:
        return first  # covered, but close neighbours compete: not the rewrite's to settle
    query = await rewrite_query(gateway, question)
    if query is None:
        return first
    second = kb.ask(query, lang)
    if second.confident and second.sources and second.sources[0].id == first.sources[0].id:
        return second
    return first
