"""Property-based invariants of the routing engine.

A hypothesis rule-based state machine drives one `Router` through a small multi-site world: the four sites of
`tests.routing.builders`, 6-10 agents with random skills, levels and chat capacity, and 2-3 queues (voice
and chat) whose policies relax skill levels, widen sites, filter on agent attributes, and time out to a
callback offer, voicemail or a ticket, under every selection strategy. Rules log agents in and out, set them
ready or aux, edit their skills, bring in contacts (language, tier, site, priority, true age), answer,
reject, complete, abandon and transfer them, end wrap-ups, open, drain and evacuate sites, make calls the
router must refuse, and move the clock (stepping through every `next_due()`, or jumping). The machine keeps
its own model of every contact and of every agent's work, built only from the calls it made and the
decisions it got back, and checks after every call:

1. a contact being offered or handled is held by exactly one agent;
2. every offer goes to a ready agent with a free slot on the channel, who meets the contact's current step
   (skills and levels, filter, named agent), works at one of the step's sites and has not declined it;
3. no agent holds more than its capacity per channel, and a voice call is alone;
4. no contact disappears: each one that arrived is being routed, completed, abandoned or routed out, and
   the router's contacts are exactly the model's;
5. after every call no waiting contact has an available agent who could take it, and the availability and
   waiting indexes agree with the records;
6. an agent that became free gets the best waiting contacts it may take (priority, then true age, over all
   queues); a contact routed anew goes to the agent its policy's selection strategy prefers;
7. evacuated sites serve nobody, evacuating one loses no waiting contact, and while any site serves every
   waiting contact waits somewhere; the decisions tell the truth (agent-state changes chain, wrap-ups
   finish what was completed, the model's view of every agent's work equals the router's);
8. replaying the calls on a fresh router gives identical decisions; invalid calls raise and change nothing.

Offers (2 and 6) are checked from the decisions of each call against the state before and after it. When
the router is pure Python (installed with BAIYING_PURE_PYTHON=1, or run from src/), `SpyRouter` also checks
every offer at the moment it is made, including those made inside `advance()` and evacuations; a compiled
Router cannot be subclassed, so there the decision-level checks stand alone.

The `test_bug_*` tests at the end are minimal reproductions of router bugs the machine found; they fail
until the router is fixed.
"""

import hashlib
import os
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from baiying.errors import DomainError
from baiying.ids import AgentId, ContactId, PolicyId, QueueId, SiteId
from baiying.routing.config import PlacementRules, RoutingConfig
from baiying.routing.decisions import (
    AgentStateChanged,
    Decision,
    Enqueue,
    OfferCallback,
    OfferToAgent,
    Overflow,
    RouteOut,
    RouteOutDestination,
    WithdrawOffer,
    WrapUpFinished,
)
from baiying.routing.model import (
    EXCLUSIVE_CHANNELS,
    AgentProfile,
    AgentState,
    Channel,
    Contact,
    Queue,
    SiteStatus,
)
from baiying.routing.policy import OnTimeout, Policy, Selection, SiteScope, Step, make_step
from baiying.routing.router import Router
from baiying.routing.selection import fits
from baiying.routing.state import AgentRecord, ContactPhase, ContactRecord, Phase
from tests.routing.builders import BEIJING, GUANGZHOU, SITES, XIAMEN, agent, config, contact, night_rule

REPO = Path(__file__).resolve().parents[2]
SITE_IDS = tuple(SITES)
T0 = 1_709_301_000.0  # 2024-03-01 21:50 in Shanghai: the night rule (22:00-07:00) starts ten minutes in
SKILLS = ("billing", "sales", "lang.yue", "lang.cmn", "lang.nan", "lang.wuu")
LANGUAGES = (None, "cmn", "yue", "nan", "wuu")
TIERS = (None, "gold", "silver")
SENIOR_OR_NOT_GOLD = 'agent.senior == True or contact.tier != "gold"'
QUEUE_KINDS = {
    "billing": ("billing", Channel.VOICE),
    "chat": ("sales", Channel.CHAT),
    "vip": ("billing", Channel.VOICE),
}
ROUTING = ("waiting", "offered", "connected")  # model statuses of contacts the router still holds
DONE = ("completed", "abandoned", "routed-out")
RESERVED, ACTIVE, WRAP_UP = Phase.RESERVED.value, Phase.ACTIVE.value, Phase.WRAP_UP.value
Call = tuple[str, tuple[Any, ...], dict[str, Any], "list[Decision] | type[DomainError]"]
World = tuple[RoutingConfig, tuple[AgentProfile, ...]]


# ---- the world ----------------------------------------------------------------------------------------


@st.composite
def policies(draw: st.DrawFn, policy_id: str, skill: str) -> Policy:
    """2-3 steps: levels relax step by step, sites widen, the last may time out to a callback offer,
    voicemail or a ticket."""
    count = draw(st.integers(2, 3))
    top = draw(st.integers(1, 8))
    steps: list[Step] = []
    for index in range(count):
        last = index == count - 1
        skills = {skill: max(1, top - 3 * index)}
        if index == 0 and draw(st.integers(0, 2)) == 0:
            skills["lang.${language}"] = draw(st.integers(1, 5))
        if last and draw(st.integers(0, 3)) == 0:
            skills = {}
        sites: str | list[str]
        if index == 0:
            sites = draw(st.sampled_from(["placement", "placement", "local", "affinity"]))
        else:
            sites = draw(st.sampled_from(["any", "any", "placement", ["beijing", "guangzhou"], ["xiamen"]]))
        timeout: float | None
        if last:
            on_timeout = draw(st.sampled_from(list(OnTimeout)))
            timeout = None if on_timeout is OnTimeout.NEXT_STEP else float(draw(st.integers(10, 60)))
        else:
            on_timeout = draw(
                st.sampled_from([OnTimeout.NEXT_STEP, OnTimeout.NEXT_STEP, OnTimeout.OFFER_CALLBACK])
            )
            timeout = float(draw(st.integers(3, 30)))
        steps.append(
            make_step(
                f"step {index + 1}",
                skills,
                sites,
                expression=SENIOR_OR_NOT_GOLD if draw(st.integers(0, 5)) == 0 else None,
                timeout_seconds=timeout,
                on_timeout=on_timeout,
                priority_add=draw(st.sampled_from([0, 0, 1])),
            )
        )
    return Policy(PolicyId(policy_id), tuple(steps), draw(st.sampled_from(list(Selection))))


@st.composite
def routing_configs(draw: st.DrawFn) -> RoutingConfig:
    names = ["billing", "chat"] + (["vip"] if draw(st.booleans()) else [])
    queues: dict[QueueId, Queue] = {}
    found: dict[PolicyId, Policy] = {}
    for name in names:
        skill, channel = QUEUE_KINDS[name]
        policy = draw(policies(f"{name}-policy", skill))
        found[policy.id] = policy
        queues[QueueId(name)] = Queue(
            QueueId(name),
            policy.id,
            channel,
            wrap_up_seconds=float(draw(st.sampled_from([0, 0, 5, 12]))),
            offer_timeout_seconds=float(draw(st.integers(4, 20))),
            expected_handle_seconds=60.0,
        )
    rules = PlacementRules(
        language_affinity=draw(st.booleans()),
        local_preference=draw(st.booleans()),
        spill_when_wait_exceeds_seconds=draw(st.sampled_from([None, 15.0, 120.0])),
        time_rules=(night_rule(),) if draw(st.booleans()) else (),
    )
    return RoutingConfig(sites=dict(SITES), queues=queues, policies=found, placement=rules)


skill_maps = st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 10), min_size=0, max_size=3)


@st.composite
def agent_profiles(draw: st.DrawFn, index: int) -> AgentProfile:
    skills = dict(draw(skill_maps))
    for queue_skill in draw(st.sampled_from([("billing",), ("sales",), ("billing", "sales")])):
        skills[queue_skill] = draw(st.integers(2, 10))
    chats = draw(st.sampled_from([0, 0, 2, 3]))
    capacity: dict[Channel, int] = {}
    if not chats or draw(st.integers(0, 3)) > 0:
        capacity = {Channel.VOICE: 1}
    if chats:
        capacity[Channel.CHAT] = chats
    return AgentProfile(
        AgentId(f"a{index}"),
        draw(st.sampled_from(SITE_IDS)),
        skills,
        capacity=capacity,
        attributes={"senior": draw(st.booleans())},
    )


