"""Workflows: the shipped service flow end to end, role and field checks, and line-precise YAML errors."""

from datetime import UTC, datetime

import pytest

from baiying.errors import ConfigError
from baiying.tickets.actions import (
    ActionSpec,
    Assigned,
    CallbackScheduled,
    Channel,
    Escalated,
    KnowledgeCandidate,
    NotificationRequested,
    resolve,
)
from baiying.tickets.bundled import default_config
from baiying.tickets.errors import (
    InvalidTicket,
    MissingFields,
    TransitionForbidden,
    TransitionNotAvailable,
    UnknownTransition,
)
from baiying.tickets.model import Assignment, Priority, StateCategory, Ticket, TicketType, check_level
from baiying.tickets.workflow import Workflow, load_workflow

T0 = 1_795_000_000.0
CONFIG = default_config()


def consultation() -> Workflow:
    return CONFIG.workflow(TicketType.CONSULTATION)


def new_ticket(type: TicketType = TicketType.CONSULTATION, **changes: object) -> Ticket:
    workflow = CONFIG.workflow(type)
    base = Ticket(id="t1", type=type, state="", subject="Router keeps rebooting", created_at=T0)
    return workflow.create(base.with_changes(**changes), actor_agent="li-na", now=T0).ticket


def test_every_ticket_type_has_a_shipped_workflow() -> None:
    assert set(CONFIG.workflows) == set(TicketType)


def test_a_new_ticket_is_recorded_and_assigned_to_first_line_and_its_recorder() -> None:
    outcome = consultation().create(
        Ticket(id="t1", type=TicketType.CONSULTATION, state="", created_at=T0), actor_agent="li-na", now=T0
    )
    assert outcome.ticket.state == "recorded"
    assert outcome.ticket.assignment == Assignment(queue_id="first-line", agent_id="li-na")
    assert outcome.effects == (Assigned(Assignment(queue_id="first-line", agent_id="li-na")),)


def test_first_line_resolves_and_the_customer_is_told() -> None:
    outcome = consultation().transition(
        new_ticket(), "resolve", roles={"agent"}, fields={"resolution": "Firmware updated"}, now=T0 + 60
    )
    assert (outcome.from_state, outcome.to_state, outcome.responds) == ("recorded", "resolved", True)
    assert outcome.ticket.fields["resolution"] == "Firmware updated"
    assert outcome.effects == (NotificationRequested("customer", Channel.SMS, "ticket-resolved"),)


def test_escalation_to_the_expert_queue_then_the_expert_solves_and_offers_the_answer_to_the_kb() -> None:
    flow = consultation()
    escalated = flow.transition(
        new_ticket(), "escalate", roles={"agent"}, fields={"escalation_reason": "needs line test"}, now=T0
    )
    assert escalated.ticket.state == "escalated"
    assert escalated.ticket.assignment == Assignment(queue_id="experts")
    assert escalated.effects[1] == NotificationRequested(
        "queue:experts", Channel.INTERNAL, "ticket-escalated"
    )

    taken = flow.transition(escalated.ticket, "take", roles={"expert"}, actor_agent="zhang-wei", now=T0 + 5)
    assert taken.ticket.assignment == Assignment(queue_id="experts", agent_id="zhang-wei")

    solved = flow.transition(
        taken.ticket,
        "solve",
        roles={"expert"},
        fields={"resolution": "Replace the splitter", "promote_to_kb": True},
        now=T0 + 9,
    )
    assert solved.ticket.state == "resolved"
    assert solved.effects == (
        KnowledgeCandidate("Router keeps rebooting", "Replace the splitter"),
        NotificationRequested("customer", Channel.SMS, "ticket-resolved"),
    )


def test_no_knowledge_candidate_unless_asked() -> None:
    flow = consultation()
    ticket = new_ticket().with_changes(state="expert-working")
    solved = flow.transition(ticket, "solve", roles={"expert"}, fields={"resolution": "x"}, now=T0)
    assert not any(isinstance(e, KnowledgeCandidate) for e in solved.effects)


