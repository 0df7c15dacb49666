"""Masking personal numbers in free text a buyer typed, before it is stored.

`mask_pii(text)` hides mainland phone numbers and bank-card numbers (keeping the first three
and last four digits of a phone, the last four of a card; other numbers with a country code
keep their last four), so a cause or an appeal reason can be kept for review, or sent to a
language model, without the numbers a scammer would want. Order numbers (letters and digits
mixed, e.g. KM20261130000512) and amounts are left alone. Pure: no IO.
"""

from __future__ import annotations

import re

__all__ = ["mask_pii", "luhn_ok"]

_SEP = r"[ \-\u00a0]?"
# a mainland mobile number: optional +86 / 0086, then 1[3-9] and nine digits, in groups
_PHONE = re.compile(
    r"(?<![0-9A-Za-z])(?:(?:\+|00)86"
    + _SEP
    + r")?(1[3-9]\d)"
    + _SEP
    + r"(\d{4})"
    + _SEP
    + r"(\d{4})(?![0-9A-Za-z])"
)
# any other number written with a country code (+44 20 7946 0958): only the last four kept
_INTL_PHONE = re.compile(
    r"(?<![0-9A-Za-z+])\+(?!86)\d{1,3}" + _SEP + r"(?:\d" + _SEP + r"){6,13}\d(?![0-9A-Za-z])"
)
# 13 to 19 digits, optionally grouped by spaces or dashes, not glued to letters
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])\d(?:[ \-]?\d){12,18}(?![0-9A-Za-z])")
_CARD_PREFIXES = ("62", "4", "5", "3", "60", "9")


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum every bank card number carries."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _looks_like_card(digits: str) -> bool:
    if not 13 <= len(digits) <= 19:
        return False
    # UnionPay debit cards (62…, 16–19 digits) do not always carry a valid checksum
    if digits.startswith("62") and len(digits) >= 16:
        return True
    return digits.startswith(_CARD_PREFIXES) and luhn_ok(digits)


def _mask_card(match: re.Match[str]) -> str:
    raw = match.group(0)
    digits = re.sub(r"\D", "", raw)
    if not _looks_like_card(digits):
        return raw
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_pii(text: str) -> str:
    """`text` with phone and bank-card numbers masked; everything else unchanged."""
    if not text or not any(char.isdigit() for char in text):
        return text
    masked = _DIGIT_RUN.sub(_mask_card, text)
    masked = _INTL_PHONE.sub(lambda m: "****" + re.sub(r"\D", "", m.group(0))[-4:], masked)
    return _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", masked)
