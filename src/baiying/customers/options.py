"""A `CustomerMapping` from command-line options (`--column phone=Mobile`), for a file read once without
writing a YAML mapping. Errors name the option as the source."""

from collections.abc import Sequence
from typing import Any

from baiying.customers.mapping import CLI_FIELDS, CustomerMapping
from baiying.errors import ConfigError, ConfigProblem
from baiying.yamlconfig import validate

LIST_FIELDS = {"phone", "email", "chat"}
SOURCE = "--column options"


def mapping_from_options(columns: Sequence[str], **settings: Any) -> CustomerMapping:
    """`columns` are FIELD=COLUMN pairs (`phone` and `email` and `chat` may repeat); `settings` are the
    mapping's other fields (delimiter, country_code, on_existing...). Raises ConfigError."""
    data: dict[str, Any] = {key: value for key, value in settings.items() if value is not None}
    problems: list[ConfigProblem] = []
    for option in columns:
        field, sep, column = option.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not field or not column:
            problems.append(ConfigProblem(option, "expected FIELD=COLUMN, e.g. phone=Mobile"))
        elif field.startswith("attribute."):
            data.setdefault("attribute_columns", {})[field.removeprefix("attribute.")] = column
        elif field in LIST_FIELDS:
            data.setdefault(f"{field}_columns", []).append(column)
        elif field in CLI_FIELDS:
            if f"{field}_column" in data:
                problems.append(ConfigProblem(option, f"{field} is mapped twice"))
            data[f"{field}_column"] = column
        else:
            known = ", ".join([*CLI_FIELDS, "attribute.NAME"])
            problems.append(ConfigProblem(option, f"unknown field {field!r} (known: {known})"))
    if problems:
        raise ConfigError(SOURCE, problems)
    return validate(data, {}, CustomerMapping, SOURCE)