@st.composite
def worlds(draw: st.DrawFn) -> World:
    routing = draw(routing_configs())
    count = draw(st.integers(6, 10))
    return routing, tuple(draw(agent_profiles(index)) for index in range(count))


# ---- the specification, written out again -------------------------------------------------------------


def serving(router: Router) -> tuple[SiteId, ...]:
    return tuple(s for s, status in router.placer.status.items() if status is not SiteStatus.EVACUATED)


def step_of(record: ContactRecord, step_index: int | None = None) -> Step:
    return record.policy.steps[record.step_index if step_index is None else step_index]


def allowed_sites(router: Router, record: ContactRecord) -> tuple[SiteId, ...]:
    """The sites whose agents may take the contact in its current step: never an evacuated one."""
    scope = step_of(record).sites
    live = serving(router)
    placement = tuple(s for s in record.placement if s in live)
    if record.named_agent is not None or scope is SiteScope.PLACEMENT:
        return placement
    if scope is SiteScope.ANY:
        return live
    if scope is SiteScope.LOCAL:
        local = record.contact.site_id
        return (local,) if local in live else placement
    if scope is SiteScope.AFFINITY:
        language = record.contact.language
        return tuple(s for s in live if language in SITES[s].languages) or placement
    assert isinstance(scope, tuple)
    return tuple(s for s in scope if s in live) or placement


def required_skills(record: ContactRecord, step_index: int | None = None) -> tuple[tuple[str, int], ...]:
    if record.named_agent is not None:
        return ()
    return step_of(record, step_index).resolved_skills(record.contact)


def unfit_reason(agent: AgentRecord, record: ContactRecord, step_index: int | None = None) -> str | None:
    """Why the agent may not take the contact in its (current) step, or None if it may (sites aside)."""
    if record.named_agent is not None:
        return None if agent.profile.id == record.named_agent else f"it waits for agent {record.named_agent}"
    step = step_of(record, step_index)
    for skill, level in required_skills(record, step_index):
        have = agent.profile.skills.get(skill, 0)
        if have < level:
            return f"step '{step.name}' needs {skill} >= {level}, the agent has {have}"
    if step.expression is not None and not step.expression.matches(agent.view, record.view):
        return f"the filter {step.expression.source!r} of step '{step.name}' excludes the agent"
    return None


def declined(agent: AgentRecord, record: ContactRecord) -> bool:
    return record.declined_by is not None and agent.profile.id in record.declined_by


def holds(agent: AgentRecord, contact_id: ContactId) -> bool:
    """Does the agent still hold the contact (it may be wrapping it up after transferring it on)?"""
    return any(item.contact_id == contact_id for item in agent.items.values())


def could_take(
    router: Router, agent: AgentRecord, record: ContactRecord, channels: Iterable[Channel]
) -> bool:
    return (
        record.contact.channel in set(channels)
        and agent.site_id in allowed_sites(router, record)
        and not declined(agent, record)
        and not holds(agent, record.id)
        and unfit_reason(agent, record) is None
    )


def open_channels(
    presence: AgentState, capacity: Mapping[Channel, int], in_hand: list[Channel]
) -> set[Channel]:
    """Channels on which an agent can take one more contact: a voice call is alone, others up to capacity."""
    if presence is not AgentState.READY or set(in_hand) & EXCLUSIVE_CHANNELS:
        return set()
    counts = Counter(in_hand)
    if not in_hand:
        return {channel for channel, slots in capacity.items() if slots > 0}
    return {c for c, slots in capacity.items() if c not in EXCLUSIVE_CHANNELS and counts[c] < slots}


def age_key(record: ContactRecord) -> tuple[int, float]:
    """Higher priority first, then the oldest (true age)."""
    return (-record.priority, record.contact.arrived_at)


@dataclass(frozen=True)
class Ranking:
    """What the selection strategies rank an available agent by."""

    avail_seq: int
    last_offer_seq: int
    occupancy: float

    @staticmethod
    def of(agent: AgentRecord, now: float) -> "Ranking":
        return Ranking(agent.avail_seq, agent.last_offer_seq, agent.occupancy(now))

    def score(self, record: ContactRecord, agent: AgentRecord) -> tuple[float, ...]:
        """How the contact's policy ranks the agent; smaller is better."""
        strategy = record.policy.selection
        if strategy is Selection.LONGEST_IDLE:
            return (self.avail_seq,)
        if strategy is Selection.MOST_SKILLED:
            required = required_skills(record)
            level = agent.profile.skills.get(required[0][0], 0) if required else 0
            return (-level, self.avail_seq)
        if strategy is Selection.LEAST_OCCUPIED:
            return (self.occupancy, self.avail_seq)
        return (self.last_offer_seq, self.avail_seq)


@dataclass(frozen=True)
class WaitingBefore:
    """A waiting contact as it was just before a call."""

    record: ContactRecord
    step_index: int
    named_agent: AgentId | None
    placement: tuple[SiteId, ...]
    sites: tuple[SiteId, ...]
    declined: frozenset[AgentId]
    key: tuple[int, float]

    def same_target(self, record: ContactRecord) -> bool:
        """Is the contact still in the same step, for the same agent, at the same place?"""
        return (
            self.record is record
            and self.step_index == record.step_index
            and self.named_agent == record.named_agent
            and self.placement == record.placement
        )


@dataclass(frozen=True)
class Before:
    waiting: dict[ContactId, WaitingBefore]
    available: dict[AgentId, tuple[frozenset[Channel], Ranking]]


def before_call(router: Router, now: float) -> Before:
    waiting = {
        r.id: WaitingBefore(
            r,
            r.step_index,
            r.named_agent,
            r.placement,
            tuple(r.bucket.sites),
            frozenset(r.declined_by or ()),
            age_key(r),
        )
        for r in router.contacts.values()
        if r.phase is ContactPhase.WAITING and r.bucket is not None
    }
    available = {a: (frozenset(r.available_in), Ranking.of(r, now)) for a, r in router.agents.items()}
    return Before(waiting, available)


def describe_agent(agent: AgentRecord) -> str:
    items = ", ".join(f"{i.contact_id}:{i.channel.value}:{i.phase.value}" for i in agent.items.values())
    capacity = {str(k): v for k, v in agent.profile.capacity.items()}
    return (
        f"agent {agent.profile.id}@{agent.site_id} {agent.presence.value} "
        f"skills={dict(agent.profile.skills)} capacity={capacity} items=[{items}] "
        f"available_in={sorted(agent.available_in)}"
    )


def describe_contact(record: ContactRecord) -> str:
    contact = record.contact
    return (
        f"contact {record.id} ({record.queue.id}, {contact.channel.value}, lang={contact.language}, "
        f"tier={contact.tier}, priority={record.priority}, arrived {contact.arrived_at - T0:+.1f}, "
        f"{record.phase.value}, step '{step_of(record).name}', placement={record.placement}, "
        f"named={record.named_agent}, declined_by={sorted(record.declined_by or ())})"
    )


# ---- an optional spy: exact checks at the moment of each offer (pure-Python router only) ----------------