def test_booking_an_appointment_schedules_a_reminder_two_hours_before() -> None:
    ticket = new_ticket().with_changes(state="expert-working")
    booked = consultation().transition(
        ticket,
        "book-appointment",
        roles={"expert"},
        fields={"appointment_at": "2026-11-24T10:00:00+08:00"},
        now=T0,
    )
    assert booked.ticket.state == "appointment-booked"
    assert consultation().category("appointment-booked") is StateCategory.WAITING
    reminder = [e for e in booked.effects if isinstance(e, CallbackScheduled)]
    at = datetime(2026, 11, 24, 2, 0, tzinfo=UTC).timestamp()  # 10:00 at +08:00
    assert reminder == [CallbackScheduled("appointment-reminder", at - 2 * 3600)]


def test_closing_schedules_the_survey_callback_and_the_survey_closes_the_loop() -> None:
    flow = consultation()
    resolved = new_ticket().with_changes(state="resolved")
    closed = flow.transition(resolved, "close", roles={"system"}, now=T0)
    assert closed.effects == (CallbackScheduled("survey", T0 + 86400),)
    surveyed = flow.transition(
        closed.ticket, "record-survey", roles={"agent"}, fields={"satisfaction": 5}, now=T0
    )
    assert surveyed.ticket.state == "surveyed"
    assert flow.category("surveyed") is StateCategory.CLOSED
    with pytest.raises(InvalidTicket, match=r"field 'satisfaction': 6 is outside 1\.\.5"):
        flow.transition(closed.ticket, "record-survey", roles={"agent"}, fields={"satisfaction": 6}, now=T0)


def test_a_callback_may_name_the_queue_it_is_placed_in() -> None:
    spec = ActionSpec.model_validate(
        {"schedule_callback": {"purpose": "survey", "after": "2h", "queue": "care"}}
    )
    effects = resolve([spec], new_ticket(), actor_agent=None, now=T0)
    assert effects == [CallbackScheduled("survey", T0 + 7200, "care")]
    with pytest.raises(ValueError, match="queue"):
        ActionSpec.model_validate({"schedule_callback": {"purpose": "survey", "after": "2h", "queue": ""}})


def test_waiting_returns_to_the_state_it_left() -> None:
    flow = consultation()
    working = new_ticket().with_changes(state="expert-working")
    waiting = flow.transition(
        working, "wait", roles={"expert"}, fields={"waiting_reason": "customer"}, now=T0
    )
    back = flow.transition(waiting.ticket, "resume", roles={"system"}, now=T0)
    assert back.ticket.state == "expert-working"


def test_a_role_that_may_not_take_a_transition_is_told_who_may() -> None:
    with pytest.raises(TransitionForbidden) as raised:
        consultation().transition(
            new_ticket(), "resolve", roles={"supervisor"}, fields={"resolution": "x"}, now=T0
        )
    assert str(raised.value) == "transition 'resolve' is for agent; you act as supervisor"


def test_required_fields_are_named() -> None:
    with pytest.raises(MissingFields) as raised:
        consultation().transition(new_ticket(), "escalate", roles={"agent"}, now=T0)
    assert str(raised.value) == "transition 'escalate' requires escalation_reason"
    assert raised.value.details["missing"] == ["escalation_reason"]


def test_a_transition_from_another_state_lists_the_possible_ones() -> None:
    with pytest.raises(TransitionNotAvailable) as raised:
        consultation().transition(new_ticket(), "close", roles={"agent"}, now=T0)
    assert str(raised.value) == (
        "ticket 't1' is 'recorded': 'close' is not possible from there (possible: resolve, escalate, wait)"
    )


def test_unknown_transitions_and_fields_are_refused() -> None:
    with pytest.raises(UnknownTransition, match="consultation tickets have no transition 'fly'"):
        consultation().transition(new_ticket(), "fly", roles={"agent"}, now=T0)
    with pytest.raises(InvalidTicket, match="field 'colour' is not a field of consultation tickets"):
        consultation().transition(new_ticket(), "resolve", roles={"agent"}, fields={"colour": "red"}, now=T0)
    with pytest.raises(InvalidTicket, match="ISO 8601 date-time with a UTC offset"):
        consultation().check_fields({"appointment_at": "2026-11-24 10:00"})


def test_available_transitions_depend_on_the_role() -> None:
    flow = consultation()
    assert [t.name for t in flow.available("recorded", {"agent"})] == ["resolve", "escalate", "wait"]
    assert [t.name for t in flow.available("recorded", {"supervisor"})] == ["escalate"]


