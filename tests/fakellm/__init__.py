"""An OpenAI-compatible chat server for tests: scripted answers, every fault, a record of
what was sent. See server.py."""

from tests.fakellm.server import (
    FakeLLM,
    Fault,
    Reply,
    Text,
    by_use,
    obedient,
    random_answers,
    request_use,
    scripted,
)

__all__ = [
    "FakeLLM",
    "Fault",
    "Reply",
    "Text",
    "by_use",
    "obedient",
    "random_answers",
    "request_use",
    "scripted",
]