def check_offer_as_made(
    router: Router, record: ContactRecord, agent: AgentRecord, now: float, *, agent_side: bool
) -> None:
    """Invariants 2 and 6 at the moment of an offer, with the agent and contact as they were just before."""
    offer = f"offer of {record.id} to {agent.profile.id} at t={now - T0:+.1f}"
    channel = record.contact.channel
    assert agent.presence is AgentState.READY, f"{offer}: the agent is {agent.presence.value}, not ready"
    open_now = open_channels(
        agent.presence, agent.profile.capacity, [i.channel for i in agent.items.values()]
    )
    assert channel in open_now, f"{offer}: no free {channel.value} slot: {describe_agent(agent)}"
    assert record.phase is ContactPhase.WAITING, f"{offer}: {describe_contact(record)}"
    assert not declined(agent, record), f"{offer}: the agent declined it before"
    reason = unfit_reason(agent, record)
    assert reason is None, f"{offer}: {reason} ({describe_contact(record)})"
    sites = allowed_sites(router, record)
    assert agent.site_id in sites, (
        f"{offer}: the agent's site {agent.site_id} is not one of the step's {sites}"
    )
    if agent_side:
        better = [
            other
            for other in router.contacts.values()
            if other is not record
            and other.phase is ContactPhase.WAITING
            and other.bucket is not None
            and could_take(router, agent, other, open_now)
            and age_key(other) < age_key(record)
        ]
        assert not better, (
            f"{offer} (the agent became free) skips a better contact it could take: "
            f"{describe_contact(better[0])} is ahead of {describe_contact(record)}"
        )
    else:
        assert channel in agent.available_in, f"{offer} (for the contact) to an agent not filed as available"
        rivals = [a for a in router.agents.values() if channel in a.available_in]
        scores = {
            a.profile.id: Ranking.of(a, now).score(record, a)
            for a in rivals
            if a is agent or could_take(router, a, record, {channel})
        }
        best = min(scores, key=scores.__getitem__)
        mine = scores[agent.profile.id]
        assert mine <= scores[best], (
            f"{offer} ({record.policy.selection.value}): "
            f"agent {best} scores {scores[best]}, better than {mine}"
        )


def _make_spy() -> type[Router] | None:
    """A Router subclass that checks every offer as it is made, or None when the router is compiled
    (mypyc: interpreted classes cannot inherit from compiled ones). It behaves exactly like Router."""

    class SpyRouter(Router):
        def __init__(self, routing: RoutingConfig) -> None:
            super().__init__(routing)
            self.freed: list[AgentId] = []  # agents being given work because they became free

        def _agent_changed(self, agent: AgentRecord, now: float, out: list[Decision]) -> None:
            self.freed.append(agent.profile.id)
            try:
                super()._agent_changed(agent, now, out)
            finally:
                self.freed.pop()

        def _offer(self, record: ContactRecord, agent: AgentRecord, *args: Any) -> None:
            now = next(a for a in args if isinstance(a, float))
            agent_side = bool(self.freed) and self.freed[-1] == agent.profile.id
            check_offer_as_made(self, record, agent, now, agent_side=agent_side)
            super()._offer(record, agent, *args)

    try:
        SpyRouter(config())
    except TypeError:
        return None
    return SpyRouter


SPY_ROUTER = _make_spy()


# ---- snapshots and replay -----------------------------------------------------------------------------


def snapshot(router: Router) -> tuple[Any, ...]:
    """Everything a call could change, for checking that a rejected call changed nothing."""
    agents = sorted(
        (
            agent_id,
            a.presence,
            a.aux_reason,
            sorted((i.contact_id, i.phase, i.channel, i.since) for i in a.items.values()),
            sorted(a.available_in),
            a.avail_seq,
            a.last_offer_seq,
            a.worked_seconds,
            a.reported_state,
            a.reported_reason,
            a.state_since,
            a.profile,
        )
        for agent_id, a in router.agents.items()
    )
    contacts = sorted(
        (
            contact_id,
            r.phase,
            r.agent_id,
            tuple(r.bucket.sites) if r.bucket is not None else None,
            r.bucket.skills if r.bucket is not None else None,
            r.priority,
            r.step_index,
            r.placement,
            sorted(r.declined_by or ()),
            r.callback,
            r.step_deadline,
            r.named_agent,
            r.contact,
            r.queue.id,
        )
        for contact_id, r in router.contacts.items()
    )
    return (
        agents,
        contacts,
        router.next_due(),
        sorted(router.placer.status.items()),
        sorted(r.id for r in router.waiting.all_waiting()),
    )


def explained(decisions: list[Decision]) -> list[str]:
    return [d.explain() for d in decisions]


def replay(routing: RoutingConfig, log: list[Call]) -> None:
    """Invariant 8: the same calls on a fresh router give the same decisions (or the same error)."""
    router = Router(routing)
    for step, (name, args, kwargs, expected) in enumerate(log):
        if isinstance(expected, list):
            got = getattr(router, name)(*args, **kwargs)
            assert got == expected, f"replay differs at call {step} ({name}): {got} != {expected}"
            assert explained(got) == explained(expected)
        else:
            with pytest.raises(expected):
                getattr(router, name)(*args, **kwargs)


# ---- the state machine --------------------------------------------------------------------------------


class RouterMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.log: list[Call] = []
        self.status: dict[ContactId, str] = {}  # waiting / offered / connected / completed / abandoned / ...
        self.holder: dict[ContactId, AgentId] = {}  # who is offered or handling it
        # Each agent's work as (contact, reserved / active / wrap-up): a contact transferred on may ring
        # at the agent still wrapping up its first leg, so this is a multiset.
        self.held: dict[AgentId, Counter[tuple[ContactId, str]]] = {}
        self.reported: dict[AgentId, tuple[str, str | None]] = {}  # last AgentStateChanged per agent
        self.channels: dict[ContactId, Channel] = {}
        self.arrivals = 0

    @initialize(world=worlds(), logged_in=st.integers(0, 6))
    def build(self, world: World, logged_in: int) -> None:
        self.routing, pool = world
        self.router = (SPY_ROUTER or Router)(self.routing)
        self.profiles = {p.id: p for p in pool}
        for profile in pool[:logged_in]:
            self.call("login", profile, self.now, freed=profile.id)

    # ---- calling the router and following its decisions ---------------------------------------------

    def call(
        self,
        name: str,
        *args: Any,
        freed: AgentId | None = None,
        placed: ContactId | None = None,
        **kwargs: Any,
    ) -> list[Decision]:
        """Call the router, follow its decisions in the model, and check the offers it made. `freed`: the
        one agent that may take more work after this call; `placed`: the one contact being routed anew."""
        before = before_call(self.router, self.now)
        decisions: list[Decision] = getattr(self.router, name)(*args, **kwargs)
        self.log.append((name, args, kwargs, decisions))
        for decision in decisions:
            self.absorb(decision)
        self.check_offers(name, decisions, before, freed, placed)
        return decisions

    def attempt(self, name: str, *args: Any, freed: AgentId | None = None, **kwargs: Any) -> None:
        """A call the router may take or refuse; refused, it must change nothing."""
        before = snapshot(self.router)
        refused: DomainError | None = None
        try:
            self.call(name, *args, freed=freed, **kwargs)
        except DomainError as error:
            refused = error
        if refused is not None:
            self.log.append((name, args, kwargs, type(refused)))
            assert snapshot(self.router) == before, f"{name}{args} raised {refused!r} but changed the router"

    def expect_rejected(self, name: str, *args: Any, **kwargs: Any) -> None:
        """An invalid call raises a DomainError and changes nothing."""
        before = snapshot(self.router)
        with pytest.raises(DomainError) as raised:
            getattr(self.router, name)(*args, **kwargs)
        self.log.append((name, args, kwargs, type(raised.value)))
        assert snapshot(self.router) == before, f"{name}{args} raised {raised.value!r} but changed the router"

    def absorb(self, decision: Decision) -> None:
        status = self.status
        match decision:
            case OfferToAgent(contact_id=c, agent_id=a):
                assert status.get(c) == "waiting", f"{c} offered to {a} while {status.get(c)}"
                status[c], self.holder[c] = "offered", a
                self.shift(a, c, None, RESERVED)
                self.check_model_capacity(a)
            case WithdrawOffer(contact_id=c, agent_id=a):
                assert status.get(c) == "offered", f"withdrawing {c} from {a}, but it is {status.get(c)}"
                assert self.holder.get(c) == a, (
                    f"withdrawing {c} from {a}, but it rings at {self.holder.get(c)}"
                )
                self.shift(a, c, RESERVED, None)
                del self.holder[c]
                status[c] = "waiting"
            case Enqueue(contact_id=c, site_ids=sites):
                assert status.get(c) == "waiting", f"{c} enqueued while {status.get(c)}"
                live = serving(self.router)
                assert set(sites) <= set(live), f"{c} enqueued at {sites}, but only {live} are serving"
            case OfferCallback(contact_id=c):
                assert status.get(c) == "waiting", f"callback offered to {c} while {status.get(c)}"
            case RouteOut(contact_id=c):
                assert status.get(c) == "waiting", f"{c} routed out while {status.get(c)}"
                status[c] = "routed-out"
            case Overflow(contact_id=c, to_site_id=site):
                assert status.get(c) == "waiting", f"{c} overflows while {status.get(c)}"
                assert site in serving(self.router), f"{c} overflows to {site}, which is evacuated"
            case WrapUpFinished(agent_id=a, contact_id=c):
                self.shift(a, c, WRAP_UP, None)
            case AgentStateChanged(agent_id=a, state=state, previous=previous, reason=reason):
                last = self.reported.get(a, (AgentState.OFFLINE, None))
                assert previous == last[0], f"{a} went {previous} → {state}, but was last reported {last[0]}"
                self.reported[a] = (state, reason)
            case _:
                raise AssertionError(f"unknown decision {decision!r}")

    def shift(self, agent_id: AgentId, contact_id: ContactId, old: str | None, new: str | None) -> None:
        """The agent's work on a contact changes phase (None: it starts or ends)."""
        work = self.held.setdefault(agent_id, Counter())
        if old is not None:
            assert work[(contact_id, old)] > 0, (
                f"{agent_id} does not hold {contact_id} as {old}: {dict(work)}"
            )
            work[(contact_id, old)] -= 1
            if not work[(contact_id, old)]:
                del work[(contact_id, old)]
        if new is not None:
            work[(contact_id, new)] += 1

    def check_model_capacity(self, agent_id: AgentId) -> None:
        """Invariant 3 at the moment of each offer (the model's view of the agent's work)."""
        profile = self.router.agents[agent_id].profile
        work = self.held[agent_id]
        channels = Counter(self.channels[c] for (c, _), n in work.items() for _ in range(n))
        for channel, count in channels.items():
            assert count <= profile.capacity_for(channel), (
                f"{agent_id} holds {count} {channel} contacts: {work}"
            )
        if channels.total() > 1:
            assert not set(channels) & EXCLUSIVE_CHANNELS, (
                f"{agent_id} holds a voice contact beside others: {work}"
            )

    def check_offers(
        self,
        name: str,
        decisions: list[Decision],
        before: Before,
        freed: AgentId | None,
        placed: ContactId | None,
    ) -> None:
        """Invariants 2 and 6 from the decisions: every offer still ringing after the call went to a ready
        agent who meets the contact's step and works at one of its sites; an agent that became free got the
        best contacts waiting for it; a contact routed anew went to the agent its strategy prefers."""
        router = self.router
        for index, offer in enumerate(decisions):
            if not isinstance(offer, OfferToAgent):
                continue
            c, a = offer.contact_id, offer.agent_id
            record = router.contacts.get(c)
            if record is None or record.phase is ContactPhase.WAITING or record.agent_id != a:
                continue  # withdrawn again in the same call (a clock jump past the offer timeout)
            agent = router.agents[a]
            text = f"{name}: offer of {c} to {a}"
            # Another offer to the agent may ring out later in the same call, sending it to aux ("missed").
            missed = any(
                isinstance(d, WithdrawOffer) and d.agent_id == a and d.reason == "missed"
                for d in decisions[index:]
            )
            if not missed:
                assert agent.presence is AgentState.READY, f"{text}: {describe_agent(agent)}"
            assert offer.site_id == agent.site_id
            assert not declined(agent, record), f"{text}: the agent declined it before"
            reason = unfit_reason(agent, record)
            assert reason is None, f"{text}: {reason} ({describe_contact(record)})"
            was = before.waiting.get(c)
            if was is not None and was.same_target(record) and name != "set_site_status":
                sites = was.sites  # exactly where it waited before the call
            else:
                sites = allowed_sites(router, record)
            assert agent.site_id in sites, f"{text}: the agent's site is not one of the step's {sites}"
            if a == freed:
                self.check_best_contact_for(agent, record, decisions, index, before, text)
            elif c == placed:
                self.check_best_agent_for(record, agent, before, text)

    def check_best_contact_for(
        self,
        agent: AgentRecord,
        record: ContactRecord,
        decisions: list[Decision],
        index: int,
        before: Before,
        text: str,
    ) -> None:
        """Invariant 6: an agent that became free gets the highest-priority, oldest contact it may take."""
        a = agent.profile.id
        in_hand = Counter(i.contact_id for i in agent.items.values())
        for position, later in enumerate(decisions[index:], start=index):
            if isinstance(later, OfferToAgent) and later.agent_id == a:
                in_hand[later.contact_id] -= 1
            elif (
                position > index
                and isinstance(later, (WrapUpFinished, WithdrawOffer))
                and later.agent_id == a
            ):
                in_hand[later.contact_id] += 1
        channels = open_channels(
            agent.presence,
            agent.profile.capacity,
            [self.channels[c] for c, n in in_hand.items() for _ in range(n)],
        )
        taken = {d.contact_id for d in decisions[:index] if isinstance(d, OfferToAgent)}
        assert record.id in before.waiting, f"{text} (the agent became free): the contact was not waiting"
        for was in before.waiting.values():
            other = was.record
            if other is record or other.id in taken or other.contact.channel not in channels:
                continue
            if agent.site_id not in was.sites or a in was.declined or holds(agent, other.id):
                continue
            if unfit_reason(agent, other, was.step_index) is None and was.key < before.waiting[record.id].key:
                raise AssertionError(
                    f"{text} (the agent became free) skips a better contact it could take: "
                    f"{describe_contact(other)} is ahead of {describe_contact(record)}"
                )

    def check_best_agent_for(
        self, record: ContactRecord, agent: AgentRecord, before: Before, text: str
    ) -> None:
        """A contact routed anew goes to the available agent its policy's selection strategy prefers."""
        channel = record.contact.channel
        sites = allowed_sites(self.router, record)
        scores: dict[AgentId, tuple[float, ...]] = {}
        for agent_id, (available_in, ranking) in before.available.items():
            other = self.router.agents.get(agent_id)
            if other is None or channel not in available_in or other.site_id not in sites:
                continue
            if other is not agent and holds(other, record.id):
                continue  # still wrapping up the contact's previous leg
            if unfit_reason(other, record) is None and not declined(other, record):
                scores[agent_id] = ranking.score(record, other)
        mine = scores.get(agent.profile.id)
        assert mine is not None, f"{text}: the agent was not available for it before the call"
        best = min(scores, key=scores.__getitem__)
        assert mine <= scores[best], (
            f"{text} ({record.policy.selection.value}): "
            f"agent {best} scores {scores[best]}, better than {mine}"
        )

    def release(self, contact_id: ContactId) -> AgentId:
        """The contact leaves the agent handling it (completed or transferred): the agent wraps up."""
        agent_id = self.holder.pop(contact_id)
        self.shift(agent_id, contact_id, ACTIVE, WRAP_UP)
        return agent_id

    def wrapping(self) -> list[AgentId]:
        return sorted(a for a, work in self.held.items() if any(phase == WRAP_UP for _, phase in work))

    def contacts_in(self, *statuses: str) -> list[ContactId]:
        return sorted(c for c, s in self.status.items() if s in statuses)

    def agents_where(self, test: Callable[[AgentRecord], bool]) -> list[AgentId]:
        return sorted(a for a, record in self.router.agents.items() if test(record))

    # ---- time -----------------------------------------------------------------------------------------

    @rule(
        seconds=st.sampled_from([0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 45.0, 120.0]),
        stepwise=st.sampled_from([True, True, True, False]),
    )
    def time_passes(self, seconds: float, stepwise: bool) -> None:
        """Advance to every deadline in turn, then to the new time; or jump there in one call (the router
        then fires the deadlines in between, in order, by itself)."""
        target = self.now + seconds
        while stepwise and (due := self.router.next_due()) is not None and due <= target:
            self.now = max(self.now, due)
            self.call("advance", self.now)
        self.now = target
        self.call("advance", self.now)

    # ---- agents ---------------------------------------------------------------------------------------

    @precondition(
        lambda self: (
            len(self.router.agents) < len(self.profiles)
            or any(a.presence is AgentState.OFFLINE for a in self.router.agents.values())
        )
    )
    @rule(data=st.data(), ready=st.sampled_from([True, True, True, False]))
    def login(self, data: st.DataObject, ready: bool) -> None:
        """Log in; or, for an agent logging out after its work in hand, log in again before it ends."""
        gone = sorted(set(self.profiles) - set(self.router.agents))
        leaving = self.agents_where(lambda a: a.presence is AgentState.OFFLINE)
        agent_id = data.draw(st.sampled_from(gone + leaving))
        profile = self.profiles[agent_id]
        if agent_id in leaving:
            self.attempt("login", profile, self.now, freed=agent_id, ready=ready)
        elif self.router.placer.status[profile.site_id] is SiteStatus.EVACUATED:
            self.expect_rejected("login", profile, self.now, ready=ready)
        else:
            self.call("login", profile, self.now, freed=agent_id, ready=ready)

    @precondition(lambda self: bool(self.router.agents))
    @rule(
        data=st.data(),
        action=st.sampled_from(["ready", "ready", "aux", "logout", "skills"]),
        skills=skill_maps,
    )
    def agent_changes(self, data: st.DataObject, action: str, skills: dict[str, int]) -> None:
        """Ready, aux (on a break), log out (after the work in hand), or an admin edits the skills."""
        if action in ("ready", "aux"):
            candidates = self.agents_where(lambda a: a.presence is not AgentState.OFFLINE)
            if not candidates:
                return
            agent_id = data.draw(st.sampled_from(candidates))
            if action == "ready":
                self.call("set_ready", agent_id, self.now, freed=agent_id)
            else:
                self.call("set_aux", agent_id, data.draw(st.sampled_from(["break", "lunch"])), self.now)
            return
        agent_id = data.draw(st.sampled_from(sorted(self.router.agents)))
        if action == "logout":
            self.call("logout", agent_id, self.now)
        else:
            profile = replace(self.router.agents[agent_id].profile, skills=skills)
            self.profiles[agent_id] = profile
            self.call("update_profile", profile, self.now, freed=agent_id)

    @precondition(lambda self: bool(self.wrapping()))
    @rule(data=st.data())
    def end_wrap_up(self, data: st.DataObject) -> None:
        agent_id = data.draw(st.sampled_from(self.wrapping()))
        self.call("end_wrap_up", agent_id, self.now, freed=agent_id)

    # ---- contacts -------------------------------------------------------------------------------------

    @rule(
        data=st.data(),
        language=st.sampled_from(LANGUAGES),
        tier=st.sampled_from(TIERS),
        site=st.sampled_from((None, *SITE_IDS)),
        priority=st.sampled_from([0, 0, 0, 1, 2]),
        age=st.sampled_from([0.0, 0.0, 0.0, 4.0, 30.0]),
    )
    def arrive(
        self,
        data: st.DataObject,
        language: str | None,
        tier: str | None,
        site: SiteId | None,
        priority: int,
        age: float,
    ) -> None:
        queue = self.routing.queues[data.draw(st.sampled_from(sorted(self.routing.queues)))]
        contact_id = ContactId(f"c{self.arrivals}")
        self.arrivals += 1
        new = Contact(
            contact_id,
            queue.id,
            self.now - age,
            channel=queue.channel,
            site_id=site,
            language=language,
            tier=tier,
            priority=priority,
        )
        self.status[contact_id], self.channels[contact_id] = "waiting", queue.channel
        self.call("arrive", new, self.now, placed=contact_id)

    @precondition(lambda self: bool(self.contacts_in("offered")))
    @rule(data=st.data(), take=st.sampled_from([True, True, True, False]))
    def answer(self, data: st.DataObject, take: bool) -> None:
        contact_id = data.draw(st.sampled_from(self.contacts_in("offered")))
        agent_id = self.holder[contact_id]
        if take:
            self.status[contact_id] = "connected"
            self.shift(agent_id, contact_id, RESERVED, ACTIVE)
            self.call("accept", contact_id, agent_id, self.now)
        else:
            self.call("reject", contact_id, agent_id, self.now, freed=agent_id)

    @precondition(lambda self: bool(self.contacts_in("connected")))
    @rule(data=st.data())
    def complete(self, data: st.DataObject) -> None:
        contact_id = data.draw(st.sampled_from(self.contacts_in("connected")))
        agent_id = self.release(contact_id)
        self.status[contact_id] = "completed"
        self.call("complete", contact_id, self.now, freed=agent_id)

    @precondition(lambda self: bool(self.contacts_in("waiting", "offered")))
    @rule(data=st.data(), callback=st.sampled_from([False, False, True]))
    def customer_acts(self, data: st.DataObject, callback: bool) -> None:
        """The customer hangs up (waiting or ringing), or takes the callback offer (waiting)."""
        contact_id = data.draw(st.sampled_from(self.contacts_in("waiting", "offered")))
        if callback and self.status[contact_id] == "waiting":
            self.call("accept_callback", contact_id, self.now)
            return
        self.call("abandon", contact_id, self.now, freed=self.holder.get(contact_id))
        assert self.status[contact_id] == "waiting"
        self.status[contact_id] = "abandoned"

    @precondition(lambda self: bool(self.contacts_in("waiting", "offered", "connected")))
    @rule(data=st.data(), destination=st.sampled_from(list(RouteOutDestination)))
    def route_out(self, data: st.DataObject, destination: RouteOutDestination) -> None:
        """An adapter routes the contact out (a call's maximum queue time) while it waits or rings; a
        connected contact is refused."""
        contact_id = data.draw(st.sampled_from(self.contacts_in("waiting", "offered", "connected")))
        if self.status[contact_id] == "connected":
            self.expect_rejected("route_out", contact_id, destination, "too late", self.now)
            return
        holder = self.holder.get(contact_id)
        self.call("route_out", contact_id, destination, "maximum queue time", self.now, freed=holder)
        assert self.status[contact_id] == "routed-out"

    @precondition(lambda self: bool(self.contacts_in("waiting", "connected")))
    @rule(data=st.data(), to_agent=st.booleans())
    def transfer(self, data: st.DataObject, to_agent: bool) -> None:
        """To another queue (keeping its true age), or to one named agent (who is logged in)."""
        contact_id = data.draw(st.sampled_from(self.contacts_in("waiting", "connected")))
        placed = contact_id if self.status[contact_id] == "waiting" else None
        if self.status[contact_id] == "connected":
            self.release(contact_id)
        self.status[contact_id] = "waiting"
        targets = self.agents_where(lambda a: a.presence is not AgentState.OFFLINE)
        if to_agent and targets:
            agent_id = data.draw(st.sampled_from(targets))
            self.call("transfer_to_agent", contact_id, agent_id, self.now, placed=placed)
        else:
            queue_id = data.draw(st.sampled_from(sorted(self.routing.queues)))
            self.call("transfer_to_queue", contact_id, queue_id, self.now, placed=placed)

    # ---- sites ----------------------------------------------------------------------------------------

    @rule(site=st.sampled_from(SITE_IDS), status=st.sampled_from(list(SiteStatus)))
    def set_site_status(self, site: SiteId, status: SiteStatus) -> None:
        waiting_before = self.contacts_in("waiting")
        self.call("set_site_status", site, status, self.now)
        if status is not SiteStatus.EVACUATED:
            return
        # Invariant 7: evacuation loses nothing and leaves nothing waiting for the site.
        for contact_id in waiting_before:
            assert self.status[contact_id] in ("waiting", "offered"), (
                f"evacuating {site}: {contact_id} was waiting and is now {self.status[contact_id]}"
            )
        for record in self.router.contacts.values():
            if record.phase is ContactPhase.WAITING:
                assert record.bucket is not None, (
                    f"evacuating {site}: {describe_contact(record)} is in no bucket"
                )
                assert site not in record.bucket.sites, (
                    f"evacuated {site} still serves {describe_contact(record)}"
                )
                assert site not in record.placement, f"evacuated {site} is still where {record.id} is placed"
        for agent_record in self.router.agents.values():
            if agent_record.site_id == site:
                assert all(i.phase is not Phase.RESERVED for i in agent_record.items.values()), (
                    f"an offer still rings at evacuated {site}: {describe_agent(agent_record)}"
                )

    # ---- invalid calls --------------------------------------------------------------------------------

    @rule(data=st.data())
    def invalid_call(self, data: st.DataObject) -> None:
        """A call the router must refuse (DomainError) without changing anything."""
        now, router = self.now, self.router
        nobody, ghost = ContactId("nobody"), AgentId("ghost")
        options: list[tuple[str, tuple[Any, ...]]] = [
            ("accept", (nobody, AgentId("a0"), now)),
            ("complete", (nobody, now)),
            ("abandon", (nobody, now)),
            ("logout", (ghost, now)),
            ("set_ready", (ghost, now)),
            ("end_wrap_up", (ghost, now)),
            ("transfer_to_queue", (nobody, QueueId("billing"), now)),
            ("set_site_status", (SiteId("atlantis"), SiteStatus.OPEN, now)),
            ("arrive", (Contact(ContactId("stray"), QueueId("no-such-queue"), now), now)),
        ]
        agent_ids = sorted(self.profiles)
        for contact_id in self.contacts_in(*ROUTING):
            state = self.status[contact_id]
            options.append(("arrive", (Contact(contact_id, QueueId("billing"), now), now)))  # a duplicate
            options.append(("transfer_to_queue", (contact_id, QueueId("no-such-queue"), now)))
            options.append(("transfer_to_agent", (contact_id, ghost, now)))
            for agent_id in agent_ids:
                if state != "offered" or self.holder[contact_id] != agent_id:
                    options.append(("accept", (contact_id, agent_id, now)))
                    options.append(("reject", (contact_id, agent_id, now)))
            if state != "connected":
                options.append(("complete", (contact_id, now)))
            else:
                options.append(("abandon", (contact_id, now)))
            if state == "offered":
                options.append(("transfer_to_queue", (contact_id, QueueId("billing"), now)))
                options.append(("accept_callback", (contact_id, now)))
                for agent_id in self.agents_where(lambda a: a.presence is not AgentState.OFFLINE):
                    options.append(("transfer_to_agent", (contact_id, agent_id, now)))
        for agent_id, record in router.agents.items():
            other_site = next(s for s in SITE_IDS if s != record.site_id)
            options.append(("update_profile", (replace(record.profile, site_id=other_site), now)))
            if all(i.phase is not Phase.WRAP_UP for i in record.items.values()):
                options.append(("end_wrap_up", (agent_id, now)))
            if record.presence is not AgentState.OFFLINE:
                options.append(("login", (record.profile, now)))
            else:  # logging out after the work in hand
                options.append(("login", (replace(record.profile, skills={"other": 1}), now)))
                options.append(("set_ready", (agent_id, now)))
                options.append(("set_aux", (agent_id, "break", now)))
                for contact_id in self.contacts_in("waiting", "connected"):
                    options.append(("transfer_to_agent", (contact_id, agent_id, now)))
        for agent_id, profile in self.profiles.items():
            if agent_id not in router.agents:
                options.append(("update_profile", (profile, now)))
                options.append(("logout", (agent_id, now)))
                if router.placer.status[profile.site_id] is SiteStatus.EVACUATED:
                    options.append(("login", (profile, now)))
        name, args = data.draw(st.sampled_from(options))
        self.expect_rejected(name, *args)

    # ---- invariants after every step ------------------------------------------------------------------

    @invariant()
    def no_deadline_is_overdue(self) -> None:
        due = self.router.next_due()
        assert due is None or due > self.now, (
            f"a deadline at {due - T0:+.1f} is overdue at {self.now - T0:+.1f}"
        )

    @invariant()
    def a_contact_in_hand_is_held_by_exactly_one_agent(self) -> None:
        """Invariant 1 (wrap-ups aside: a transferred contact may be wrapped up by one agent while it
        rings at another)."""
        holders: dict[ContactId, list[AgentId]] = {}
        for agent_id, record in self.router.agents.items():
            for item in record.items.values():
                if item.phase is not Phase.WRAP_UP:
                    holders.setdefault(item.contact_id, []).append(agent_id)
        for contact_id, record in self.router.contacts.items():
            if record.phase is ContactPhase.WAITING:
                assert contact_id not in holders, f"waiting {contact_id} is held by {holders[contact_id]}"
            else:
                assert holders.get(contact_id) == [record.agent_id], (
                    f"{record.phase.value} {contact_id} (agent {record.agent_id}) "
                    f"is held by {holders.get(contact_id)}"
                )
        stray = set(holders) - set(self.router.contacts)
        assert not stray, f"agents hold {sorted(stray)}, which the router no longer routes"

    @invariant()
    def no_agent_holds_more_than_its_capacity(self) -> None:
        """Invariant 3."""
        for record in self.router.agents.values():
            channels = Counter(item.channel for item in record.items.values())
            for channel, count in channels.items():
                assert count <= record.profile.capacity_for(channel), (
                    f"over capacity: {describe_agent(record)}"
                )
            if set(channels) & EXCLUSIVE_CHANNELS:
                assert len(record.items) == 1, f"a voice contact is not alone: {describe_agent(record)}"

    @invariant()
    def no_contact_disappears(self) -> None:
        """Invariant 4: every arrival is routed, completed, abandoned or routed out; the router agrees."""
        counts = Counter(self.status.values())
        assert sum(counts.values()) == self.arrivals
        assert set(counts) <= {*ROUTING, *DONE}, counts
        routing = {c for c, s in self.status.items() if s in ROUTING}
        found = set(self.router.contacts)
        assert found == routing, (
            f"the router has {sorted(found - routing)} extra and lost {sorted(routing - found)}"
        )
        for contact_id, record in self.router.contacts.items():
            assert record.phase.value == self.status[contact_id], (
                f"{describe_contact(record)}, but the decisions say {self.status[contact_id]}"
            )
            if record.phase is not ContactPhase.WAITING:
                assert record.agent_id == self.holder[contact_id]

    @invariant()
    def the_decisions_tell_every_agents_work_and_state(self) -> None:
        """Invariant 7: the model built from the decisions matches the router's agents."""
        for agent_id, record in self.router.agents.items():
            got = Counter((i.contact_id, i.phase.value) for i in record.items.values())
            want = self.held.get(agent_id, Counter())
            assert got == want, f"{describe_agent(record)}, but the decisions say {dict(want)}"
            state = record.state()
            assert self.reported.get(agent_id) == state, (
                f"{agent_id} is {state}, but was last reported {self.reported.get(agent_id)}"
            )
        for agent_id, work in self.held.items():
            if agent_id not in self.router.agents:
                assert not work, f"{agent_id} is gone, but the decisions say it holds {work}"
                assert self.reported[agent_id][0] == AgentState.OFFLINE, (
                    f"{agent_id} is gone, not reported offline"
                )

    @invariant()
    def no_waiting_contact_has_a_free_agent(self) -> None:
        """Invariant 5, with the availability index it relies on."""
        router = self.router
        agents = list(router.agents.values())
        for record in agents:
            expected = open_channels(
                record.presence, record.profile.capacity, [i.channel for i in record.items.values()]
            )
            assert record.available_in == expected, f"availability out of date: {describe_agent(record)}"
        for channel in Channel:
            for site in SITE_IDS:
                indexed = set(router.available.at_site(channel, site))
                expected_ids = {
                    a.profile.id for a in agents if a.site_id == site and channel in a.available_in
                }
                assert indexed == expected_ids, (
                    f"{channel.value} at {site}: index {indexed} != {expected_ids}"
                )
        for waiter in router.contacts.values():
            bucket = waiter.bucket
            if waiter.phase is not ContactPhase.WAITING:
                continue
            assert bucket is not None, f"waiting but in no bucket: {describe_contact(waiter)}"
            for candidate in agents:
                missed = (
                    bucket.channel in candidate.available_in
                    and candidate.site_id in bucket.sites
                    and not declined(candidate, waiter)
                    and not holds(candidate, waiter.id)
                    and fits(candidate, bucket)
                )
                assert not missed, f"missed match: {describe_contact(waiter)} and {describe_agent(candidate)}"
                assert not could_take(router, candidate, waiter, candidate.available_in), (
                    f"missed match (by the policy): {describe_contact(waiter)} "
                    f"and {describe_agent(candidate)}"
                )

    @invariant()
    def waiting_contacts_wait_where_their_step_says(self) -> None:
        router = self.router
        waiting = [r for r in router.contacts.values() if r.phase is ContactPhase.WAITING]
        for record in router.contacts.values():
            if record.phase is not ContactPhase.WAITING:
                assert record.bucket is None, f"not waiting, but filed: {describe_contact(record)}"
        for record in waiting:
            bucket = record.bucket
            assert bucket is not None
            assert bucket.channel is record.contact.channel
            assert bucket.named_agent == record.named_agent
            assert bucket.skills == required_skills(record), (
                f"{describe_contact(record)} filed under {bucket.skills}"
            )
            sites = allowed_sites(router, record)
            assert set(bucket.sites) == set(sites), (
                f"{describe_contact(record)} filed at {bucket.sites}, not {sites}"
            )
        assert {r.id for r in router.waiting.all_waiting()} == {r.id for r in waiting}

    @invariant()
    def evacuated_sites_serve_nobody_and_every_waiting_contact_waits_somewhere(self) -> None:
        """Invariant 7, at all times: no agent works from an evacuated site and no contact waits for one;
        while any site serves, every waiting contact waits at one or more sites."""
        live = serving(self.router)
        for record in self.router.contacts.values():
            if record.phase is ContactPhase.WAITING and record.bucket is not None:
                assert set(record.bucket.sites) <= set(live), (
                    f"{describe_contact(record)} waits at {record.bucket.sites}; only {live} serve"
                )
                assert record.bucket.sites or not live, (
                    f"{describe_contact(record)} waits at no site although {live} serve"
                )
        for record in self.router.agents.values():
            if record.site_id not in live:
                assert record.presence is AgentState.OFFLINE, (
                    f"at an evacuated site: {describe_agent(record)}"
                )

    def teardown(self) -> None:
        if hasattr(self, "routing"):
            replay(self.routing, self.log)


