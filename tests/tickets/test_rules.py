"""Automation rules: time- and event-driven firings in rule order, idempotent causes, stop, and
line-precise errors."""

import pytest

from baiying.errors import ConfigError
from baiying.tickets.actions import Channel, Escalated, NotificationRequested
from baiying.tickets.bundled import default_config
from baiying.tickets.model import Priority, StateCategory, Ticket, TicketType
from baiying.tickets.rules import RuleEvent, Subject, load_rules

CONFIG = default_config()
RULES = CONFIG.rules
T0 = 1_795_000_000.0
HOUR = 3600.0


def complaint(level: int = 3) -> Ticket:
    return Ticket(id="c1", type=TicketType.COMPLAINT, state="recorded", level=level, created_at=T0)


def subject(ticket: Ticket, responded_at: float | None = None) -> Subject:
    return Subject(ticket, StateCategory.OPEN, state_entered_at=T0, responded_at=responded_at)


def test_an_unanswered_level_3_complaint_goes_to_the_complaint_manager_and_an_sms_after_2_h() -> None:
    assert RULES.due(subject(complaint()), T0 + 2 * HOUR - 1) == []
    (firing,) = RULES.due(subject(complaint()), T0 + 2 * HOUR)
    assert firing.rule_id == "complaint-l3-unanswered"
    assert firing.at == T0 + 2 * HOUR
    assert firing.effects == (
        Escalated("complaint-manager", "complaint-desk", Priority.URGENT),
        NotificationRequested("role:complaint-manager", Channel.INTERNAL, "complaint-escalated"),
        NotificationRequested("customer", Channel.SMS, "complaint-in-hand"),
    )


def test_the_rule_does_not_fire_for_answered_or_lower_level_complaints() -> None:
    assert RULES.due(subject(complaint(), responded_at=T0 + 60), T0 + 3 * HOUR) == []
    assert RULES.due(subject(complaint(level=2)), T0 + 3 * HOUR) == []


def test_a_cause_already_fired_is_reported_as_such_and_the_cause_is_stable() -> None:
    (first,) = RULES.due(subject(complaint()), T0 + 2 * HOUR)
    (again,) = RULES.due(subject(complaint()), T0 + 5 * HOUR, fired={first.cause})
    assert again.cause == first.cause
    assert again.already_fired
    assert not first.already_fired


def test_event_rules_fire_in_order_with_a_cause_per_event() -> None:
    firings = RULES.on_event(RuleEvent.CREATED, subject(complaint()), event_key="1", at=T0)
    assert [f.rule_id for f in firings] == ["complaint-acknowledged"]
    assert firings[0].effects == (NotificationRequested("customer", Channel.SMS, "complaint-received"),)
    other = RULES.on_event(RuleEvent.CREATED, subject(complaint()), event_key="2", at=T0)
    assert other[0].cause != firings[0].cause


ORDERED = """\
rules:
  - id: second
    order: 20
    trigger: {event: transitioned, transition: escalate}
    actions:
      - notify: {to: role:supervisor, template: b}
  - id: first
    order: 10
    trigger: {event: transitioned, transition: escalate}
    match: {tier: vip}
    stop: true
    actions:
      - notify: {to: role:supervisor, template: a}
  - id: switched-off
    order: 5
    enabled: false
    trigger: {event: transitioned}
    actions:
      - notify: {to: role:supervisor, template: never}
"""


def test_explicit_order_and_stop() -> None:
    rules = load_rules(ORDERED, "r.yaml", CONFIG.workflows)
    ticket = Ticket(id="t", type=TicketType.CONSULTATION, state="escalated", created_at=T0)
    vip = subject(ticket.with_changes(tier="vip"))
    assert [
        f.rule_id
        for f in rules.on_event(RuleEvent.TRANSITIONED, vip, event_key="3", at=T0, transition="escalate")
    ] == ["first"]
    plain = subject(ticket)
    assert [
        f.rule_id
        for f in rules.on_event(RuleEvent.TRANSITIONED, plain, event_key="3", at=T0, transition="escalate")
    ] == ["second"]
    assert rules.on_event(RuleEvent.TRANSITIONED, plain, event_key="3", at=T0, transition="resolve") == []


BAD_RULES = """\
rules:
  - id: a
    order: 1
    trigger: {event: transitioned, transition: teleport}
    match: {type: complaint, state: [limbo]}
    actions:
      - notify: {to: customer, template: x}
  - id: a
    order: 1
    trigger: {after: soon}
    actions:
      - notify: {to: customer, template: x}
"""


def test_rule_errors_name_field_and_line() -> None:
    with pytest.raises(ConfigError) as raised:
        load_rules(BAD_RULES, "rules.yaml", CONFIG.workflows)
    assert str(raised.value).splitlines() == [
        "rules.yaml:10: rules[1].trigger.after: 'soon' is not a duration like 30m, 2h or 1h30m"
    ]
    fixed = BAD_RULES.replace("after: soon", "after: 1h")
    with pytest.raises(ConfigError) as raised:
        load_rules(fixed, "rules.yaml", CONFIG.workflows)
    assert str(raised.value).splitlines() == [
        "rules.yaml:4: rules[0].trigger.transition: no workflow of complaint has transition 'teleport'",
        "rules.yaml:5: rules[0].match.state[0]: no workflow of complaint has state 'limbo'",
        "rules.yaml:8: rules[1].id: rule 'a' is defined twice",
        "rules.yaml:9: rules[1].order: order 1 is already rule 'a''s: give each rule its own",
    ]
