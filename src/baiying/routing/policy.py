"""Routing policies as data: ordered steps, each a target, a timeout and what happens next.

Like a Twilio TaskRouter workflow, but site-aware. A step's target names required skills with minimum levels
(skill names may use `${language}`, `${intent}`, `${tier}`, `${region}`, `${channel}` from the contact),
the sites whose agents may take the contact, and an optional expression over agent attributes. When a
step's timeout passes, the contact moves to the next step (which usually relaxes levels or widens the
sites), or is offered a callback that keeps its place, or leaves for voicemail or a ticket.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from baiying.ids import PolicyId, SiteId
from baiying.routing.expressions import CompiledExpression, compile_expression
from baiying.routing.model import Contact

TEMPLATE = re.compile(r"\$\{([a-z_]+)\}")
TEMPLATE_FIELDS = frozenset({"language", "intent", "tier", "region", "channel"})


class Selection(StrEnum):
    LONGEST_IDLE = "longest-idle"
    MOST_SKILLED = "most-skilled"
    LEAST_OCCUPIED = "least-occupied"
    ROUND_ROBIN = "round-robin"


class SiteScope(StrEnum):
    PLACEMENT = "placement"  # the site chosen for this contact by multi-site placement
    ANY = "any"  # every site that is not evacuated
    LOCAL = "local"  # the site the contact came in on
    AFFINITY = "affinity"  # the home sites of the contact's language/dialect


class OnTimeout(StrEnum):
    NEXT_STEP = "next-step"
    OFFER_CALLBACK = "offer-callback"
    VOICEMAIL = "voicemail"
    TICKET = "ticket"


@dataclass(frozen=True, slots=True)
class SkillRequirement:
    skill: str  # may contain ${field} templates
    min_level: int

    def resolve(self, contact: Contact) -> str | None:
        """The concrete skill name for this contact; None when a templated field is missing."""
        if "${" not in self.skill:
            return self.skill
        missing = False

        def value(match: re.Match[str]) -> str:
            nonlocal missing
            found = _template_value(contact, match.group(1))
            if found is None:
                missing = True
                return ""
            return found

        resolved = TEMPLATE.sub(value, self.skill)
        return None if missing else resolved


def _template_value(contact: Contact, name: str) -> str | None:
    if name == "channel":
        return str(contact.channel)
    value = getattr(contact, name)
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    skills: tuple[SkillRequirement, ...]
    sites: SiteScope | tuple[SiteId, ...]
    expression: CompiledExpression | None
    timeout_seconds: float | None
    on_timeout: OnTimeout
    priority_add: int = 0
    priority_set: int | None = None

    @property
    def templated(self) -> bool:
        return any("${" in requirement.skill for requirement in self.skills)

    def resolved_skills_fixed(self) -> tuple[tuple[str, int], ...]:
        return tuple((requirement.skill, requirement.min_level) for requirement in self.skills)

    def resolved_skills(self, contact: Contact) -> tuple[tuple[str, int], ...]:
        """Skill requirements for this contact. A requirement on a field the contact lacks (no language
        known, say) is dropped: such a contact needs no skill in it."""
        resolved = []
        for requirement in self.skills:
            name = requirement.resolve(contact)
            if name is not None:
                resolved.append((name, requirement.min_level))
        return tuple(resolved)


@dataclass(frozen=True, slots=True)
class Policy:
    id: PolicyId
    steps: tuple[Step, ...]
    selection: Selection = Selection.LONGEST_IDLE
    description: str = ""


def make_step(
    name: str,
    skills: dict[str, int] | None = None,
    sites: str | list[str] | tuple[str, ...] = SiteScope.PLACEMENT,
    expression: str | None = None,
    timeout_seconds: float | None = None,
    on_timeout: OnTimeout | str = OnTimeout.NEXT_STEP,
    priority_add: int = 0,
    priority_set: int | None = None,
) -> Step:
    """Build a step from plain values (the YAML loader and tests both come through here)."""
    scope: SiteScope | tuple[SiteId, ...]
    scope = SiteScope(sites) if isinstance(sites, str) else tuple(SiteId(s) for s in sites)
    return Step(
        name=name,
        skills=tuple(SkillRequirement(skill, level) for skill, level in (skills or {}).items()),
        sites=scope,
        expression=compile_expression(expression) if expression else None,
        # A float, as typed (YAML and callers may give an int): compiled code would convert an int each time.
        timeout_seconds=None if timeout_seconds is None else float(timeout_seconds),
        on_timeout=OnTimeout(on_timeout),
        priority_add=priority_add,
        priority_set=priority_set,
    )
