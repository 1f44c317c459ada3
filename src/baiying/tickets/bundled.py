"""The configuration shipped in the package (workflows/*.yaml, sla.yaml, rules.yaml).

It reads the package's own data files, read-only, as an import would; everything else in the core takes
text from its caller.
"""

from functools import cache
from importlib import resources

from baiying.tickets.config import TicketConfig, load_config


@cache
def default_config() -> TicketConfig:
    root = resources.files("baiying.tickets")
    workflows = {
        f"workflows/{entry.name}": entry.read_text(encoding="utf-8")
        for entry in sorted(root.joinpath("workflows").iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".yaml")
    }
    sla = ("sla.yaml", root.joinpath("sla.yaml").read_text(encoding="utf-8"))
    rules = ("rules.yaml", root.joinpath("rules.yaml").read_text(encoding="utf-8"))
    return load_config(workflows, sla, rules)
