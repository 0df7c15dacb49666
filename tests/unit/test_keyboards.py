"""Keyboards are pure functions; Telegram caps callback data at 64 bytes."""

import pytest
from aiogram.types import InlineKeyboardMarkup

from bot.domain.vocab import Cause, CauseGroup, EvidenceKind
from bot.i18n import LANGUAGES, Translator
from bot.telegram import keyboards
from bot.telegram.callbacks import WizardCb


def all_keyboards(t: Translator) -> list[InlineKeyboardMarkup]:
    kinds = [k.value for k in EvidenceKind]
    return [
        keyboards.main_menu(t),
        keyboards.home_button(t),
        keyboards.languages(),
        keyboards.step_nav(t, "order_number"),
        keyboards.platform_types(t),
        keyboards.order_statuses(t),
        keyboards.cause_groups(t),
        *[keyboards.causes_in_group(t, g) for g in CauseGroup if g is not CauseGroup.OTHER],
        *[keyboards.confirm_cause(t, c) for c in Cause],
        keyboards.payment_channels(t),
        keyboards.payment_times(t),
        keyboards.evidence_done(t),
        keyboards.evidence_kinds(t, kinds, 9),
        keyboards.evidence_kinds(t, kinds, 19, case_id=2**31),
        keyboards.summary(t),
        keyboards.evidence_file(t, 99),
        keyboards.prefilled(t, list(keyboards.EDIT_FIELDS)),
        keyboards.case_list(t, [(2**31, "RF-20261121-7K3Q · x")] * 20),
        keyboards.case_detail(t, 2**31, can_add_evidence=True, can_appeal=True),
        keyboards.case_flow_done(t, 1),
        keyboards.case_flow_cancel(t, 1),
        keyboards.answer_feedback(t, "x" * 40),
        keyboards.human_only(t),
        keyboards.scam_warning(t, "x" * 40),
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_callback_data_fits_telegram(lang: str) -> None:
    for markup in all_keyboards(Translator(lang)):
        for row in markup.inline_keyboard:
            for button in row:
                assert button.text
                assert button.callback_data is not None
                assert len(button.callback_data.encode()) <= 64, button.callback_data


def test_every_cause_reachable_from_groups() -> None:
    t = Translator("zh")
    reachable: set[str] = set()
    for markup in [
        keyboards.cause_groups(t),
        *[keyboards.causes_in_group(t, g) for g in CauseGroup if g is not CauseGroup.OTHER],
    ]:
        for row in markup.inline_keyboard:
            for button in row:
                data = WizardCb.unpack(button.callback_data or "")
                if data.action == "pick":
                    reachable.add(data.value)
    assert reachable == {c.value for c in Cause}


def test_wizard_steps_have_back_and_cancel() -> None:
    t = Translator("en")
    for markup in (
        keyboards.platform_types(t),
        keyboards.order_statuses(t),
        keyboards.payment_channels(t),
        keyboards.summary(t),
    ):
        last = [WizardCb.unpack(b.callback_data or "").action for b in markup.inline_keyboard[-1]]
        assert last == ["back", "cancel"]


def test_a_keyboard_is_built_once_per_language_and_values() -> None:
    """The wizard's keyboards are made once per language and values, then handed out again;
    another language or other values make another, and a stand-in translator is asked anew."""
    zh, en = Translator("zh"), Translator("en")
    first = keyboards.platform_types(zh)
    assert keyboards.platform_types(Translator("zh")) is first
    assert keyboards.platform_types(en) is not first
    assert keyboards.platform_types(en).inline_keyboard[0][0].text == en("platform.official")
    kinds = [k.value for k in EvidenceKind]
    assert keyboards.evidence_kinds(zh, kinds, 3) is keyboards.evidence_kinds(zh, tuple(kinds), 3)
    assert keyboards.evidence_kinds(zh, kinds, 3) is not keyboards.evidence_kinds(zh, kinds, 4)
    assert keyboards.step_nav(zh, "amount", back=False) is not keyboards.step_nav(zh, "amount")
    steps = [s for s in keyboards.EDIT_FIELDS if s is not keyboards.EDIT_FIELDS[-2]]
    assert keyboards.summary(zh, steps=steps) is keyboards.summary(zh, steps=iter(steps))

    class Loud(Translator):
        def __call__(self, key: str, /, **values: object) -> str:
            return super().__call__(key, **values).upper()

    shouted = keyboards.platform_types(Loud("en"))
    assert shouted.inline_keyboard[0][0].text == en("platform.official").upper()
    assert keyboards.platform_types(Loud("en")) is not shouted
