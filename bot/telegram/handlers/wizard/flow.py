"""One wizard turn: the draft, asking a step, the summary, submitting. The handlers in this
package are given a ready `Flow` (`inject.py`) and call it; nothing here is a handler."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from pydantic import ValidationError

from bot.config import Settings
from bot.domain.cases import CaseStatus
from bot.domain.draft import Draft, Step
from bot.domain.intake import InputError
from bot.domain.rules import Decision
from bot.domain.vocab import Cause, EvidenceKind, OrderStatus, PlatformType
from bot.i18n import Translator
from bot.knowledge import KnowledgeBase
from bot.llm import Gateway
from bot.llm.combine import Reading, read_cause, read_field
from bot.services.refunds import RefundService
from bot.services.scam import flag_draft_findings
from bot.telegram import keyboards, render
from bot.telegram.fraud import pending_evidence_findings
from bot.telegram.handlers.wizard import reading
from bot.telegram.questions import try_answer_question
from bot.telegram.states import STATE_OF, Wizard, step_name, step_of

log = logging.getLogger(__name__)
T = TypeVar("T")


def now() -> datetime:
    return datetime.now(UTC)


async def drop_keyboard(message: Message) -> None:
    """Remove the buttons of an answered prompt so they cannot be pressed again."""
    try:
        await message.edit_reply_markup(reply_markup=None)
    except Exception:  # noqa: BLE001 - the message may be too old to edit; nothing is lost
        log.debug("could not remove keyboard", exc_info=True)


def basis(kb: KnowledgeBase, result: Decision, lang: str) -> list[str]:
    """The titles of the rule sections a decision rests on (never their ids)."""
    titles = []
    for ref in result.policy_refs[:2]:
        section = kb.section(ref, lang)
        if section is not None and section.title not in titles:
            titles.append(section.title)
    return titles


@dataclass
class Flow:
    """The wizard seen from one update: where to answer, the buyer's state and the services."""

    message: Message
    state: FSMContext
    t: Translator
    settings: Settings
    refunds: RefundService
    kb: KnowledgeBase
    gateway: Gateway | None = None  # the language model, None without one
    # what heads the next prompt (the answer just taken, "✓ …", or the wizard's
    # introduction): one message instead of two
    lead: str | None = None

    # --- the draft ----------------------------------------------------------------------

    async def draft(self) -> Draft:
        """The stored draft; one that no longer reads (an older release's shape) starts
        empty rather than failing every answer."""
        try:
            return Draft.load((await self.state.get_data()).get("draft"))
        except ValidationError:
            log.warning("unreadable draft dropped", exc_info=True)
            return Draft()

    async def save(self, draft: Draft) -> None:
        await self.state.update_data(draft=draft.dump())

    async def current(self) -> Step | None:
        return step_of(await self.state.get_state())

    # --- a typed answer -----------------------------------------------------------------

    async def typed(self, parse: Callable[[str], T], error: str) -> T | None:
        """Parse a typed answer. A refused one may be a question: answered, and the step
        asked again; else the model's reading of it, shown to confirm (with a model);
        otherwise the reason is told (`error` is the locale key prefix)."""
        text = self.message.text or ""
        try:
            return parse(text)
        except InputError as exc:
            if await self.answered_question(text):
                return None
            if await self.offer_reading(text, parse):
                return None
            await self.message.answer(self.t(f"{error}.{exc.problem.value}", **self.values()))
            return None

    async def offer_reading(
        self, text: str, parse: Callable[[str], object] | None = None
    ) -> Reading | None:
        """Ask the model what a refused answer of the current step says; a reading is kept
        and shown with "yes" / "no" buttons, and used only after "yes". None (nothing
        shown) without a model or when it gives no valid reading."""
        if self.gateway is None:
            return None
        step = step_name(await self.state.get_state())
        field = reading.FIELD_OF.get(step)
        if field is None:
            return None
        context: dict[str, Any] = {
            "lang": self.t.lang,
            "order_pattern": self.settings.order_number_pattern,
            "max_amount": self.settings.max_amount,
            "now": now(),
            "tz": self.settings.tz,
        }
        if step == "cause_text":
            found = await read_cause(self.gateway, text, [c.value for c in Cause], **context)
        else:
            assert parse is not None
            found = await read_field(self.gateway, field, text, parse, **context)
        if found is None or not found.needs_confirmation:
            return None
        await self.state.update_data(reading.stored(step, found.value))
        await self.message.answer(
            reading.shown(self.t, self.settings, step, found.value),
            reply_markup=reading.keyboard(self.t, step),
        )
        return found

    async def answered_question(self, text: str, *, reask: bool = True) -> bool:
        """A confident answer to a question typed in the middle of the wizard, then (with
        `reask`) the current step again; False when the text is no such question."""
        if not text or not await try_answer_question(self.message, self.t, self.kb, text):
            return False
        if reask:
            await self.reask()
        return True

    def values(self) -> dict[str, str]:
        """The placeholders the wizard's error texts use."""
        return {
            "example": self.settings.order_number_example,
            "max": render.money(self.settings.max_amount),
        }

    # --- moving on ----------------------------------------------------------------------

    async def advance(self, draft: Draft, *, chosen: str | None = None) -> None:
        """After an answer: save it, then the first missing answer, the evidence or the
        summary (an edit from the summary goes back there). `chosen`, the answer as the
        buyer should see it taken, heads that next message."""
        if chosen is not None:
            self.lead = self.t("wizard.chosen", value=chosen)
        draft.editing = False
        await self.save(draft)
        await self.ask(draft.next_step(), draft)

    async def say(self, text: str, **kwargs: Any) -> Message:
        """A wizard message, headed by the answer just taken when there is one."""
        if self.lead is not None:
            text, self.lead = f"{self.lead}\n\n{text}", None
        return await self.message.answer(text, **kwargs)

    async def mark_answered(self, value: str) -> None:
        """A prompt answered with one of its buttons keeps its text with the answer under
        it, and loses its buttons: one edit (a message too old to edit gets the buttons
        removed, if possible, and the answer below)."""
        chosen = self.t("wizard.chosen", value=value)
        try:
            await self.message.edit_text(f"{self.message.html_text}\n\n{chosen}", reply_markup=None)
        except Exception:  # noqa: BLE001 - too old or gone: the answer is told anyway
            log.debug("could not edit the answered prompt", exc_info=True)
            await drop_keyboard(self.message)
            await self.message.answer(chosen)

    async def reask(self) -> None:
        """Ask the current step again (after a question, a warning, a stray message)."""
        current = await self.state.get_state()
        draft = await self.draft()
        if current == Wizard.prefilled.state:
            await self.show_prefilled(draft, draft.prefilled)
        elif current == Wizard.cause_text.state:
            await self.ask_cause_text()
        elif (step := step_of(current)) is not None:
            await self.ask(step, draft)

    def number(self, draft: Draft, step: Step) -> int:
        return draft.steps().index(step) + 1

    async def ask(self, step: Step, draft: Draft) -> None:
        """Send the prompt of `step` (with the current answer, when going back to it)."""
        t = self.t
        await self.state.set_state(STATE_OF[step])
        current = render.answer_of(t, draft, step, self.settings.tz)
        note = f"\n\n{t('draft.current', value=current)}" if current else ""
        if step is Step.ORDER_NUMBER:
            text = t("wizard.order_number", example=self.settings.order_number_example)
            await self.say(
                text + note, reply_markup=keyboards.step_nav(t, step.value, back=draft.editing)
            )
        elif step is Step.PLATFORM_TYPE:
            help_ = "\n".join(
                t(
                    "draft.help_item",
                    name=t(f"platform.{p.value}"),
                    help=t(f"platform_help.{p.value}"),
                )
                for p in PlatformType
            )
            await self.say(
                f"{t('wizard.platform_type')}\n\n{help_}{note}",
                reply_markup=keyboards.platform_types(t),
            )
        elif step is Step.ORDER_STATUS:
            help_ = "\n".join(
                t("draft.help_item", name=t(f"status.{s.value}"), help=t(f"status_help.{s.value}"))
                for s in OrderStatus
            )
            await self.say(
                f"{t('wizard.order_status')}\n\n{help_}{note}",
                reply_markup=keyboards.order_statuses(t),
            )
        elif step is Step.CAUSE:
            await self.say(t("wizard.cause") + note, reply_markup=keyboards.cause_groups(t))
        elif step is Step.PAYMENT_CHANNEL:
            await self.say(
                t("wizard.payment_channel") + note, reply_markup=keyboards.payment_channels(t)
            )
        elif step is Step.AMOUNT:
            text = t("wizard.amount", max=render.money(self.settings.max_amount))
            await self.say(text + note, reply_markup=keyboards.step_nav(t, step.value))
        elif step is Step.PAYMENT_TIME:
            await self.say(t("wizard.payment_time") + note, reply_markup=keyboards.payment_times(t))
        elif step is Step.COMPLETION_TIME:
            text = t("draft.completion_time", n=self.number(draft, step))
            await self.say(text + note, reply_markup=keyboards.completion_times(t))
        elif step is Step.EVIDENCE:
            await self.show_evidence_step(draft)
        else:
            await self.show_summary(draft)

    async def ask_cause_text(self) -> None:
        await self.state.set_state(Wizard.cause_text)
        await self.say(
            self.t("wizard.cause_text"), reply_markup=keyboards.step_nav(self.t, "cause_text")
        )

    # --- evidence -----------------------------------------------------------------------

    async def show_evidence_step(self, draft: Draft) -> None:
        """The preliminary decision (decided once for this step), then the checklist."""
        t = self.t
        result = self.refunds.decide(draft, now())
        draft.required_evidence = list(result.required_evidence)
        await self.save(draft)
        assert draft.amount is not None
        fee_button = keyboards.fee_not_disclosed(t) if result.fee_percent > 0 else None
        text = render.decision(t, result, draft.amount, basis(self.kb, result, t.lang))
        await self.say(text, reply_markup=fee_button)
        await self.say(self.evidence_prompt(draft), reply_markup=keyboards.evidence_done(t))

    def evidence_prompt(self, draft: Draft) -> str:
        t, settings = self.t, self.settings
        lines = [
            t(
                "draft.evidence",
                n=self.number(draft, Step.EVIDENCE),
                max_files=settings.max_evidence_files,
                max_mb=settings.max_evidence_mb,
            ),
            "",
            render.checklist(t, draft.required_evidence, draft.evidence_kinds()),
            "",
            t(
                "wizard.evidence_count",
                count=len(draft.evidence),
                max_files=settings.max_evidence_files,
            ),
        ]
        return "\n".join(lines)

    def missing_evidence(self, draft: Draft) -> list[EvidenceKind]:
        have = set(draft.evidence_kinds())
        return [kind for kind in draft.required_evidence if kind not in have]

    # --- the summary --------------------------------------------------------------------

    async def show_summary(self, draft: Draft) -> None:
        t = self.t
        await self.state.set_state(Wizard.summary)
        draft.editing = False
        result = self.refunds.decide(draft, now())
        draft.required_evidence = list(result.required_evidence)
        await self.save(draft)
        lines = [t("summary.title"), "", *render.answers(t, draft, self.settings.tz)]
        lines.append(t("field.evidence", count=len(draft.evidence)))
        if not draft.fee_disclosed:
            lines.append(t("decision.fee_waived"))
        lines += ["", t(f"outcome.{result.outcome.value}")]
        if (
            result.outcome in render.REFUNDS
            and result.refund_amount is not None
            and draft.amount is not None
        ):
            lines.append(
                t(
                    "decision.amount",
                    refund=render.money(result.refund_amount),
                    amount=render.money(draft.amount),
                )
            )
        if result.missing_evidence:
            lines += [
                "",
                t(
                    "summary.missing",
                    items=render.join(
                        t, [t(f"evidence.{k.value}") for k in result.missing_evidence]
                    ),
                ),
            ]
        lines += ["", t("summary.confirm_hint")]
        await self.say(
            "\n".join(lines),
            reply_markup=keyboards.summary(
                t, steps=[s for s in keyboards.EDIT_FIELDS if draft.applies(s)]
            ),
        )

    # --- one description, many answers --------------------------------------------------

    async def show_prefilled(self, draft: Draft, filled: list[Step]) -> None:
        """The answers found in one message, in one message, to confirm or correct."""
        t = self.t
        draft.prefilled = filled
        await self.save(draft)
        await self.state.set_state(Wizard.prefilled)
        lines = [t("draft.prefilled_title"), ""]
        for step in filled:
            # the cause by its name: the description it came from is the message just above
            value = (
                render.cause_label(t, draft.cause, None)
                if step is Step.CAUSE
                else render.answer_of(t, draft, step, self.settings.tz)
            )
            if value is not None:
                lines.append(
                    t(
                        "draft.prefilled_item",
                        field=t(f"edit.{step.value}").removeprefix("✎ "),
                        value=value,
                    )
                )
        missing = draft.missing()
        lines.append("")
        if missing:
            lines.append(
                t(
                    "draft.prefilled_missing",
                    items=render.join(
                        t, [t(f"edit.{s.value}").removeprefix("✎ ") for s in missing]
                    ),
                )
            )
        else:
            lines.append(t("draft.prefilled_complete"))
        lines.append(t("draft.prefilled_hint"))
        await self.say("\n".join(lines), reply_markup=keyboards.prefilled(t, filled))

    # --- leaving ------------------------------------------------------------------------

    async def cancel(self) -> None:
        await drop_keyboard(self.message)
        await self.state.clear()
        await self.message.answer(
            self.t("wizard.cancelled"), reply_markup=keyboards.main_menu(self.t)
        )

    async def submit(self, user_id: int) -> None:
        """Store the case (once per draft key) and tell what happens next, with dates."""
        t = self.t
        draft = await self.draft()
        if not draft.complete:
            await self.ask(draft.next_step(), draft)
            return
        moment = now()
        case, created = await self.refunds.submit(
            user_id=user_id, language=t.lang, draft=draft, now=moment
        )
        if created and case.id is not None:  # scams found in the draft's pictures
            found = await pending_evidence_findings(self.state)
            await flag_draft_findings(self.refunds.sessions, case_id=case.id, findings=found)
        await self.state.clear()
        await drop_keyboard(self.message)
        if not created:
            await self.message.answer(
                t("wizard.already_submitted", number=case.number),
                reply_markup=keyboards.main_menu(t),
            )
            return
        result = Decision.model_validate(case.decision)
        status = CaseStatus(case.status)
        lines = [t("submitted.title", number=case.number), "", t(f"outcome.{result.outcome.value}")]
        next_key = (
            f"next.{status.value}"
            if status in (CaseStatus.REJECTED, CaseStatus.CLOSED)
            else f"next.{result.route.value}"
        )
        lines += [
            "",
            t("submitted.next"),
            t(next_key, days=self.refunds.policy.windows.appeal_days),
        ]
        if result.deadlines or result.outcome in render.MONEY_MAY_MOVE:
            lines += ["", t("submitted.timeline")]
            lines += render.deadlines_from(t, result, moment, self.settings.tz)
            if result.outcome in render.MONEY_MAY_MOVE:
                lines.append(
                    f"  • {t('decision.arrival', arrival=render.arrival(t, result.expected_arrival))}"
                )
        if result.missing_evidence:
            lines += ["", t("submitted.missing_evidence")]
        lines += ["", t("submitted.track"), "", t("scam.reminder")]
        await self.message.answer("\n".join(lines), reply_markup=keyboards.main_menu(t))

    # --- made from a handler's injections -----------------------------------------------

    @classmethod
    def of(cls, message: Message, data: Mapping[str, Any]) -> Flow:
        """The flow of `message` from what the dispatcher injects into a handler: `state`,
        `t`, `settings`, `refunds`, `kb` and (with a language model) `gateway`."""
        return cls(
            message,
            data["state"],
            data["t"],
            data["settings"],
            data["refunds"],
            data["kb"],
            data.get("gateway"),
        )
