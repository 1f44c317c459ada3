"""A ticket rebuilt from its history alone: the proof that the history is complete.

`replay(events)` folds a ticket's events (kind and data, in order) into what the ticket row holds: state,
category, fields, priority, assignment and customer (which a customer merge changes). Tests compare it
with the stored ticket after any sequence of operations; an auditor can see the ticket as it was after
any event by replaying a prefix.
"""

from collections.abc import Iterable, Mapping
from typing import Any

ASSIGNMENT = ("queue_id", "team_id", "agent_id")


def replay(events: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    ticket: dict[str, Any] = {}
    for kind, data in events:
        if kind == "created":
            after = data["after"]
            ticket = {name: after[name] for name in ("state", "category", "priority", *ASSIGNMENT)}
            ticket["fields"] = dict(after["fields"])
            ticket["customer_id"] = after.get("customer_id")
        elif kind == "transitioned":
            ticket["state"] = data["after"]["state"]
            ticket["category"] = data["after"]["category"]
            for name, change in data["fields"].items():
                ticket["fields"][name] = change["after"]
        elif kind in ("assigned", "escalated"):
            for name in ASSIGNMENT:
                ticket[name] = data["after"][name]
            if "priority" in data["after"]:
                ticket["priority"] = data["after"]["priority"]
        elif kind == "customer-merged":
            ticket["customer_id"] = data["after"]["customer_id"]
    return ticket