RouterMachine.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
TestRouterInvariants = RouterMachine.TestCase


# ---- determinism: the same operations give the same decisions ------------------------------------------

OP_KINDS = (
    "tick",
    "tick",
    "login",
    "logout",
    "ready",
    "aux",
    "skills",
    "arrive",
    "arrive",
    "accept",
    "accept",
    "reject",
    "complete",
    "wrap",
    "abandon",
    "callback",
    "to-queue",
    "to-agent",
    "site",
)
operations = st.lists(
    st.tuples(st.sampled_from(OP_KINDS), st.integers(0, 999), st.integers(0, 999)), min_size=1, max_size=80
)
Transcript = list[tuple[str, "list[Decision] | str"]]


def run_script(world: World, ops: Iterable[tuple[str, int, int]]) -> Transcript:
    """Interpret abstract operations against a fresh router; indexes pick from the live state, so every
    operation means something (or is refused: the error's code goes in the transcript)."""
    routing, pool = world
    router = Router(routing)
    queues = sorted(routing.queues)
    now = T0
    transcript: Transcript = []

    def do(name: str, *args: Any, **kwargs: Any) -> None:
        try:
            transcript.append((name, getattr(router, name)(*args, **kwargs)))
        except DomainError as refused:
            transcript.append((name, refused.code))

    for number, (kind, i, j) in enumerate(ops):
        agents, contacts = sorted(router.agents), sorted(router.contacts)
        offered = [c for c in contacts if router.contacts[c].phase is ContactPhase.OFFERED]
        connected = [c for c in contacts if router.contacts[c].phase is ContactPhase.CONNECTED]
        if kind == "tick":
            target = now + 1 + i % 40
            while (due := router.next_due()) is not None and due <= target:
                now = max(now, due)
                do("advance", now)
            now = target
            do("advance", now)
        elif kind == "login":
            do("login", pool[i % len(pool)], now, ready=j % 4 != 0)
        elif kind == "arrive":
            queue = routing.queues[queues[i % len(queues)]]
            new = Contact(
                ContactId(f"c{number}"),
                queue.id,
                now - (j % 3) * 7,
                channel=queue.channel,
                site_id=(None, *SITE_IDS)[j % 5],
                language=LANGUAGES[(j // 5) % 5],
                tier=TIERS[(j // 25) % 3],
                priority=(i // 7) % 3,
            )
            do("arrive", new, now)
        elif kind == "site":
            do("set_site_status", SITE_IDS[i % len(SITE_IDS)], list(SiteStatus)[j % 3], now)
        elif kind in ("accept", "reject") and offered:
            contact_id = offered[i % len(offered)]
            do(kind, contact_id, router.contacts[contact_id].agent_id, now)
        elif kind == "complete" and connected:
            do("complete", connected[i % len(connected)], now)
        elif kind in ("abandon", "callback", "to-queue", "to-agent") and contacts:
            contact_id = contacts[i % len(contacts)]
            if kind == "abandon":
                do("abandon", contact_id, now)
            elif kind == "callback":
                do("accept_callback", contact_id, now)
            elif kind == "to-queue":
                do("transfer_to_queue", contact_id, queues[j % len(queues)], now)
            elif agents:
                do("transfer_to_agent", contact_id, agents[j % len(agents)], now)
        elif agents:
            agent_id = agents[i % len(agents)]
            if kind == "logout":
                do("logout", agent_id, now)
            elif kind == "ready":
                do("set_ready", agent_id, now)
            elif kind == "aux":
                do("set_aux", agent_id, "break", now)
            elif kind == "wrap":
                do("end_wrap_up", agent_id, now)
            elif kind == "skills":
                skills = {SKILLS[k]: 1 + (j + k) % 10 for k in range(len(SKILLS)) if (j >> k) & 1}
                do("update_profile", replace(router.agents[agent_id].profile, skills=skills), now)
    return transcript


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=worlds(), ops=operations)
def test_the_same_operations_give_the_same_decisions(world: World, ops: list[tuple[str, int, int]]) -> None:
    """Invariant 8: the router is a pure function of its inputs (no clock, no randomness, no set order)."""
    first, second = run_script(world, ops), run_script(world, ops)
    assert first == second
    assert [explained(d) if isinstance(d, list) else d for _, d in first] == [
        explained(d) if isinstance(d, list) else d for _, d in second
    ]


def fixed_world() -> World:
    """A hand-made world for comparing runs across processes."""
    billing = Policy(
        PolicyId("billing-policy"),
        (
            make_step("skilled", {"billing": 5, "lang.${language}": 3}, timeout_seconds=10),
            make_step("anyone", {"billing": 1}, sites="any", timeout_seconds=40, on_timeout="voicemail"),
        ),
        Selection.MOST_SKILLED,
    )
    chat = Policy(
        PolicyId("chat-policy"),
        (
            make_step("local", {"sales": 3}, sites="local", timeout_seconds=8, on_timeout="offer-callback"),
            make_step("wide", {"sales": 1}, sites="any"),
        ),
        Selection.LEAST_OCCUPIED,
    )
    queues = {
        QueueId("billing"): Queue(
            QueueId("billing"), billing.id, Channel.VOICE, 5.0, offer_timeout_seconds=8
        ),
        QueueId("chat"): Queue(QueueId("chat"), chat.id, Channel.CHAT, offer_timeout_seconds=6),
    }
    routing = RoutingConfig(
        dict(SITES), queues, {billing.id: billing, chat.id: chat}, PlacementRules(time_rules=(night_rule(),))
    )
    languages = ("lang.cmn", "lang.yue", "lang.nan", "lang.wuu")
    pool = tuple(
        AgentProfile(
            AgentId(f"a{i}"),
            SITE_IDS[i % 4],
            {"billing": 1 + 3 * i % 10, "sales": 1 + 7 * i % 10, languages[i % 4]: 5},
            capacity={Channel.VOICE: 1, Channel.CHAT: i % 3},
        )
        for i in range(8)
    )
    return routing, pool


def transcript_digest() -> str:
    rng = random.Random(20261123)
    ops = [(rng.choice(OP_KINDS), rng.randrange(1000), rng.randrange(1000)) for _ in range(600)]
    return hashlib.sha256(repr(run_script(fixed_world(), ops)).encode()).hexdigest()


def test_decisions_do_not_depend_on_the_hash_seed() -> None:
    """Invariant 8 across processes: string hashing (and so set order) changes between runs."""
    child = f"import sys; sys.path.insert(0, {str(REPO)!r}); from {__name__} import transcript_digest; "
    child += "print(transcript_digest())"
    digests = {transcript_digest()}
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", child],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        digests.add(done.stdout.strip())
    assert len(digests) == 1, digests


# ---- regressions: edge cases, and minimal reproductions of router bugs the machine found -------------

C1, LI_NA, BILLING = ContactId("c1"), AgentId("li-na"), QueueId("billing")


def offers_in(decisions: list[Decision]) -> list[tuple[str, str]]:
    return [(d.contact_id, d.agent_id) for d in decisions if isinstance(d, OfferToAgent)]


def test_a_freed_agent_takes_the_oldest_contact_across_queues_by_true_age() -> None:
    router = Router(config(make_step("any", {"billing": 1}, sites="any"), queues=("billing", "loans")))
    router.arrive(contact("old", 0, queue="loans"), 0)
    router.arrive(contact("new", 5, queue="billing"), 5)
    router.transfer_to_queue(ContactId("old"), BILLING, 10)  # keeps its age: it arrived at 0
    assert offers_in(router.login(agent("li-na"), 20)) == [("old", "li-na")]


def test_evacuation_takes_back_the_offer_ringing_there_and_routes_the_contact_elsewhere() -> None:
    router = Router(config(make_step("any", {"billing": 1}, sites="any")))
    router.login(agent("gz", GUANGZHOU), 0)
    router.arrive(contact("c1", 1, site=GUANGZHOU), 1)  # rings at gz
    router.login(agent("bj", BEIJING), 2)
    decisions = router.set_site_status(GUANGZHOU, SiteStatus.EVACUATED, 3)
    assert WithdrawOffer(C1, BILLING, AgentId("gz"), "site-evacuated") in decisions
    assert offers_in(decisions) == [("c1", "bj")]


def test_fixed_a_chat_transferred_back_to_its_queue_keeps_the_wrap_up_of_its_first_leg() -> None:
    """BUG: an agent's work is keyed by contact id. A connected chat transferred to a queue is offered back
    to the same agent while that agent wraps up the first leg: the ringing offer replaces the wrap-up item,
    whose WrapUpFinished never comes, and the agent holds one contact fewer than it works on."""
    router = Router(config(make_step("any", {"billing": 1}), wrap_up=30, channel=Channel.CHAT))
    router.login(agent("li-na", chats=2), 0)
    router.arrive(contact("c1", 0, channel=Channel.CHAT), 0)
    router.accept(C1, LI_NA, 1)
    router.transfer_to_queue(C1, BILLING, 5)
    work = [(item.contact_id, item.phase) for item in router.agents[LI_NA].items.values()]
    assert (C1, Phase.WRAP_UP) in work, f"li-na wraps up c1's first leg until 35, but holds {work}"
    decisions = router.advance(35)
    assert WrapUpFinished(LI_NA, C1, BILLING, BEIJING, 30.0) in decisions


def test_fixed_a_contact_that_arrived_while_every_site_was_evacuated_is_routed_once_one_reopens() -> None:
    """BUG: placed while every site is evacuated, a contact waits at no site ("waiting until one reopens"),
    but reopening a site does not place it again: with a placement step it waits at no site for ever,
    although an agent who could take it is free."""
    router = Router(config())
    for site in SITES:
        router.set_site_status(site, SiteStatus.EVACUATED, 0)
    router.arrive(contact("c1", 1), 1)
    router.set_site_status(BEIJING, SiteStatus.OPEN, 2)
    assert offers_in(router.login(agent("li-na"), 3)) == [("c1", "li-na")]


def test_a_refused_call_loses_no_decision_of_the_deadlines_it_fired() -> None:
    """Deadlines are facts of time: a call at 30 fires the ring-no-answer due at 10 even if the call itself
    is refused; what that deadline decided comes out with the next call, never lost."""
    router = Router(config(offer_timeout=10))
    router.login(agent("li-na"), 0)
    router.arrive(contact("c1", 0), 0)  # rings at li-na until 10
    with pytest.raises(DomainError):
        router.login(agent("li-na"), 30)  # already logged in
    assert WithdrawOffer(C1, BILLING, LI_NA, "missed") in router.advance(30)
    assert router.advance(31) == []


def test_fixed_an_agent_logged_out_by_an_evacuation_cannot_log_in_again_at_the_evacuated_site() -> None:
    """BUG: logging in again while logging out after the work in hand skips the evacuated-site check, so
    an agent on a call when its site was evacuated comes back ready at that site."""
    router = Router(config())
    router.login(agent("gz", GUANGZHOU), 0)
    router.arrive(contact("c1", 0, site=GUANGZHOU), 0)
    router.accept(C1, AgentId("gz"), 1)
    router.set_site_status(GUANGZHOU, SiteStatus.EVACUATED, 2)  # gz finishes the call, then is logged out
    with pytest.raises(DomainError):
        router.login(agent("gz", GUANGZHOU), 3)


def test_fixed_a_contact_ringing_elsewhere_during_an_evacuation_does_not_go_back_to_the_evacuated_site() -> (
    None
):
    """BUG: evacuation re-places only the contacts waiting at that moment. A contact placed at several sites
    (none took new contacts) and ringing at an agent of another one keeps the evacuated site in its
    placement, and waits there again when the offer is rejected."""
    router = Router(config())
    for site in SITES:
        router.set_site_status(site, SiteStatus.DRAINING, 0)
    router.login(agent("li-na"), 0)
    router.arrive(contact("c1", 1), 1)  # waits at every serving site; rings at li-na in Beijing
    router.set_site_status(XIAMEN, SiteStatus.EVACUATED, 2)
    (enqueued,) = [d for d in router.reject(C1, LI_NA, 3) if isinstance(d, Enqueue)]
    assert XIAMEN not in enqueued.site_ids


def test_fixed_pressing_ready_again_does_not_cost_an_idle_agent_its_place() -> None:
    """BUG (fairness): set_ready for an agent already ready and idle changes nothing visible, but re-files it
    at the back of the longest-idle order: the next contact goes to an agent idle for less time."""
    router = Router(config())
    router.login(agent("li-na"), 0)
    router.login(agent("wang-fang"), 10)
    assert router.set_ready(LI_NA, 20) == []
    assert offers_in(router.arrive(contact("c1", 30), 30)) == [("c1", "li-na")]  # idle 30 s, not 20 s


def test_fixed_an_admin_skill_edit_does_not_cost_an_idle_agent_its_place() -> None:
    """BUG (fairness): update_profile re-files the agent at the back of the longest-idle order."""
    router = Router(config())
    router.login(agent("li-na"), 0)
    router.login(agent("wang-fang"), 10)
    router.update_profile(agent("li-na", skills={"billing": 6}), 20)
    assert offers_in(router.arrive(contact("c1", 30), 30)) == [("c1", "li-na")]
