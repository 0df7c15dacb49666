import pytest
from jinja2 import UndefinedError

from bot.domain.vocab import Cause
from bot.i18n import Translator
from bot.llm.prompts import render


def test_cause_prompt_lists_every_code_and_quotes_the_buyer() -> None:
    causes = [{"code": c.value, "zh": Translator("zh")(f"cause.{c.value}"), "en": Translator("en")(f"cause.{c.value}")} for c in Cause]
    text = render("classify_cause", description="卡密无效", causes=causes)
    assert all(f"- {c.value}:" in text for c in Cause)
    assert '"""卡密无效"""' in text


def test_missing_variable_is_an_error() -> None:
    with pytest.raises(UndefinedError):
        render("classify_cause", causes=[])
