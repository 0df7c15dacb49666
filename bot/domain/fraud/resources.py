"""Loading the package's data files (once, when a detector is built)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

_PACKAGE = "bot.domain.fraud"


def read_text(name: str) -> str:
    return resources.files(_PACKAGE).joinpath("data", name).read_text(encoding="utf-8")


@cache
def load_yaml(name: str) -> Any:
    return yaml.safe_load(read_text(name))


@cache
def load_list(name: str) -> tuple[str, ...]:
    """A one-item-per-line file; '#' starts a comment."""
    items: list[str] = []
    for line in read_text(name).splitlines():
        item = line.split("#", 1)[0].strip().lower()
        if item:
            items.append(item)
    return tuple(items)
