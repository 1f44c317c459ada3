"""Each tenant's ticket configuration: the shipped workflows, SLA policies and automation rules, with the
files the tenant changed (stored, versioned) in their place. A change is validated as part of the whole
configuration (a rule must name transitions its workflow has), and a workflow may not drop a state that
open tickets are in; every problem names the file, field and line.

Parsed configurations are kept by the content of the files in force, so a request costs one small query.
"""

import difflib
import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock
from typing import Final

from sqlalchemy.orm import Session

from baiying.errors import ConfigError, ConfigProblem, DomainError
from baiying.storage.repositories.ticket_config import (
    add_version,
    current_files,
    open_states,
    versions,
)
from baiying.storage.ticket_tables import TicketConfigFileRow
from baiying.tickets.bundled import config_of, default_config, default_files
from baiying.tickets.config import TicketConfig

KEPT: Final = 64  # parsed configurations kept in memory (a few per tenant that changed its own)


class UnknownConfigFile(DomainError):
    code = "not-found"


@dataclass(frozen=True, slots=True)
class ConfigFile:
    name: str
    text: str
    version: int  # 0: the shipped file
    updated_by: str | None
    updated_at: float | None

    @property
    def source(self) -> str:
        return "default" if self.version == 0 else "tenant"


_parsed: OrderedDict[tuple[tuple[str, str], ...], TicketConfig] = OrderedDict()
_lock = Lock()


def check_name(name: str) -> None:
    if name not in default_files():
        files = ", ".join(default_files())
        raise UnknownConfigFile(
            f"no ticket configuration file {name!r}; the files are {files}", {"name": name}
        )


def files(session: Session, tenant_id: str) -> list[ConfigFile]:
    """Every file in force for the tenant: its own version, else the shipped one."""
    changed = current_files(session, tenant_id)
    return [_file(name, text, changed.get(name)) for name, text in default_files().items()]


def file(session: Session, tenant_id: str, name: str) -> ConfigFile:
    check_name(name)
    return _file(name, default_files()[name], current_files(session, tenant_id).get(name))


def tenant_config(session: Session, tenant_id: str) -> TicketConfig:
    """The configuration in force for the tenant (the shipped one if it changed nothing)."""
    changed = current_files(session, tenant_id)
    if not changed:
        return default_config()
    # Keyed by content, not version numbers: a restored or another database may reuse a version number.
    key = tuple(
        sorted((name, hashlib.sha256(row.text.encode()).hexdigest()) for name, row in changed.items())
    )
    with _lock:
        if key in _parsed:
            _parsed.move_to_end(key)
            return _parsed[key]
    config = config_of({**default_files(), **{name: row.text for name, row in changed.items()}})
    with _lock:
        _parsed[key] = config
        while len(_parsed) > KEPT:
            _parsed.popitem(last=False)
    return config


def save(session: Session, tenant_id: str, name: str, text: str, user_id: str, at: float) -> ConfigFile:
    """Store `text` as the file's next version once the whole configuration with it is valid; the same
    text as in force stores nothing. Raises ConfigError naming file, field and line, UnknownConfigFile."""
    check_name(name)
    changed = current_files(session, tenant_id)
    in_force = changed.get(name)
    current = in_force.text if in_force is not None else default_files()[name]
    if text == current:
        return _file(name, default_files()[name], in_force)
    texts = {**default_files(), **{n: row.text for n, row in changed.items()}, name: text}
    config = config_of(texts)
    if name.startswith("workflows/"):
        workflow = next(w for w in config.workflows.values() if w.source == name)
        lost = {
            state: count
            for state, count in open_states(session, tenant_id, workflow.type.value).items()
            if state not in workflow.spec.states
        }
        if lost:
            problems = [
                ConfigProblem(
                    "states", f"{count} open ticket(s) are in state {state!r}, which this file drops"
                )
                for state, count in sorted(lost.items())
            ]
            raise ConfigError(name, problems)
    row = add_version(session, tenant_id, name, text, user_id, at)
    return _file(name, row.text, row)


@dataclass(frozen=True, slots=True)
class ConfigVersion:
    """A stored version of a file, with the lines it changed from the one before (the shipped file for
    the first): a unified diff without the file headers ("@@ -12 +12 @@", "-old line", "+new line")."""

    row: TicketConfigFileRow
    diff: tuple[str, ...]


def line_diff(before: str, after: str, context: int = 1) -> tuple[str, ...]:
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=context)
    return tuple(line for line in lines if not line.startswith(("---", "+++")))


def history(session: Session, tenant_id: str, name: str) -> list[ConfigVersion]:
    """The tenant's versions of the file, newest first, each with its diff; UnknownConfigFile."""
    check_name(name)
    rows = versions(session, tenant_id, name)
    older = [row.text for row in rows[1:]] + [default_files()[name]]  # the text before each version
    return [ConfigVersion(row, line_diff(before, row.text)) for row, before in zip(rows, older, strict=False)]


def _file(name: str, shipped: str, row: TicketConfigFileRow | None) -> ConfigFile:
    if row is None:
        return ConfigFile(name, shipped, 0, None, None)
    return ConfigFile(name, row.text, row.version, row.created_by, row.created_at)
