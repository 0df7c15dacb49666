"""One Router per flow; the order here is the order in which they are tried."""

from bot.telegram.handlers import ask, cases, errors, fallback, refund, start, support

ROUTERS = (errors, start, support, cases, ask, refund, fallback)
