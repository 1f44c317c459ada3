"""The agent desktop's ticket panel names the shipped workflows' transitions, states, fields and choices
in both languages (a tenant's own workflow falls back to its YAML labels)."""

from baiying.tickets.bundled import default_config
from baiying.tickets.model import Priority
from baiying.web.messages import MESSAGES


def test_every_shipped_workflow_name_has_a_message() -> None:
    needed: set[str] = set()
    for workflow in default_config().workflows.values():
        spec = workflow.spec
        needed |= {f"ticket.do.{t.name}" for t in spec.transitions}
        needed |= {f"ticket.state.{state}" for state in spec.states}
        needed |= {f"ticket.field.{name}" for name in spec.fields}
        needed |= {f"ticket.option.{option}" for field in spec.fields.values() for option in field.options}
        needed.add(f"ticket.type.{workflow.type.value}")
    needed |= {f"ticket.priority.{priority.value}" for priority in Priority}
    needed |= {f"ticket.comment.{kind}" for kind in ("note", "reply", "customer")}
    assert len(needed) > 50
    assert needed - set(MESSAGES) == set()
