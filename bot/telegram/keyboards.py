"""Keyboards as pure functions: (translator, data) -> InlineKeyboardMarkup, built with
`Builder` (the part of aiogram's InlineKeyboardBuilder used here, laid out the same way).

Those that depend only on the language and a few plain values (`per_locale`) are built
once per language and values and then handed out again: a keyboard is sent with nearly
every wizard step, and each button is a validated pydantic model. A keyboard handed out is
never changed afterwards (nothing here or in a caller changes one once it is built)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache, wraps
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.draft import Step
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
CallbackData = WizardCb | MenuCb | CaseCb | FeedbackCb | LanguageCb | SupportCb
MAX_WIDTH = 8  # buttons in a row, as aiogram's builder
KEPT_KEYBOARDS = 2048  # per keyboard function: languages x values


def _frozen(value: Any) -> Any:
    """A list, set or other iterable argument as a tuple (part of the cache key)."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        return value
    return tuple(value)


def per_locale(build: Callable[..., InlineKeyboardMarkup]) -> Callable[..., InlineKeyboardMarkup]:
    """`build(t, *values)` made once per language and values (a translator that is not the
    project's own, a test's stand-in, is asked every time)."""

    @lru_cache(maxsize=KEPT_KEYBOARDS)
    def built(lang: str, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> Any:
        return build(Translator(lang), *args, **dict(kwargs))

    @wraps(build)
    def keyboard(t: Translator, *args: Any, **kwargs: Any) -> InlineKeyboardMarkup:
        if type(t) is not Translator:
            return build(t, *args, **kwargs)
        frozen = tuple(sorted((name, _frozen(value)) for name, value in kwargs.items()))
        made: InlineKeyboardMarkup = built(t.lang, tuple(_frozen(a) for a in args), frozen)
        return made

    keyboard.cache_info = built.cache_info  # type: ignore[attr-defined]
    return keyboard


class Builder:
    """Buttons added one by one and laid out in rows, as aiogram's InlineKeyboardBuilder
    does (`button`, `row`, `adjust`, `as_markup`), without the deep copy of every button it
    makes on each call: a keyboard is built for nearly every wizard step."""

    def __init__(self) -> None:
        self._rows: Rows = []

    def button(self, *, text: str, callback_data: Any) -> Builder:
        """A button at the end of the last row, or in a new row when that one is full."""
        made = InlineKeyboardButton(text=text, callback_data=callback_data.pack())
        if self._rows and len(self._rows[-1]) < MAX_WIDTH:
            self._rows[-1].append(made)
        else:
            self._rows.append([made])
        return self

    def row(self, *buttons: InlineKeyboardButton) -> Builder:
        """The buttons as new rows of at most MAX_WIDTH."""
        self._rows.extend(
            list(buttons[i : i + MAX_WIDTH]) for i in range(0, len(buttons), MAX_WIDTH)
        )
        return self

    def adjust(self, *sizes: int) -> Builder:
        """Every button so far laid out again in rows of these sizes; the last size is used
        for the rest."""
        flat = [button for row in self._rows for button in row]
        sizes = sizes or (MAX_WIDTH,)
        rows: Rows = []
        start = 0
        while start < len(flat):
            size = sizes[min(len(rows), len(sizes) - 1)]
            rows.append(flat[start : start + size])
            start += size
        self._rows = rows
        return self

    def as_markup(self) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(inline_keyboard=self._rows)  # validation copies the rows


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _pairs(buttons: Sequence[InlineKeyboardButton], per_row: int = 2) -> Rows:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


@per_locale
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
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(t(key), MenuCb(action=action))] for action, key in items]
    )


@per_locale
def resume_or_restart(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("menu.resume"), MenuCb(action=MenuAction.RESUME))],
            [_button(t("menu.restart"), MenuCb(action=MenuAction.RESTART))],
        ]
    )


@per_locale
def home_button(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(t("btn.home"), MenuCb(action=MenuAction.HOME))]]
    )


