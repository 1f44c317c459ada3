"""A small, safe expression language for routing targets, e.g.

    agent.team == "vip" and agent.skills["billing"] >= 7 and contact.region in agent.regions

Names: `agent` (id, site, team, skills, and every profile attribute) and `contact` (id, channel, language,
intent, tier, region, priority, customer, and every contact attribute). Operators: and, or, not, comparisons,
`in`, `not in`, literals and lists of literals: the language of `baiying.expressions`, with the roots
`agent` and `contact`. An unknown attribute reads as None, so a filter on a missing attribute is false.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from baiying.expressions import Expression, ExpressionError
from baiying.expressions import compile_expression as compile_generic
from baiying.routing.model import AgentProfile, Contact

__all__ = ["CompiledExpression", "ExpressionError", "agent_view", "compile_expression", "contact_view"]

View = Mapping[str, Any]
Evaluator = Callable[[View, View], Any]
_ROOTS = ("agent", "contact")


@dataclass(frozen=True, slots=True)
class CompiledExpression:
    source: str
    evaluate: Evaluator
    contact_fields: tuple[str, ...]  # contact values it reads: contacts that differ here wait apart

    def matches(self, agent: View, contact: View) -> bool:
        try:
            return bool(self.evaluate(agent, contact))
        except TypeError:
            # Comparing values of different types (a missing attribute against a number) is a non-match.
            return False


def compile_expression(source: str) -> CompiledExpression:
    compiled: Expression = compile_generic(source, _ROOTS)
    generic = compiled.evaluate
    return CompiledExpression(source, lambda a, c: generic((a, c)), compiled.fields["contact"])


def agent_view(agent: AgentProfile) -> dict[str, Any]:
    return {
        **agent.attributes,
        "id": agent.id,
        "site": agent.site_id,
        "team": agent.team_id,
        "skills": agent.skills,
    }


def contact_view(contact: Contact) -> dict[str, Any]:
    return {
        **contact.attributes,
        "id": contact.id,
        "channel": str(contact.channel),
        "language": contact.language,
        "intent": contact.intent,
        "tier": contact.tier,
        "region": contact.region,
        "priority": contact.priority,
        "customer": contact.customer_id,
        "site": contact.site_id,
    }
