"""Parsing a URL's parts and its host (IP spellings, IDNA), without any network."""

from __future__ import annotations

import contextlib
import ipaddress
import re
from dataclasses import dataclass


@dataclass(slots=True)
class ParsedUrl:
    raw: str
    has_scheme: bool
    userinfo: str
    host: str
    path: str


def parse_url(raw: str) -> ParsedUrl:
    s = raw.strip()
    has_scheme = "://" in s[:10]
    if has_scheme:
        s = s.split("://", 1)[1]
    cut = len(s)
    for sep in "/?#\\":
        i = s.find(sep)
        if i != -1 and i < cut:
            cut = i
    authority, path = s[:cut], s[cut:]
    userinfo = ""
    if "@" in authority:
        userinfo, authority = authority.rsplit("@", 1)
    host = authority
    if host.startswith("["):
        host = host[: host.find("]") + 1] if "]" in host else host
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return ParsedUrl(
        raw=raw, has_scheme=has_scheme, userinfo=userinfo, host=host.strip(".").lower(), path=path
    )


_NUM_PART = re.compile(r"^(?:0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$")


def parse_ip(host: str, *, loose: bool) -> str | None:
    """The IP address a host stands for, or None. `loose` accepts the decimal, hex
    and octal spellings browsers accept in URLs (http://3232235777/, http://0x7f.1/)."""
    if host.startswith("[") and host.endswith("]"):
        try:
            return str(ipaddress.IPv6Address(host[1:-1]))
        except ValueError:
            return None
    parts = host.split(".")
    if len(parts) == 4 and all(p.isdigit() and len(p) <= 3 for p in parts):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            return None
    if not loose or not 1 <= len(parts) <= 4 or not all(_NUM_PART.match(p) for p in parts):
        return None
    nums = [
        int(p, 16)
        if p.startswith("0x")
        else int(p, 8)
        if len(p) > 1 and p.startswith("0")
        else int(p)
        for p in parts
    ]
    # inet_aton: the last part fills the remaining bytes
    value = 0
    for n in nums[:-1]:
        if n > 255:
            return None
        value = value * 256 + n
    rest_bytes = 5 - len(nums)
    if nums[-1] >= 256**rest_bytes:
        return None
    value = value * 256**rest_bytes + nums[-1]
    return str(ipaddress.IPv4Address(value))


def to_unicode_host(host: str) -> str:
    labels = []
    for label in host.split("."):
        if label.startswith("xn--"):
            with contextlib.suppress(UnicodeError, ValueError):
                label = label.encode("ascii").decode("idna")
        labels.append(label)
    return ".".join(labels)


def to_ascii_host(host: str) -> str | None:
    labels = []
    for label in host.split("."):
        if label.isascii():
            labels.append(label)
            continue
        try:
            labels.append(label.encode("idna").decode("ascii"))
        except (UnicodeError, ValueError):
            return None
    return ".".join(labels)
