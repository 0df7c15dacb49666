"""Keyboards as pure functions: (translator, data) -> InlineKeyboardMarkup."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.intake import QUICK_COMPLETION, QUICK_TIMES
from bot.domain.vocab import (
    CAUSE_GROUPS,
    Cause,
    CauseGroup,
    OrderStatus,
    PaymentChannel,
    PlatformType,
)
from bot.i18n import LANGUAGES, Translator
from bot.telegram.callbacks import (
    CaseAction,
    CaseCb,
    FeedbackAction,
    FeedbackCb,
    LanguageCb,
    MenuAction,
    MenuCb,
    SupportAction,
    SupportCb,
    WizardAction,
    WizardCb,
)

Rows = list[list[InlineKeyboardButton]]


def _button(text: str, data: WizardCb | MenuCb | CaseCb | FeedbackCb | LanguageCb | SupportCb) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _pairs(buttons: Sequence[InlineKeyboardButton], per_row: int = 2) -> Rows:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def main_menu(t: Translator, *, resume: bool = False) -> InlineKeyboardMarkup:
    """The menu; `resume` adds a first button to go on with an unfinished request."""
    items = [(MenuAction.RESUME, "menu.resume")] if resume else []
    items += [
        (MenuAction.REFUND, "menu.refund"),
        (MenuAction.CASES, "menu.cases"),
        (MenuAction.ASK, "menu.ask"),
        (MenuAction.CHECK, "menu.check"),
        (MenuAction.HUMAN, "menu.human"),
    ]
    return InlineKeyboardMarkup(inline_keyboard=[[_button(t(key), MenuCb(action=action))] for action, key in items])


def resume_or_restart(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("menu.resume"), MenuCb(action=MenuAction.RESUME))],
            [_button(t("menu.restart"), MenuCb(action=MenuAction.RESTART))],
        ]
    )


def home_button(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(t("btn.home"), MenuCb(action=MenuAction.HOME))]])


def languages() -> InlineKeyboardMarkup:
    """Each language named in itself."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(Translator(lang)("language.name"), LanguageCb(lang=lang)) for lang in LANGUAGES]]
    )


def _nav(t: Translator, step: str, back: bool = True) -> list[InlineKeyboardButton]:
    row = []
    if back:
        row.append(_button(t("btn.back"), WizardCb(action=WizardAction.BACK, step=step)))
    row.append(_button(t("btn.cancel"), WizardCb(action=WizardAction.CANCEL, step=step)))
    return row


def _choices(t: Translator, step: str, prefix: str, values: Iterable[str], per_row: int = 2) -> Rows:
    buttons = [_button(t(f"{prefix}.{value}"), WizardCb(action=WizardAction.PICK, step=step, value=value)) for value in values]
    return _pairs(buttons, per_row)


def step_nav(t: Translator, step: str, *, back: bool = True) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[_nav(t, step, back)])


def platform_types(t: Translator) -> InlineKeyboardMarkup:
    rows = _choices(t, "platform_type", "platform", [p.value for p in PlatformType], per_row=1)
    return InlineKeyboardMarkup(inline_keyboard=[*rows, _nav(t, "platform_type")])


def order_statuses(t: Translator) -> InlineKeyboardMarkup:
    rows = _choices(t, "order_status", "status", [s.value for s in OrderStatus], per_row=1)
    return InlineKeyboardMarkup(inline_keyboard=[*rows, _nav(t, "order_status")])


def cause_groups(t: Translator) -> InlineKeyboardMarkup:
    groups = [g for g in CauseGroup if g is not CauseGroup.OTHER]
    rows = [[_button(t(f"cause_group.{g.value}"), WizardCb(action=WizardAction.GROUP, step="cause", value=g.value))] for g in groups]
    rows.append([_button(t("cause.other"), WizardCb(action=WizardAction.PICK, step="cause", value=Cause.OTHER.value))])
    rows.append([_button(t("btn.describe"), WizardCb(action=WizardAction.TYPE, step="cause"))])
    return InlineKeyboardMarkup(inline_keyboard=[*rows, _nav(t, "cause")])


def causes_in_group(t: Translator, group: CauseGroup) -> InlineKeyboardMarkup:
    causes = [c.value for c, g in CAUSE_GROUPS.items() if g is group]
    rows = _choices(t, "cause", "cause", causes, per_row=1)
    rows.append([_button(t("btn.other_groups"), WizardCb(action=WizardAction.GROUP, step="cause", value=""))])
    return InlineKeyboardMarkup(inline_keyboard=[*rows, _nav(t, "cause")])


def confirm_cause(t: Translator, cause: Cause) -> InlineKeyboardMarkup:
    rows = [
        [_button(t("btn.yes_cause", cause=t(f"cause.{cause.value}")), WizardCb(action=WizardAction.PICK, step="cause", value=cause.value))],
        [_button(t("btn.choose_list"), WizardCb(action=WizardAction.GROUP, step="cause", value=""))],
    ]
    return InlineKeyboardMarkup(inline_keyboard=[*rows, _nav(t, "cause_text")])


