"""Screenshots in the wizard: received, labelled, relabelled or removed; the checklist
follows each change."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import Message

from bot.domain.draft import OTHER_KIND, Draft
from bot.domain.vocab import EvidenceKind
from bot.telegram import keyboards, render
from bot.telegram.evidence import evidence_file
from bot.telegram.handlers.wizard.flow import Flow
from bot.telegram.states import Wizard

router = Router(name="wizard-evidence")


def kind_choices(required: list[EvidenceKind]) -> list[str]:
    """The checklist's kinds first, then the rest."""
    ordered = [kind.value for kind in required]
    return ordered + [kind.value for kind in EvidenceKind if kind.value not in ordered]


def _position(draft: Draft, seq: int) -> int:
    """The file's number as the buyer counts them (1, 2, …) among the files kept."""
    return next((i for i, item in enumerate(draft.evidence, 1) if item.seq == seq), 0)


@router.message(Wizard.evidence, F.photo | F.document)
async def got_evidence(message: Message, flow: Flow, bot: Bot) -> None:
    t, settings = flow.t, flow.settings
    draft = await flow.draft()
    file = await evidence_file(message, bot, t, settings)
    if file is None:
        return
    if draft.has_file(str(file["file_unique_id"])):
        await message.answer(t("evidence.duplicate"))
        return
    if len(draft.evidence) >= settings.max_evidence_files:
        await message.answer(
            t("error.evidence.too_many", max_files=settings.max_evidence_files),
            reply_markup=keyboards.evidence_done(t),
        )
        return
    item = draft.add_file(file)
    await flow.save(draft)
    await message.answer(
        t("evidence.received", n=len(draft.evidence), max_files=settings.max_evidence_files),
        reply_markup=keyboards.evidence_kinds(t, kind_choices(draft.required_evidence), item.seq),
    )


def _checked(flow: Flow, draft: Draft, first: str) -> str:
    t = flow.t
    return "\n".join(
        [
            first,
            "",
            render.checklist(t, draft.required_evidence, draft.evidence_kinds()),
            "",
            t("evidence.more_or_done"),
        ]
    )


async def label(flow: Flow, draft: Draft, value: str) -> None:
    """`<seq>-<kind>`: what one file shows; the message turns into the checklist."""
    seq_text, _, kind = value.partition("-")
    if not seq_text.isdigit() or (
        kind != OTHER_KIND and kind not in EvidenceKind.__members__.values()
    ):
        return
    seq = int(seq_text)
    item = draft.label_file(seq, None if kind == OTHER_KIND else EvidenceKind(kind))
    if item is None:  # removed meanwhile
        await flow.message.edit_reply_markup(reply_markup=None)
        return
    await flow.save(draft)
    first = flow.t("evidence.labelled", n=_position(draft, seq), kind=flow.t(f"evidence.{kind}"))
    await flow.message.edit_text(
        _checked(flow, draft, first), reply_markup=keyboards.evidence_file(flow.t, seq)
    )


async def relabel(flow: Flow, draft: Draft, value: str) -> None:
    if not value.isdigit() or draft.find_file(int(value)) is None:
        await flow.message.edit_reply_markup(reply_markup=None)
        return
    seq = int(value)
    await flow.message.edit_text(
        flow.t("draft.file_relabel", n=_position(draft, seq)),
        reply_markup=keyboards.evidence_kinds(flow.t, kind_choices(draft.required_evidence), seq),
    )


async def remove(flow: Flow, draft: Draft, value: str) -> None:
    if not value.isdigit():
        return
    seq = int(value)
    n = _position(draft, seq)
    if not draft.remove_file(seq):
        await flow.message.edit_reply_markup(reply_markup=None)
        return
    await flow.save(draft)
    await flow.message.edit_text(
        _checked(flow, draft, flow.t("draft.file_removed", n=n)),
        reply_markup=keyboards.evidence_done(flow.t),
    )
