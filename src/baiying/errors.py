"""Errors that carry a stable machine-readable code.

Adapters map `code` to their own vocabulary (an HTTP status, a CLI exit code) in one table each.
"""

from collections.abc import Mapping
from typing import Any, ClassVar


class DomainError(Exception):
    code: ClassVar[str] = "domain-error"

    def __init__(self, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: Mapping[str, Any] = dict(details or {})

    def __str__(self) -> str:
        return self.message


class ConfigError(DomainError):
    """A configuration or scenario file is invalid. `problems` names each field and line."""

    code = "invalid-config"

    def __init__(self, source: str, problems: list["ConfigProblem"]) -> None:
        self.source = source
        self.problems = problems
        lines = [p.describe(source) for p in problems]
        super().__init__("\n".join(lines), {"source": source, "problems": [p.as_dict() for p in problems]})


class ConfigProblem:
    """One thing wrong with a configuration file: where (field path, line) and why."""

    __slots__ = ("column", "field", "line", "reason")

    def __init__(self, field: str, reason: str, line: int | None = None, column: int | None = None) -> None:
        self.field = field
        self.reason = reason
        self.line = line
        self.column = column

    def describe(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line is not None else source
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "reason": self.reason, "line": self.line, "column": self.column}

    def __repr__(self) -> str:
        return f"ConfigProblem({self.field!r}, {self.reason!r}, line={self.line})"


class UnknownEntity(DomainError):
    code = "not-found"


class InvalidTransition(DomainError):
    code = "invalid-transition"