@lru_cache(maxsize=1)
def languages() -> InlineKeyboardMarkup:
    """Each language named in itself."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(Translator(lang)("language.name"), LanguageCb(lang=lang))
                for lang in LANGUAGES
            ]
        ]
    )


def _nav(t: Translator, step: str, back: bool = True) -> list[InlineKeyboardButton]:
    row = []
    if back:
        row.append(_button(t("btn.back"), WizardCb(action=WizardAction.BACK, step=step)))
    row.append(_button(t("btn.cancel"), WizardCb(action=WizardAction.CANCEL, step=step)))
    return row


def _finish(
    builder: Builder, t: Translator, step: str, *, width: int = 1, back: bool = True
) -> InlineKeyboardMarkup:
    builder.adjust(width)
    builder.row(*_nav(t, step, back))
    return builder.as_markup()


def _choices(
    builder: Builder, t: Translator, step: str, prefix: str, values: Iterable[str]
) -> None:
    for value in values:
        builder.button(
            text=t(f"{prefix}.{value}"),
            callback_data=WizardCb(action=WizardAction.PICK, step=step, value=value),
        )


@per_locale
def step_nav(t: Translator, step: str, *, back: bool = True) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[_nav(t, step, back)])


@per_locale
def platform_types(t: Translator) -> InlineKeyboardMarkup:
    builder = Builder()
    _choices(builder, t, "platform_type", "platform", [p.value for p in PlatformType])
    return _finish(builder, t, "platform_type")


@per_locale
def order_statuses(t: Translator) -> InlineKeyboardMarkup:
    builder = Builder()
    _choices(builder, t, "order_status", "status", [s.value for s in OrderStatus])
    return _finish(builder, t, "order_status")


@per_locale
def cause_groups(t: Translator) -> InlineKeyboardMarkup:
    builder = Builder()
    for group in CauseGroup:
        if group is not CauseGroup.OTHER:
            builder.button(
                text=t(f"cause_group.{group.value}"),
                callback_data=WizardCb(action=WizardAction.GROUP, step="cause", value=group.value),
            )
    builder.button(
        text=t("cause.other"),
        callback_data=WizardCb(action=WizardAction.PICK, step="cause", value=Cause.OTHER.value),
    )
    builder.button(
        text=t("btn.describe"), callback_data=WizardCb(action=WizardAction.TYPE, step="cause")
    )
    return _finish(builder, t, "cause")


@per_locale
def causes_in_group(t: Translator, group: CauseGroup) -> InlineKeyboardMarkup:
    builder = Builder()
    _choices(builder, t, "cause", "cause", [c.value for c, g in CAUSE_GROUPS.items() if g is group])
    builder.button(
        text=t("btn.other_groups"),
        callback_data=WizardCb(action=WizardAction.GROUP, step="cause", value=""),
    )
    return _finish(builder, t, "cause")


@per_locale
def confirm_cause(t: Translator, cause: Cause) -> InlineKeyboardMarkup:
    builder = Builder()
    builder.button(
        text=t("btn.yes_cause", cause=t(f"cause.{cause.value}")),
        callback_data=WizardCb(action=WizardAction.PICK, step="cause", value=cause.value),
    )
    builder.button(
        text=t("btn.choose_list"),
        callback_data=WizardCb(action=WizardAction.GROUP, step="cause", value=""),
    )
    return _finish(builder, t, "cause_text")


@per_locale
def payment_channels(t: Translator) -> InlineKeyboardMarkup:
    builder = Builder()
    _choices(builder, t, "payment_channel", "channel", [c.value for c in PaymentChannel])
    return _finish(builder, t, "payment_channel", width=2)


@per_locale
def payment_times(t: Translator) -> InlineKeyboardMarkup:
    builder = Builder()
    _choices(builder, t, "payment_time", "quick_time", list(QUICK_TIMES))
    return _finish(builder, t, "payment_time", width=2)


@per_locale
def fee_not_disclosed(t: Translator) -> InlineKeyboardMarkup:
    builder = Builder()
    builder.button(
        text=t("btn.fee_not_disclosed"),
        callback_data=WizardCb(action=WizardAction.FEE, step="evidence"),
    )
    return builder.as_markup()


@per_locale
def completion_times(t: Translator) -> InlineKeyboardMarkup:
    builder = Builder()
    _choices(builder, t, "completion_time", "quick_completion", list(QUICK_COMPLETION))
    return _finish(builder, t, "completion_time", width=2)


@per_locale
def evidence_done(t: Translator) -> InlineKeyboardMarkup:
    builder = Builder()
    builder.button(
        text=t("btn.evidence_done"),
        callback_data=WizardCb(action=WizardAction.DONE, step="evidence"),
    )
    return _finish(builder, t, "evidence")


@per_locale
def evidence_kinds(
    t: Translator, kinds: Sequence[str], file_index: int, *, case_id: int | None = None
) -> InlineKeyboardMarkup:
    """Buttons to say what one file shows (`file_index`: the wizard file's number, or the
    index in a stored case's upload); `case_id` when adding to a stored case."""
    builder = Builder()
    for kind in (*kinds, "other"):
        value = f"{file_index}-{kind}"
        data: WizardCb | CaseCb = (
            WizardCb(action=WizardAction.KIND, step="evidence", value=value)
            if case_id is None
            else CaseCb(action=CaseAction.KIND, case_id=case_id, value=value)
        )
        builder.button(text=t(f"evidence.{kind}"), callback_data=data)
    if case_id is None:
        builder.button(
            text=t("draft.btn_remove_file"),
            callback_data=WizardCb(
                action=WizardAction.REMOVE, step="evidence", value=str(file_index)
            ),
        )
    builder.adjust(2)
    return builder.as_markup()


@per_locale
def evidence_file(t: Translator, seq: int) -> InlineKeyboardMarkup:
    """Under a labelled wizard file: change its label or remove it, or finish."""
    builder = Builder()
    builder.button(
        text=t("draft.btn_relabel_file"),
        callback_data=WizardCb(action=WizardAction.RELABEL, step="evidence", value=str(seq)),
    )
    builder.button(
        text=t("draft.btn_remove_file"),
        callback_data=WizardCb(action=WizardAction.REMOVE, step="evidence", value=str(seq)),
    )
    builder.button(
        text=t("btn.evidence_done"),
        callback_data=WizardCb(action=WizardAction.DONE, step="evidence"),
    )
    builder.adjust(2, 1)
    builder.row(*_nav(t, "evidence"))
    return builder.as_markup()


EDIT_FIELDS: tuple[Step, ...] = (
    Step.ORDER_NUMBER,
    Step.PLATFORM_TYPE,
    Step.ORDER_STATUS,
    Step.CAUSE,
    Step.PAYMENT_CHANNEL,
    Step.AMOUNT,
    Step.PAYMENT_TIME,
    Step.COMPLETION_TIME,
    Step.EVIDENCE,
)


@per_locale
def summary(t: Translator, *, steps: Iterable[Step] = EDIT_FIELDS) -> InlineKeyboardMarkup:
    """The summary: one button per answer to change it, then Submit."""
    chosen = set(steps)
    builder = Builder()
    for step in EDIT_FIELDS:
        if step in chosen:
            builder.button(
                text=t(f"edit.{step.value}"),
                callback_data=WizardCb(action=WizardAction.EDIT, step="summary", value=step.value),
            )
    builder.adjust(2)
    builder.row(_button(t("btn.confirm"), WizardCb(action=WizardAction.CONFIRM, step="summary")))
    builder.row(*_nav(t, "summary"))
    return builder.as_markup()


@per_locale
def prefilled(t: Translator, steps: Iterable[Step]) -> InlineKeyboardMarkup:
    """The answers found in one description: "that's right", or change one of them."""
    builder = Builder()
    builder.row(
        _button(t("draft.btn_prefilled_ok"), WizardCb(action=WizardAction.ACCEPT, step="prefilled"))
    )
    edits = [
        _button(
            t(f"edit.{step.value}"),
            WizardCb(action=WizardAction.EDIT, step="prefilled", value=step.value),
        )
        for step in steps
    ]
    for pair in _pairs(edits):
        builder.row(*pair)
    builder.row(*_nav(t, "prefilled", back=False))
    return builder.as_markup()


def case_list(t: Translator, cases: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    rows = [
        [_button(label, CaseCb(action=CaseAction.OPEN, case_id=case_id))]
        for case_id, label in cases
    ]
    rows.append([_button(t("btn.home"), MenuCb(action=MenuAction.HOME))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def case_detail(
    t: Translator, case_id: int, *, can_add_evidence: bool, can_appeal: bool
) -> InlineKeyboardMarkup:
    rows = []
    if can_add_evidence:
        rows.append(
            [_button(t("btn.add_evidence"), CaseCb(action=CaseAction.EVIDENCE, case_id=case_id))]
        )
    if can_appeal:
        rows.append([_button(t("btn.appeal"), CaseCb(action=CaseAction.APPEAL, case_id=case_id))])
    rows.append([_button(t("btn.case_list"), CaseCb(action=CaseAction.LIST))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def case_flow_done(t: Translator, case_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("btn.evidence_done"), CaseCb(action=CaseAction.DONE, case_id=case_id))]
        ]
    )


def case_flow_cancel(t: Translator, case_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("btn.cancel"), CaseCb(action=CaseAction.OPEN, case_id=case_id))]
        ]
    )


def answer_feedback(t: Translator, ref: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(t("btn.helped"), FeedbackCb(action=FeedbackAction.HELPED, ref=ref)),
                _button(
                    t("knowledge.btn_unhelpful"),
                    FeedbackCb(action=FeedbackAction.UNHELPFUL, ref=ref),
                ),
            ],
            [_button(t("btn.human"), FeedbackCb(action=FeedbackAction.HUMAN, ref=ref))],
        ]
    )


@per_locale
def human_only(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(t("btn.human"), FeedbackCb(action=FeedbackAction.HUMAN))]]
    )


def support_card(t: Translator, case_id: int) -> InlineKeyboardMarkup:
    """The support team's buttons on a case card (status changes, told to the buyer)."""
    actions = [
        SupportAction.APPROVE,
        SupportAction.REJECT,
        SupportAction.EVIDENCE,
        SupportAction.REFUNDED,
    ]
    buttons = [
        _button(t(f"support.action.{a.value}"), SupportCb(action=a, case_id=case_id))
        for a in actions
    ]
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
