"""A small, safe expression language over named records, e.g.

    agent.team == "vip" and agent.skills["billing"] >= 7 and contact.region in agent.regions
    customer.tier in ["gold", "platinum"] and usage.data_left_share > 0.5

Each use names its roots (`agent` and `contact` for routing; `customer`, `product`, `usage`, `contact`
for care rules) and passes one mapping per root when evaluating. Operators: and, or, not, unary minus,
comparisons, `in`, `not in`, literals, lists of literals and `record["key"]`. Nothing else is allowed: no
calls, no imports, no dunder access. An unknown field reads as None, so a test of a missing field is simply
false; comparing values of different types is a non-match, never an error.
"""

import ast
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

View = Mapping[str, Any]
Evaluator = Callable[[Sequence[View]], Any]

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


class ExpressionError(ValueError):
    """The expression is not valid; the message says what and where (column)."""


@dataclass(frozen=True, slots=True)
class Expression:
    source: str
    roots: tuple[str, ...]
    evaluate: Evaluator  # takes one view per root, in `roots` order
    fields: Mapping[str, tuple[str, ...]]  # the fields it reads, by root

    def matches(self, *views: View) -> bool:
        try:
            return bool(self.evaluate(views))
        except TypeError:
            return False


def compile_expression(source: str, roots: Sequence[str]) -> Expression:
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error at column {exc.offset}: {exc.msg}") from None
    compiler = _Compiler(tuple(roots))
    evaluate = compiler.compile(tree.body)
    fields = {root: tuple(sorted(names)) for root, names in compiler.fields.items()}
    return Expression(source, tuple(roots), evaluate, fields)


class _Compiler:
    def __init__(self, roots: tuple[str, ...]) -> None:
        self.roots = roots
        self.fields: dict[str, set[str]] = {root: set() for root in roots}

    def compile(self, node: ast.expr) -> Evaluator:
        if isinstance(node, ast.BoolOp):
            parts = [self.compile(v) for v in node.values]
            if isinstance(node.op, ast.And):
                return lambda v: all(p(v) for p in parts)
            return lambda v: any(p(v) for p in parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self.compile(node.operand)
            return lambda v: not inner(v)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            negated = self.compile(node.operand)
            return lambda v: -negated(v)
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float | bool | type(None)):
            value = node.value
            return lambda v: value
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items = [self.compile(e) for e in node.elts]
            return lambda v: frozenset(i(v) for i in items)
        if isinstance(node, ast.Attribute):
            return self._attribute(node)
        if isinstance(node, ast.Subscript):
            container = self.compile(node.value)
            key = self.compile(node.slice)

            def subscript(v: Sequence[View]) -> Any:
                found = container(v)
                return found.get(key(v)) if isinstance(found, Mapping) else None

            return subscript
        if isinstance(node, ast.Name):
            raise ExpressionError(
                f"unknown name {node.id!r} at column {node.col_offset + 1}: use {self._usage()}"
            )
        raise ExpressionError(f"{type(node).__name__} is not allowed (column {node.col_offset + 1})")

    def _compare(self, node: ast.Compare) -> Evaluator:
        operands = [self.compile(node.left)] + [self.compile(c) for c in node.comparators]
        ops = []
        for op in node.ops:
            if type(op) not in _COMPARE:
                raise ExpressionError(f"operator {type(op).__name__} is not allowed")
            ops.append(_COMPARE[type(op)])

        def compare(v: Sequence[View]) -> bool:
            left = operands[0](v)
            for op, right_of in zip(ops, operands[1:], strict=True):
                right = right_of(v)
                if left is None and op not in (operator.eq, operator.ne) and not isinstance(right, frozenset):
                    return False
                if not op(left, right):
                    return False
                left = right
            return True

        return compare

    def _attribute(self, node: ast.Attribute) -> Evaluator:
        if not isinstance(node.value, ast.Name) or node.value.id not in self.roots:
            raise ExpressionError(f"only {self._usage()} can be read (column {node.col_offset + 1})")
        name = node.attr
        if name.startswith("_"):
            raise ExpressionError(f"field {name!r} is not allowed")
        root = node.value.id
        self.fields[root].add(name)
        index = self.roots.index(root)
        return lambda v: v[index].get(name)

    def _usage(self) -> str:
        names = [f"{root}.<field>" for root in self.roots]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
