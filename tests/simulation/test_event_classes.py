"""The event classes behave the same compiled (mypyc, setup.py) or not: `kind` belongs to the class and is
no field, every field is a constructor argument in declaration order, defaults apply, and records are flat."""

import dataclasses
from typing import Any

import pytest

from baiying import events as ev
from baiying.ids import AgentId, ContactId, QueueId, SiteId


def sample(field: dataclasses.Field[Any]) -> object:
    """A value of the field's type (compiled classes check the types of their arguments)."""
    kind = str(field.type)
    if "tuple" in kind:
        return (f"{field.name}-1", f"{field.name}-2")
    for name, value in (("float", 12.5), ("bool", True), ("int", 3)):
        if kind == name or kind.startswith(f"<class '{name}'"):
            return value
    return f"{field.name}-value"


@pytest.mark.parametrize("cls", list(ev.EVENT_TYPES.values()))
def test_kind_is_a_class_attribute_and_not_a_field(cls: type[ev.Event]) -> None:
    names = [field.name for field in dataclasses.fields(cls)]
    assert "kind" not in names
    assert names[0] == "at"
    assert ev.EVENT_TYPES[cls.kind] is cls
    values: dict[str, Any] = {field.name: sample(field) for field in dataclasses.fields(cls)}
    assert values["at"] == 12.5
    event = cls(*values.values())  # positional, in declaration order
    assert event == cls(**values)
    assert event.kind == cls.kind
    assert event.to_record() == {"kind": cls.kind, **values}
    assert list(event.to_record()) == ["kind", *names]
    assert repr(event).startswith(f"{cls.__name__}(at=12.5, ")


def test_defaults_equality_and_columns() -> None:
    arrived = ev.ContactArrived(1.0, ContactId("c"), QueueId("q"), "voice", None)
    assert (arrived.language, arrived.priority, arrived.customer_id) == (None, 0, None)
    assert arrived == ev.ContactArrived(1.0, ContactId("c"), QueueId("q"), "voice", None, priority=0)
    assert arrived != ev.ContactArrived(1.0, ContactId("c"), QueueId("q"), "voice", None, priority=1)
    changed = ev.AgentStateChanged(2.0, AgentId("a"), SiteId("s"), "aux", "ready")
    assert changed.reason is None
    assert dataclasses.replace(changed, reason="lunch").reason == "lunch"
    columns = ev.record_columns()
    assert columns[:3] == ["kind", "at", "contact_id"]
    assert len(columns) == len(set(columns))
    with pytest.raises(AttributeError):
        arrived.not_a_field = 1  # type: ignore[attr-defined]
