"""The techniques behind the misses and false alarms of batch 13, each with new instances
(never the batch's own texts) and the hard negatives that look like them.

Every scam is checked twice: the shipped detector flags it (medium or more) and the rules
alone name the technique, so a rule that stops working fails here even when the
classifier still catches the text."""

from __future__ import annotations

from bot.domain.fraud import Detector, Risk


def test_the_classifier_alone_on_a_known_site_stays_low(
    rules: Detector, detector: Detector
) -> None:
    # a text that sends the reader only to a known site and asks nothing the rules know: the
    # classifier reads "log in at <link>" as phishing, but the way it points to is official
    for text in (
        "Check your Steam wallet balance at store.steampowered.com/account, just log in as usual",
        "You can see your Apple gift card balance at apple.com/shop/gift-cards, sign in with"
        " your Apple ID",
        "Go to paypal.com > Activity to see the refund, it shows there within a day",
        "Gift card balance check: log in at amazon.com and open Your Account > Gift cards",
    ):
        verdict = detector.scan_text(text)
        assert verdict.risk is Risk.LOW, (text, verdict.findings)
        assert [f.check for f in verdict.findings] == ["model.text"], text
    # a known site with something asked (a new chat), or an unknown site, still warns
    for text in (
        "Log in at amazon.com, buy a $200 gift card and send me the code on the back",
        "Check your gift card balance at giftbalance-check.com, just log in as usual",
        "Check your gift card balance at amazon.com, then add me on WhatsApp",
    ):
        assert detector.scan_text(text).at_least(Risk.MEDIUM), text
