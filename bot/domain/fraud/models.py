"""Inputs and outputs of the fraud detector (pydantic models, JSON friendly)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Risk(StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @classmethod
    def from_rank(cls, rank: int) -> Risk:
        return _BY_RANK[max(0, min(3, rank))]


_RANK = {Risk.NONE: 0, Risk.LOW: 1, Risk.MEDIUM: 2, Risk.HIGH: 3}
_BY_RANK = {v: k for k, v in _RANK.items()}


class Finding(BaseModel):
    """One check that hit: why the verdict is what it is."""

    model_config = ConfigDict(frozen=True)

    check: str
    """Stable check name, e.g. `url.lookalike`, `text.scam_script`."""
    severity: Risk
    detail: str
    """Short English detail, e.g. "lookalike of alipay.com (edit distance 1)"."""
    url: str | None = None
    """The link the finding is about, if any."""
    explain: dict[str, str] = Field(default_factory=dict)
    """What was found and why it matters, for people: {"zh": ..., "en": ...}."""


class Verdict(BaseModel):
    risk: Risk
    findings: list[Finding] = Field(default_factory=list)
    advice: dict[str, str] = Field(default_factory=dict)
    """{"zh": ..., "en": ...}: what was found, why it is dangerous, what a real refund looks like."""

    @property
    def checks(self) -> list[str]:
        return [f.check for f in self.findings]

    def at_least(self, risk: Risk | str) -> bool:
        return self.risk.rank >= Risk(risk).rank


class LinkRef(BaseModel):
    """A link whose target may differ from what is shown (a Telegram `text_link`)."""

    url: str
    visible_text: str | None = None


class MessageInput(BaseModel):
    """What the detector looks at: text or caption, links, inline-keyboard URLs."""

    text: str = ""
    caption: str = ""
    links: list[LinkRef] = Field(default_factory=list)
    button_urls: list[str] = Field(default_factory=list)


class FraudConfig(BaseModel):
    allow_domains: list[str] = Field(default_factory=list)
    """Extra domains whose links pass every URL check (added to the built-in list)."""
    platform_domains: list[str] = Field(default_factory=list)
    """The platform's own domains: they pass, and lookalikes of them are flagged."""
    protected_brands: list[str] | None = None
    """Brand domains to protect (e.g. "alipay.com"); None -> the built-in list."""
    suspicious_tlds: list[str] | None = None
    """Suffixes that count as suspicious; None -> the built-in list."""
    extra_shorteners: list[str] = Field(default_factory=list)


@dataclass(slots=True)
class RawFinding:
    """A finding before it is explained (internal to the detector)."""

    check: str
    severity: Risk
    detail: str
    url: str | None = None
    params: dict[str, str] = field(default_factory=dict)
