"""The rules engine: refund facts -> decision, driven by a replaceable policy.

    policy = Policy.from_data(data, catalog=texts)  # PolicyError names source, rule and field
    decision = decide(policy, facts)                # pure; Facts and Decision are pydantic

Reading a policy file from disk is `bot.policy_files.load_policy` (the domain does no I/O).
The modules: `models` (Facts, Decision), `schema` (the policy file's models), `conditions`
(numeric bounds), `compiled` (matching), `texts` (buyer texts by key), `consistency` (does a
rule make sense as a whole), `validation` (every check, every problem), `policy` (Policy),
`engine` (decide). The policy format and the JSON contract are described in docs/rules.md.
"""

from bot.domain.rules.consistency import REFUND_OUTCOMES
from bot.domain.rules.engine import decide, sample_facts
from bot.domain.rules.errors import PolicyError
from bot.domain.rules.models import (
    Arrival,
    Decision,
    Duration,
    Facts,
    FactsError,
    Text,
    parse_facts,
)
from bot.domain.rules.policy import Policy, Probe
from bot.domain.rules.refs import section_ids
from bot.domain.rules.schema import HARD_FEE_CAP_PERCENT, Rule
from bot.domain.vocab import Liable, Outcome, Route

__all__ = [
    "HARD_FEE_CAP_PERCENT",
    "REFUND_OUTCOMES",
    "Arrival",
    "Decision",
    "Duration",
    "Facts",
    "FactsError",
    "Liable",
    "Outcome",
    "Policy",
    "PolicyError",
    "Probe",
    "Route",
    "Rule",
    "Text",
    "decide",
    "parse_facts",
    "sample_facts",
    "section_ids",
]
