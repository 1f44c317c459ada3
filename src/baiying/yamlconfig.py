"""Load YAML text into a pydantic model, with errors that name the source, the field path and the line.

Pure: callers read the file and pass its text, so the core can validate configuration without I/O.
Top-level keys starting with `x-` are ignored, as in docker-compose files: they hold YAML anchors
(`x-day-curve: &day [...]`) for the rest of the file to reuse.
"""

from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from baiying.errors import ConfigError, ConfigProblem

Model = TypeVar("Model", bound=BaseModel)
Path = tuple[str | int, ...]


def load_model(text: str, model: type[Model], source: str) -> Model:
    """Parse `text` as YAML and validate it as `model`.

    Raises ConfigError listing every problem with its field path (``steps[1].target.skills``) and line.
    """
    data, lines = parse_with_lines(text, source)
    return validate(data, lines, model, source)


def parse_with_lines(text: str, source: str) -> tuple[Any, dict[Path, int]]:
    """YAML text to plain data plus the 1-based line of every mapping key and sequence item."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(source, [ConfigProblem("", f"not valid YAML: {reason}", line)]) from None
    if node is None:
        raise ConfigError(source, [ConfigProblem("", "the file is empty", 1)])
    lines: dict[Path, int] = {}
    _index_lines(node, (), lines)
    data = yaml.safe_load(text)
    if isinstance(data, dict):
        data = {key: value for key, value in data.items() if not str(key).startswith("x-")}
    return data, lines


def validate(data: Any, lines: dict[Path, int], model: type[Model], source: str) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            ConfigProblem(format_path(err["loc"]), _reason(err), line_of(err["loc"], lines))
            for err in exc.errors(include_url=False)
        ]
        raise ConfigError(source, problems) from None


def validate_json(data: Any, model: type[Model], source: str) -> Model:
    """Validate data that came as JSON rather than YAML text: no lines to point at, so each problem names
    its field path, in pydantic's words except for an unknown field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [
            ConfigProblem(
                format_path(err["loc"]),
                "unknown field (check the spelling)"
                if err["type"] == "extra_forbidden"
                else str(err["msg"]).removeprefix("Value error, "),
            )
            for err in exc.errors(include_url=False)
        ]
        raise ConfigError(source, problems) from None


def format_path(loc: tuple[Any, ...]) -> str:
    """pydantic's error location as a readable field path: ``steps[1].target.skills``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _is_pydantic_tag(str(part)):
            continue
        else:
            text += f".{part}" if text else str(part)
    return text


def line_of(loc: tuple[Any, ...], lines: dict[Path, int]) -> int | None:
    """The line of the deepest part of `loc` present in the file (a missing field points at its parent)."""
    path: Path = tuple(p for p in loc if isinstance(p, int) or not _is_pydantic_tag(str(p)))
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get((), 1)


def _is_pydantic_tag(part: str) -> bool:
    # Union and validator branches show up in `loc` as e.g. "function-after[...]" or "list[...]".
    return "[" in part or part.startswith("function-")


def _reason(err: Any) -> str:
    message = str(err["msg"])
    if err["type"] == "extra_forbidden":
        return "unknown field (check the spelling)"
    if err["type"] == "missing":
        return "required field is missing"
    return message.removeprefix("Value error, ")


def _index_lines(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            child = (*path, key)
            lines[child] = key_node.start_mark.line + 1
            _index_lines(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*path, index), lines)
