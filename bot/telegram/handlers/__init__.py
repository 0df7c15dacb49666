"""One Router per flow; the order here is the order in which they are tried."""

from bot.telegram.handlers import (
    ask,
    cases,
    errors,
    fallback,
    groups,
    links,
    start,
    support,
    wizard,
)

ROUTERS = (errors, start, support, groups, links, cases, ask, wizard, fallback)
