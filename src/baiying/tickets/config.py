"""A tenant's ticket configuration: one workflow per ticket type, the SLA policies and the automation rules,
each validated from its YAML text with line-precise errors."""

from collections.abc import Mapping
from dataclasses import dataclass

from baiying.errors import ConfigError, ConfigProblem
from baiying.tickets.model import TicketType
from baiying.tickets.rules import Rules, load_rules
from baiying.tickets.sla import SlaPolicies, load_sla
from baiying.tickets.workflow import Workflow, load_workflow


@dataclass(frozen=True)
class TicketConfig:
    workflows: Mapping[TicketType, Workflow]
    sla: SlaPolicies
    rules: Rules

    def workflow(self, type: TicketType) -> Workflow:
        return self.workflows[type]


def load_config(
    workflow_files: Mapping[str, str], sla: tuple[str, str], rules: tuple[str, str]
) -> TicketConfig:
    """`workflow_files` maps a source name to its text; `sla` and `rules` are (source, text).

    Every ticket type needs exactly one workflow; a rule's transitions must exist in its type's workflow.
    """
    workflows: dict[TicketType, Workflow] = {}
    for source, text in workflow_files.items():
        workflow = load_workflow(text, source)
        if workflow.type in workflows:
            other = workflows[workflow.type].source
            raise ConfigError(
                source, [ConfigProblem("type", f"{workflow.type.value} already has a workflow in {other}", 1)]
            )
        workflows[workflow.type] = workflow
    missing = [t.value for t in TicketType if t not in workflows]
    if missing:
        raise ConfigError(
            ", ".join(workflow_files) or "workflows",
            [ConfigProblem("", f"no workflow for ticket type {name}") for name in missing],
        )
    return TicketConfig(workflows, load_sla(sla[1], sla[0]), load_rules(rules[1], rules[0], workflows))
