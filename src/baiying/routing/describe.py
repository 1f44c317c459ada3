"""Routing configuration in plain words, for `baiying route-check` and the admin screens."""

from baiying.routing.config import RoutingConfig, TimeRule
from baiying.routing.model import Site
from baiying.routing.policy import OnTimeout, Policy, SiteScope, Step

_SELECTION = {
    "longest-idle": "the agent idle longest",
    "most-skilled": "the most skilled agent (then the one idle longest)",
    "least-occupied": "the least occupied agent",
    "round-robin": "agents in turn (round robin)",
}
_SCOPE = {
    SiteScope.PLACEMENT: "at the site chosen for the contact (language affinity, time rules, local site, "
    "or the shortest expected wait)",
    SiteScope.ANY: "at any site that is not evacuated",
    SiteScope.LOCAL: "at the site the contact came in on",
    SiteScope.AFFINITY: "at the home sites of the caller's language",
}
_NEXT = {
    OnTimeout.OFFER_CALLBACK: "offer a callback that keeps the caller's place",
    OnTimeout.VOICEMAIL: "send to voicemail",
    OnTimeout.TICKET: "turn into a ticket",
}


def describe(config: RoutingConfig) -> list[str]:
    lines: list[str] = []
    if config.sites:
        lines.append(f"Sites ({len(config.sites)}):")
        lines.extend(f"  {describe_site(site)}" for site in config.sites.values())
        lines.extend(describe_placement(config))
    for policy in config.policies.values():
        lines.extend(describe_policy(policy))
        users = [q for q in config.queues.values() if q.policy_id == policy.id]
        for queue in users:
            sl = queue.service_level
            lines.append(
                f"  used by queue {queue.id} ({queue.channel.value}): objective {sl.target:.0%} answered "
                f"within {sl.seconds:.0f} s; offers ring {queue.offer_timeout_seconds:.0f} s; "
                f"wrap-up {queue.wrap_up_seconds:.0f} s"
            )
    return lines


def describe_site(site: Site) -> str:
    parts = [f"{site.id} ({site.name}, {site.timezone}"]
    if site.hq:
        parts.append(", headquarters")
    parts.append(
        f", open {_hours(site.hours.start_minute, site.hours.end_minute)})" if site.hours else ", 24x7)"
    )
    if site.languages:
        parts.append(f": home of {', '.join(sorted(site.languages))}")
    return "".join(parts)


def describe_placement(config: RoutingConfig) -> list[str]:
    rules = config.placement
    lines = ["New contacts are placed:"]
    if rules.language_affinity:
        lines.append("  - by language: a caller's dialect goes to its home site when that site is open")
    lines.extend(f"  - {describe_time_rule(rule)}" for rule in rules.time_rules)
    if rules.local_preference:
        lines.append("  - otherwise at the site the contact came in on")
    limit = (
        f"{rules.spill_when_wait_exceeds_seconds:.0f} s"
        if rules.spill_when_wait_exceeds_seconds
        else "the queue's service-level time"
    )
    lines.append(f"  - and spill to the site with the shortest expected wait when it exceeds {limit}")
    return lines


def describe_time_rule(rule: TimeRule) -> str:
    hours = _hours(rule.hours.start_minute, rule.hours.end_minute)
    queues = f" (queues {', '.join(sorted(rule.queues))})" if rule.queues is not None else ""
    return f"{rule.name}: {hours} {rule.timezone}, {rule.share:.0%} of contacts to {rule.to_site}{queues}"


def describe_policy(policy: Policy) -> list[str]:
    choose = _SELECTION[policy.selection.value]
    lines = [
        f"Policy {policy.id}: offer to {choose}" + (f" — {policy.description}" if policy.description else "")
    ]
    for index, step in enumerate(policy.steps, start=1):
        last = index == len(policy.steps)
        lines.append(f"  {index}. {step.name}: {describe_target(step)}")
        if step.priority_set is not None:
            lines.append(f"     priority set to {step.priority_set}")
        elif step.priority_add:
            lines.append(f"     priority {step.priority_add:+d}")
        lines.append(f"     {describe_next(step, last)}")
    return lines


def describe_target(step: Step) -> str:
    if step.skills:
        wanted = " and ".join(
            f"{r.skill.replace('${', '<caller ').replace('}', '>')} ≥ {r.min_level}" for r in step.skills
        )
        who = f"agents with {wanted}"
    else:
        who = "any agent"
    where = _SCOPE[step.sites] if isinstance(step.sites, SiteScope) else f"at {', '.join(step.sites)}"
    text = f"{who} {where}"
    if step.expression is not None:
        text += f", where {step.expression.source}"
    return text


def describe_next(step: Step, last: bool) -> str:
    if step.timeout_seconds is None:
        return "waits here until answered or abandoned"
    after = f"after {step.timeout_seconds:.0f} s"
    if step.on_timeout is OnTimeout.NEXT_STEP:
        return f"{after}: next step"
    action = _NEXT[step.on_timeout]
    if step.on_timeout is OnTimeout.OFFER_CALLBACK and not last:
        return f"{after}: {action}, and go on to the next step"
    if step.on_timeout is OnTimeout.OFFER_CALLBACK:
        return f"{after}: {action}, and keep waiting here"
    return f"{after}: {action}"


def _hours(start: int, end: int) -> str:
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
