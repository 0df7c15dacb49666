"""An OpenAI-compatible chat server for tests: scripted answers, every fault, a record of
what was sent. See server.py."""

from tests.fakellm.server import FakeLLM, Fault, Reply, Text, obedient, random_answers, scripted

__all__ = ["FakeLLM", "Fault", "Reply", "Text", "obedient", "random_answers", "scripted"]
