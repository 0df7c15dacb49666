"""The error a policy that cannot be used raises."""

from __future__ import annotations


class PolicyError(ValueError):
    """A policy file that cannot be used. `errors` holds one message per problem, each naming
    the file, the rule and the field (`knowledge/policy.yaml: rule 'x': route: ...`)."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))
