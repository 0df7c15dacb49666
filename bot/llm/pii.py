"""Mask phone and bank-card numbers before any text leaves for a model. Pure functions."""

from __future__ import annotations

import re

# digits may be grouped with spaces or dashes ("6222 0212 3456 7890 123", "138-1234-5678");
# a number glued to letters or other digits (order numbers like KM2026...) is left alone
_SEP = r"[ \-]?"
_CARD = re.compile(r"(?<![A-Za-z0-9])(?:\d" + _SEP + r"){15,18}\d(?![A-Za-z0-9])")
_PHONE = re.compile(
    r"(?<![A-Za-z0-9+])(?:(?:\+|00)?86"
    + _SEP
    + r")?1[3-9]\d"
    + _SEP
    + r"\d{4}"
    + _SEP
    + r"\d{4}(?![A-Za-z0-9])"
    r"|(?<![A-Za-z0-9])\+\d{1,3}" + _SEP + r"(?:\d" + _SEP + r"){6,13}\d(?![A-Za-z0-9])"
)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _keep_last4(match: re.Match[str], label: str) -> str:
    digits = re.sub(r"\D", "", match.group())
    return f"[{label} ****{digits[-4:]}]"


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    # 16-19 digits: bank cards (UnionPay numbers do not always pass Luhn, so a 19-digit run
    # starting with 62 counts too); other long digit runs are kept (timestamps, order ids)
    if _luhn_ok(digits) or (digits.startswith("62") and len(digits) in (16, 17, 18, 19)):
        return _keep_last4(match, "card")
    return match.group()


def mask_pii(text: str) -> str:
    """The text with bank-card and phone numbers replaced by `[card ****1234]` and
    `[phone ****5678]`; everything else unchanged."""
    text = _CARD.sub(_card, text)
    return _PHONE.sub(lambda m: _keep_last4(m, "phone"), text)