def test_complaint_escalation_to_the_manager_raises_priority() -> None:
    ticket = new_ticket(TicketType.COMPLAINT, level=2)
    outcome = CONFIG.workflow(TicketType.COMPLAINT).transition(
        ticket, "escalate-to-manager", roles={"supervisor"}, now=T0
    )
    assert outcome.ticket.state == "manager-review"
    assert outcome.ticket.priority is Priority.HIGH
    assert outcome.ticket.assignment == Assignment(queue_id="complaint-desk")
    assert Escalated("complaint-manager", "complaint-desk", Priority.HIGH) in outcome.effects


def test_complaints_need_a_level_and_only_complaints_have_one() -> None:
    check_level(TicketType.COMPLAINT, 3)
    with pytest.raises(InvalidTicket, match=r"a complaint needs a level \(1, 2 or 3\)"):
        check_level(TicketType.COMPLAINT, None)
    with pytest.raises(InvalidTicket, match="complaint level 4 is not 1, 2 or 3"):
        check_level(TicketType.COMPLAINT, 4)
    with pytest.raises(InvalidTicket, match="only complaints have a level"):
        check_level(TicketType.REPAIR, 1)


BROKEN = """\
type: consultation
initial: nowhere
fields:
  resolution: {type: text}
states:
  recorded: {category: open}
  done: {category: closed}
transitions:
  - name: finish
    from: [recorded, limbo]
    to: done
    roles: [agent, wizard]
    requires: [resolution, reason]
  - name: finish
    from: [recorded]
    to: done
    roles: [agent]
    actions:
      - schedule_callback: {purpose: survey, at_field: resolution}
      - notify: {to: customer, template: x}
        assign: {queue: q}
"""


def test_workflow_errors_name_the_file_field_and_line() -> None:
    with pytest.raises(ConfigError) as raised:
        load_workflow(BROKEN, "flows/consultation.yaml")
    lines = str(raised.value).splitlines()
    assert lines == [
        "flows/consultation.yaml:12: transitions[0].roles: unknown role 'wizard'; "
        "use one of agent, expert, supervisor, complaint-manager, sales, system",
        "flows/consultation.yaml:20: transitions[1].actions[1]: give exactly one of assign, notify, "
        "escalate, create_follow_up, schedule_callback, promote_to_knowledge per action (got 2)",
    ]


def test_cross_references_are_checked_with_lines() -> None:
    fixed = BROKEN.replace(", wizard", "").replace("        assign: {queue: q}\n", "")
    with pytest.raises(ConfigError) as raised:
        load_workflow(fixed, "c.yaml")
    assert str(raised.value).splitlines() == [
        "c.yaml:2: initial: unknown state 'nowhere' (states: recorded, done)",
        "c.yaml:10: transitions[0].from[1]: unknown state 'limbo' (states: recorded, done)",
        "c.yaml:13: transitions[0].requires[1]: unknown field 'reason' (declare it under fields)",
        "c.yaml:14: transitions[1].name: transition 'finish' is defined twice",
        "c.yaml:19: transitions[1].actions[0].schedule_callback.at_field: "
        "field 'resolution' is not a datetime",
    ]


def test_yaml_syntax_errors_carry_the_line() -> None:
    with pytest.raises(ConfigError, match=r"^w\.yaml:2: not valid YAML: mapping values are not allowed here"):
        load_workflow("type: lead\ninitial: a: b\n", "w.yaml")


DEAD_ENDS = """\
type: lead
initial: new
states:
  new: {category: open}
  stuck: {category: open}
  orphan: {category: waiting}
  paused: {category: waiting}
  done: {category: closed}
transitions:
  - name: finish
    from: [new]
    to: done
    roles: [sales]
  - name: trap
    from: [new]
    to: stuck
    roles: [sales]
  - name: pause
    from: [new]
    to: paused
    roles: [sales]
  - name: resume
    from: [paused]
    to: "@previous"
    roles: [sales]
"""


def test_unreachable_states_and_dead_ends_are_named() -> None:
    with pytest.raises(ConfigError) as raised:
        load_workflow(DEAD_ENDS, "lead.yaml")
    assert str(raised.value).splitlines() == [
        "lead.yaml:5: states.stuck: no transitions lead from state 'stuck' to a closed state",
        "lead.yaml:6: states.orphan: state 'orphan' cannot be reached from 'new'",
    ]
