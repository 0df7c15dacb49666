"""One Router per flow; the order here is the order in which they are tried."""

from bot.telegram.handlers import (
    ask,
    cases,
    errors,
    fallback,
    groups,
    links,
    privacy,
    refund,
    start,
    support,
)

ROUTERS = (errors, start, privacy, support, groups, links, cases, ask, refund, fallback)
