"""Request and response bodies: `XCreate` / `XUpdate` in, `XPublic` out. Inputs refuse unknown fields,
and no text the API reads may hold control characters (PostgreSQL cannot even compare text with NUL)."""

from typing import Annotated

from fastapi import Path
from pydantic import StringConstraints

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")]
"""A new record's id: letters, digits, `.`, `_`, `:`, `-`, at most 64, starting with a letter or digit."""

Name = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[^\x00-\x1f\x7f]{1,200}$")]
"""A one-line name or label, 1 to 200 characters."""

Login = Annotated[str, StringConstraints(pattern=r"^[^\s\x00-\x1f\x7f]{1,200}$")]
"""What a user types to log in: 1 to 200 characters, no spaces."""

NO_CONTROLS = r"^[^\x00-\x1f\x7f]*$"
KEY_PATTERN = r"^[^\x00-\x1f\x7f]{1,64}$"

KeyPath = Annotated[str, Path(pattern=KEY_PATTERN, description="The record's id.")]
"""An existing record's id in a path: looser than `Id`, so records imported with other ids stay reachable."""
