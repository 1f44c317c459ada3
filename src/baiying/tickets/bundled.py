"""The configuration shipped in the package (workflows/*.yaml, sla.yaml, rules.yaml).

It reads the package's own data files, read-only, as an import would; everything else in the core takes
text from its caller.
"""

from collections.abc import Mapping
from functools import cache
from importlib import resources

from baiying.tickets.config import TicketConfig, load_config


@cache
def default_files() -> dict[str, str]:
    """Each shipped file's text by its name: `workflows/<type>.yaml`, `sla.yaml`, `rules.yaml`."""
    root = resources.files("baiying.tickets")
    files = {
        f"workflows/{entry.name}": entry.read_text(encoding="utf-8")
        for entry in sorted(root.joinpath("workflows").iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".yaml")
    }
    for name in ("sla.yaml", "rules.yaml"):
        files[name] = root.joinpath(name).read_text(encoding="utf-8")
    return files


@cache
def default_config() -> TicketConfig:
    return config_of(default_files())


def config_of(files: Mapping[str, str]) -> TicketConfig:
    """The configuration made of `files` (named as `default_files` names them); ConfigError names the
    file, field and line of each problem."""
    workflows = {name: text for name, text in files.items() if name.startswith("workflows/")}
    return load_config(workflows, ("sla.yaml", files["sla.yaml"]), ("rules.yaml", files["rules.yaml"]))
