"""A small, safe expression language for routing targets, e.g.

    agent.team == "vip" and agent.skills["billing"] >= 7 and contact.region in agent.regions

Names: `agent` (id, site, team, skills, and every profile attribute) and `contact` (id, channel, language,
intent, tier, region, priority, customer, and every contact attribute). Operators: and, or, not, comparisons,
`in`, `not in`, literals and lists of literals. Nothing else is allowed: no calls, no imports, no dunder
access. An unknown attribute reads as None, so a filter on a missing attribute is simply false.
"""

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from baiying.routing.model import AgentProfile, Contact

View = Mapping[str, Any]
Evaluator = Callable[[View, View], Any]

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: b is not None and a in b,
    ast.NotIn: lambda a, b: b is None or a not in b,
}
_ROOTS = ("agent", "contact")


class ExpressionError(ValueError):
    """The expression is not valid; the message says what and where (column)."""


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
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error at column {exc.offset}: {exc.msg}") from None
    contact_fields: set[str] = set()
    evaluate = _compile(tree.body, contact_fields)
    return CompiledExpression(source, evaluate, tuple(sorted(contact_fields)))


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


def _compile(node: ast.expr, contact_fields: set[str]) -> Evaluator:
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v, contact_fields) for v in node.values]
        if isinstance(node.op, ast.And):
            return lambda a, c: all(p(a, c) for p in parts)
        return lambda a, c: any(p(a, c) for p in parts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _compile(node.operand, contact_fields)
        return lambda a, c: not inner(a, c)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        negated = _compile(node.operand, contact_fields)
        return lambda a, c: -negated(a, c)
    if isinstance(node, ast.Compare):
        return _compile_compare(node, contact_fields)
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float | bool | type(None)):
        value = node.value
        return lambda a, c: value
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        items = [_compile(e, contact_fields) for e in node.elts]
        return lambda a, c: frozenset(i(a, c) for i in items)
    if isinstance(node, ast.Attribute):
        return _compile_attribute(node, contact_fields)
    if isinstance(node, ast.Subscript):
        container = _compile(node.value, contact_fields)
        key = _compile(node.slice, contact_fields)

        def subscript(a: View, c: View) -> Any:
            found = container(a, c)
            return found.get(key(a, c)) if isinstance(found, Mapping) else None

        return subscript
    if isinstance(node, ast.Name):
        raise ExpressionError(
            f"unknown name {node.id!r} at column {node.col_offset + 1}: use agent.<field> or contact.<field>"
        )
    raise ExpressionError(f"{type(node).__name__} is not allowed (column {node.col_offset + 1})")


def _compile_compare(node: ast.Compare, contact_fields: set[str]) -> Evaluator:
    operands = [_compile(node.left, contact_fields)] + [_compile(c, contact_fields) for c in node.comparators]
    ops = []
    for op in node.ops:
        if type(op) not in _COMPARE:
            raise ExpressionError(f"operator {type(op).__name__} is not allowed")
        ops.append(_COMPARE[type(op)])

    def compare(a: View, c: View) -> bool:
        left = operands[0](a, c)
        for op, right_of in zip(ops, operands[1:], strict=True):
            right = right_of(a, c)
            if left is None and op not in (operator.eq, operator.ne) and not isinstance(right, frozenset):
                return False
            if not op(left, right):
                return False
            left = right
        return True

    return compare


def _compile_attribute(node: ast.Attribute, contact_fields: set[str]) -> Evaluator:
    if not isinstance(node.value, ast.Name) or node.value.id not in _ROOTS:
        raise ExpressionError(
            f"only agent.<field> and contact.<field> can be read (column {node.col_offset + 1})"
        )
    name = node.attr
    if name.startswith("_"):
        raise ExpressionError(f"field {name!r} is not allowed")
    if node.value.id == "agent":
        return lambda a, c: a.get(name)
    contact_fields.add(name)
    return lambda a, c: c.get(name)
