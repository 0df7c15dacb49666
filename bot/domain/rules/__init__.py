"""The rules engine: refund facts -> decision, driven by a replaceable policy file.

    policy = load_policy(path)          # PolicyError names the file, the rule and the field
    decision = decide(policy, facts)    # pure; Facts and Decision are pydantic models

The policy format and the JSON contract are described in docs/rules.md.
"""

from bot.domain.rules.engine import decide, sample_facts
from bot.domain.rules.models import (
    Arrival,
    Decision,
    Duration,
    Facts,
    FactsError,
    Text,
    parse_facts,
)
from bot.domain.rules.policy import (
    DEFAULT_POLICY_PATH,
    HARD_FEE_CAP_PERCENT,
    Policy,
    PolicyError,
    Rule,
    load_policy,
)
from bot.domain.rules.refs import section_ids

__all__ = [
    "DEFAULT_POLICY_PATH",
    "HARD_FEE_CAP_PERCENT",
    "Arrival",
    "Decision",
    "Duration",
    "Facts",
    "FactsError",
    "Policy",
    "PolicyError",
    "Rule",
    "Text",
    "decide",
    "load_policy",
    "parse_facts",
    "sample_facts",
    "section_ids",
]
