"""The shared vocabulary of the domain: order states, causes, evidence kinds, outcomes.

Every other layer (rules, bot, storage, knowledge) speaks these codes. The codes are
stable strings: they are stored in the database, written in policy files and printed by
the command line tools.
"""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    UNPAID = "unpaid"
    PAID_UNDELIVERED = "paid_undelivered"
    DELIVERED = "delivered"
    REDEEMED = "redeemed"
    COMPLETED = "completed"


class PlatformType(StrEnum):
    OFFICIAL = "official"
    AGGREGATOR = "aggregator"
    PERSONAL_AGENT = "personal_agent"


class PaymentChannel(StrEnum):
    ALIPAY = "alipay"
    WECHAT = "wechat"
    BANK_CARD = "bank_card"
    BALANCE = "balance"


class CauseGroup(StrEnum):
    MERCHANT = "merchant"
    BUYER = "buyer"
    PAYMENT = "payment"
    PLATFORM = "platform"
    OTHER = "other"


class Cause(StrEnum):
    # merchant side
    OUT_OF_STOCK = "out_of_stock"
    DELIVERY_TIMEOUT = "delivery_timeout"
    MERCHANT_VIOLATION = "merchant_violation"
    INVALID_PRODUCT = "invalid_product"
    NOT_AS_DESCRIBED = "not_as_described"
    MERCHANT_ERROR = "merchant_error"
    # buyer side
    WRONG_PRODUCT = "wrong_product"
    WRONG_ACCOUNT = "wrong_account"
    CHANGED_MIND = "changed_mind"
    # payment
    DUPLICATE_CHARGE = "duplicate_charge"
    CHARGED_NO_ORDER = "charged_no_order"
    # platform
    PLATFORM_DELISTING = "platform_delisting"
    SYSTEM_FAULT = "system_fault"
    # anything else
    OTHER = "other"

    @property
    def group(self) -> CauseGroup:
        return CAUSE_GROUPS[self]


CAUSE_GROUPS: dict[Cause, CauseGroup] = {
    Cause.OUT_OF_STOCK: CauseGroup.MERCHANT,
    Cause.DELIVERY_TIMEOUT: CauseGroup.MERCHANT,
    Cause.MERCHANT_VIOLATION: CauseGroup.MERCHANT,
    Cause.INVALID_PRODUCT: CauseGroup.MERCHANT,
    Cause.NOT_AS_DESCRIBED: CauseGroup.MERCHANT,
    Cause.MERCHANT_ERROR: CauseGroup.MERCHANT,
    Cause.WRONG_PRODUCT: CauseGroup.BUYER,
    Cause.WRONG_ACCOUNT: CauseGroup.BUYER,
    Cause.CHANGED_MIND: CauseGroup.BUYER,
    Cause.DUPLICATE_CHARGE: CauseGroup.PAYMENT,
    Cause.CHARGED_NO_ORDER: CauseGroup.PAYMENT,
    Cause.PLATFORM_DELISTING: CauseGroup.PLATFORM,
    Cause.SYSTEM_FAULT: CauseGroup.PLATFORM,
    Cause.OTHER: CauseGroup.OTHER,
}


class EvidenceKind(StrEnum):
    PAYMENT_RECORD = "payment_record"
    ORDER_SCREENSHOT = "order_screenshot"
    ERROR_SCREENSHOT = "error_screenshot"
    LISTING_SCREENSHOT = "listing_screenshot"
    CHAT_RECORD = "chat_record"
    OFFICIAL_PROOF = "official_proof"


class Outcome(StrEnum):
    NOTHING_TO_REFUND = "nothing_to_refund"
    FULL_REFUND = "full_refund"
    PARTIAL_REFUND = "partial_refund"
    NO_REFUND = "no_refund"
    NEEDS_REVIEW = "needs_review"


class Liable(StrEnum):
    MERCHANT = "merchant"
    BUYER = "buyer"
    PLATFORM = "platform"
    PAYMENT = "payment"
    UNKNOWN = "unknown"


class Route(StrEnum):
    SELF_SERVICE = "self_service"
    MERCHANT_REVIEW = "merchant_review"
    PLATFORM_REVIEW = "platform_review"
    HUMAN_AGENT = "human_agent"
    NEGOTIATION = "negotiation"  # no review: the buyer may only ask the merchant's goodwill
