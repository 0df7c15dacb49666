"""Versioned callback data: the prefix carries a version so buttons of an older release are
recognised as stale instead of being misread."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class MenuAction(StrEnum):
    REFUND = "refund"
    CASES = "cases"
    ASK = "ask"
    CHECK = "check"
    HUMAN = "human"
    HOME = "home"
    RESUME = "resume"  # go on with an unfinished refund request
    RESTART = "restart"  # drop it and start a new one


class WizardAction(StrEnum):
    PICK = "pick"  # choose an option of the step
    GROUP = "group"  # open a group of causes
    BACK = "back"
    CANCEL = "cancel"
    EDIT = "edit"  # from the summary: change one answer
    DONE = "done"  # finish sending evidence
    KIND = "kind"  # label one evidence file
    CONFIRM = "confirm"
    TYPE = "type"  # "describe it myself"
    FEE = "fee"  # the fee was not disclosed when ordering
    RELABEL = "relabel"  # say again what one evidence file shows
    REMOVE = "remove"  # drop one evidence file
    ACCEPT = "accept"  # the answers found in one description are right


class CaseAction(StrEnum):
    LIST = "list"
    OPEN = "open"
    EVIDENCE = "evidence"
    APPEAL = "appeal"
    DONE = "done"
    KIND = "kind"


class FeedbackAction(StrEnum):
    HELPED = "helped"
    UNHELPFUL = "unhelpful"
    HUMAN = "human"
    REPORT = "report"
    DISMISS = "dismiss"


class MenuCb(CallbackData, prefix="m1"):
    action: MenuAction


class WizardCb(CallbackData, prefix="w1"):
    action: WizardAction
    step: str = ""
    value: str = ""


class CaseCb(CallbackData, prefix="c1"):
    action: CaseAction
    case_id: int = 0
    value: str = ""


class FeedbackCb(CallbackData, prefix="f1"):
    action: FeedbackAction
    ref: str = ""


class SupportAction(StrEnum):
    APPROVE = "approved"
    REJECT = "rejected"
    EVIDENCE = "needs_evidence"
    REFUNDED = "refunded"


class SupportCb(CallbackData, prefix="s1"):
    action: SupportAction
    case_id: int


class LanguageCb(CallbackData, prefix="l1"):
    lang: str
