"""refund-bot: a Telegram assistant for refunds on virtual-goods card platforms."""

__version__ = "0.1.0"