def payment_channels(t: Translator) -> InlineKeyboardMarkup:
    rows = _choices(t, "payment_channel", "channel", [c.value for c in PaymentChannel])
    return InlineKeyboardMarkup(inline_keyboard=[*rows, _nav(t, "payment_channel")])


def payment_times(t: Translator) -> InlineKeyboardMarkup:
    rows = _choices(t, "payment_time", "quick_time", list(QUICK_TIMES))
    return InlineKeyboardMarkup(inline_keyboard=[*rows, _nav(t, "payment_time")])


def fee_not_disclosed(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(t("btn.fee_not_disclosed"), WizardCb(action=WizardAction.FEE, step="evidence"))]])


def completion_times(t: Translator) -> InlineKeyboardMarkup:
    rows = _choices(t, "completion_time", "quick_completion", list(QUICK_COMPLETION))
    return InlineKeyboardMarkup(inline_keyboard=[*rows, _nav(t, "completion_time")])


def evidence_done(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(t("btn.evidence_done"), WizardCb(action=WizardAction.DONE, step="evidence"))], _nav(t, "evidence")]
    )


def evidence_kinds(t: Translator, kinds: Sequence[str], file_index: int, *, case_id: int | None = None) -> InlineKeyboardMarkup:
    """Buttons to say what one file shows; `case_id` when adding to a stored case."""
    buttons = []
    for kind in (*kinds, "other"):
        label = t(f"evidence.{kind}")
        value = f"{file_index}-{kind}"
        if case_id is None:
            buttons.append(_button(label, WizardCb(action=WizardAction.KIND, step="evidence", value=value)))
        else:
            buttons.append(_button(label, CaseCb(action=CaseAction.KIND, case_id=case_id, value=value)))
    return InlineKeyboardMarkup(inline_keyboard=_pairs(buttons))


def summary(t: Translator, *, completion: bool = False) -> InlineKeyboardMarkup:
    fields = ["order_number", "platform_type", "order_status", "cause", "payment_channel", "amount", "payment_time"]
    fields += ["completion_time", "evidence"] if completion else ["evidence"]
    edits = [_button(t(f"edit.{f}"), WizardCb(action=WizardAction.EDIT, step="summary", value=f)) for f in fields]
    rows = _pairs(edits)
    rows.append([_button(t("btn.confirm"), WizardCb(action=WizardAction.CONFIRM, step="summary"))])
    return InlineKeyboardMarkup(inline_keyboard=[*rows, _nav(t, "summary")])


def case_list(t: Translator, cases: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    rows = [[_button(label, CaseCb(action=CaseAction.OPEN, case_id=case_id))] for case_id, label in cases]
    rows.append([_button(t("btn.home"), MenuCb(action=MenuAction.HOME))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def case_detail(t: Translator, case_id: int, *, can_add_evidence: bool, can_appeal: bool) -> InlineKeyboardMarkup:
    rows = []
    if can_add_evidence:
        rows.append([_button(t("btn.add_evidence"), CaseCb(action=CaseAction.EVIDENCE, case_id=case_id))])
    if can_appeal:
        rows.append([_button(t("btn.appeal"), CaseCb(action=CaseAction.APPEAL, case_id=case_id))])
    rows.append([_button(t("btn.case_list"), CaseCb(action=CaseAction.LIST))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def case_flow_done(t: Translator, case_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(t("btn.evidence_done"), CaseCb(action=CaseAction.DONE, case_id=case_id))]]
    )


def case_flow_cancel(t: Translator, case_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(t("btn.cancel"), CaseCb(action=CaseAction.OPEN, case_id=case_id))]])


def answer_feedback(t: Translator, ref: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(t("btn.helped"), FeedbackCb(action=FeedbackAction.HELPED, ref=ref)),
                _button(t("knowledge.btn_unhelpful"), FeedbackCb(action=FeedbackAction.UNHELPFUL, ref=ref)),
            ],
            [_button(t("btn.human"), FeedbackCb(action=FeedbackAction.HUMAN, ref=ref))],
        ]
    )


def human_only(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(t("btn.human"), FeedbackCb(action=FeedbackAction.HUMAN))]])


def support_card(t: Translator, case_id: int) -> InlineKeyboardMarkup:
    """The support team's buttons on a case card (status changes, told to the buyer)."""
    actions = [SupportAction.APPROVE, SupportAction.REJECT, SupportAction.EVIDENCE, SupportAction.REFUNDED]
    buttons = [_button(t(f"support.action.{a.value}"), SupportCb(action=a, case_id=case_id)) for a in actions]
    return InlineKeyboardMarkup(inline_keyboard=_pairs(buttons))


def scam_warning(t: Translator, ref: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(t("btn.report"), FeedbackCb(action=FeedbackAction.REPORT, ref=ref)),
                _button(t("btn.dismiss"), FeedbackCb(action=FeedbackAction.DISMISS, ref=ref)),
            ]
        ]
    )
