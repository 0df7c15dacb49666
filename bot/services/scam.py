"""The anti-scam service: the detector with the message catalog's texts, and pictures.

`build_detector()` gives the domain detector its buyer-facing texts from the locale
files (`fraud_advice.*` keys), so every text lives in one system. Pictures are scanned
by `bot.imagescan` (OCR and QR decoding, off the event loop).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.domain.fraud import Detector, FraudConfig
from bot.i18n import LANGUAGES, catalog


def fraud_texts() -> dict[str, Mapping[str, str]]:
    """language -> message catalog, for the detector's advice and explanations."""
    return {lang: catalog(lang) for lang in LANGUAGES}


def build_detector(
    *,
    allow_domains: Iterable[str] = (),
    platform_domains: Iterable[str] = (),
    protected_brands: Iterable[str] | None = None,
) -> Detector:
    config = FraudConfig(
        allow_domains=list(allow_domains),
        platform_domains=list(platform_domains),
        protected_brands=None if protected_brands is None else list(protected_brands),
    )
    return Detector(config, texts=fraud_texts())
