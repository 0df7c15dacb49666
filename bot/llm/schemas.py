"""What a model may answer, one pydantic model per use, and what the uses return.

The `*Reply` models are the structured output asked of the model (sent as a function
signature or a JSON schema); the uses validate them further before returning the result
models below. Field descriptions are part of the schema the model sees.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class FieldStep(StrEnum):
    ORDER_NUMBER = "order_number"
    AMOUNT = "amount"
    PAYMENT_TIME = "payment_time"
    CAUSE = "cause"


class IntentKind(StrEnum):
    QUESTION = "question"
    WANTS_REFUND = "wants_refund"
    REPORTS_SCAM = "reports_scam"
    WANTS_PERSON = "wants_person"
    SMALL_TALK = "small_talk"


class _Reply(BaseModel):
    model_config = ConfigDict(extra="ignore")


class FieldReply(_Reply):
    """The value the buyer's text gives for the asked field."""

    found: bool = Field(description="true if the text contains a value for the field")
    value: str = Field(
        default="",
        max_length=80,
        description="the value, in the format asked for; empty if not found",
    )
    confidence: float = Field(ge=0, le=1, description="how sure you are, 0 to 1")


class IntentReply(_Reply):
    """What the buyer wants from this message."""

    intent: IntentKind
    confidence: float = Field(ge=0, le=1, description="how sure you are, 0 to 1")


class RewriteReply(_Reply):
    """The question in plain policy words."""

    query: str = Field(max_length=200, description="the rewritten search query")


class AnswerReply(_Reply):
    """An answer built only from the passages."""

    answer: str = Field(
        max_length=1200, description="the answer for the buyer; empty if the passages do not answer"
    )
    cited: list[str] = Field(
        default_factory=list, max_length=5, description="ids of the passages the answer uses"
    )


class ScamReply(_Reply):
    """A second opinion on a message the fraud checks are unsure about."""

    scam: bool = Field(
        description="true if the message tries to make the reader pay, hand over codes, data "
        "or goods, install something or move off the platform under some pretext"
    )
    technique: str = Field(
        default="none", max_length=40, description="one of the listed technique ids, or none"
    )
    confidence: float = Field(ge=0, le=1, description="how sure you are, 0 to 1")


class SummaryReply(_Reply):
    """A short case summary for a support operator."""

    summary: str = Field(max_length=800)


# --- results handed to the rest of the bot ----------------------------------------------


class FieldGuess(BaseModel):
    """A value the model read from a typed answer; the buyer confirms it before it is used."""

    model_config = ConfigDict(frozen=True)

    step: FieldStep
    value: str  # order number; amount "100.00"; payment time ISO 8601 with offset; cause code
    confidence: float


class Intent(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: IntentKind
    confidence: float


class Answer(BaseModel):
    """A grounded answer: its text and the retrieved section ids it cites."""

    model_config = ConfigDict(frozen=True)

    text: str
    cited: tuple[str, ...]


class ScamOpinion(BaseModel):
    """The model's validated second opinion on a message."""

    model_config = ConfigDict(frozen=True)

    scam: bool
    technique: str
    confidence: float
