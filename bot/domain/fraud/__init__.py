"""Refund-scam detection: text and links in, an explained verdict out.

Pure domain code: no Telegram, no network, no I/O while scanning (the data files in
`data/` are read once when a `Detector` is built).

    detector = Detector(FraudConfig(platform_domains=["example-kamen.com"]))
    verdict = detector.scan_text("您好我是淘宝客服，商品有质量问题给您双倍赔偿，请提供验证码")
    verdict.risk        # Risk.HIGH
    verdict.findings    # [Finding(check="text.scam_script", ...)]
    verdict.advice      # {"zh": ..., "en": ...}
"""

from .detector import Detector
from .models import Finding, FraudConfig, LinkRef, MessageInput, Risk, Verdict

__all__ = ["Detector", "Finding", "FraudConfig", "LinkRef", "MessageInput", "Risk", "Verdict"]
