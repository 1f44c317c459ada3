"""Teams, agents with skills and capacity, queues and routing policies as the admin API reads and
writes them."""

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from baiying.api.schemas import NO_CONTROLS, Id, Name
from baiying.api.schemas.admin import _Input, _Patch
from baiying.routing.model import MAX_SKILL_LEVEL, MIN_SKILL_LEVEL, Channel
from baiying.storage.tables import AgentRow, QueueRow, RoutingPolicyRow, TeamRow

Skill = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")]
"""A skill's name, e.g. `billing` or `lang.yue`: letters, digits, `.`, `_`, `:`, `-`, at most 100."""

Level = Annotated[int, Field(ge=MIN_SKILL_LEVEL, le=MAX_SKILL_LEVEL)]
Slots = Annotated[int, Field(ge=0, le=100)]
AttributeKey = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]{1,100}$")]
AttributeText = Annotated[str, StringConstraints(max_length=1000, pattern=NO_CONTROLS)]
AttributeValue = AttributeText | bool | int | Annotated[float, Field(allow_inf_nan=False)]
Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False, le=86_400)]


# ---- teams -----------------------------------------------------------------------------------------------


class TeamCreate(_Input):
    id: Id
    name: Name
    site_id: Id | None = Field(None, description="None: a team spanning sites.")


class TeamUpdate(_Patch):
    not_null: ClassVar[frozenset[str]] = frozenset({"name"})

    name: Name | None = None
    site_id: Id | None = None


class TeamPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    site_id: str | None

    @classmethod
    def of(cls, row: TeamRow) -> "TeamPublic":
        return cls.model_validate(row)


# ---- agents ----------------------------------------------------------------------------------------------


class AgentCreate(_Input):
    id: Id
    site_id: Id
    team_id: Id | None = None
    display_name: Name
    attributes: dict[AttributeKey, AttributeValue] = Field(default_factory=dict)
    active: bool = True
    skills: dict[Skill, Level] = Field({}, description="Skill name to level, 1 to 10.")
    capacity: dict[Channel, Slots] = Field(
        {}, description="Contacts of each channel taken at once; none given: one call."
    )


class AgentUpdate(_Patch):
    not_null: ClassVar[frozenset[str]] = frozenset(
        {"site_id", "display_name", "attributes", "active", "capacity"}
    )

    site_id: Id | None = None
    team_id: Id | None = None
    display_name: Name | None = None
    attributes: dict[AttributeKey, AttributeValue] | None = None
    active: bool | None = None
    capacity: dict[Channel, Slots] | None = None


class SkillsReplace(_Input):
    skills: dict[Skill, Level] = Field(description="The agent's skills from now on: name to level, 1 to 10.")


class AgentPublic(BaseModel):
    id: str
    site_id: str
    team_id: str | None
    display_name: str
    attributes: dict[str, Any]
    active: bool
    skills: dict[str, int]
    capacity: dict[str, int]

    @classmethod
    def of(cls, row: AgentRow) -> "AgentPublic":
        return cls(
            id=row.id,
            site_id=row.site_id,
            team_id=row.team_id,
            display_name=row.display_name,
            attributes=dict(row.attributes),
            active=row.active,
            skills={s.skill: s.level for s in row.skills},
            capacity={c.channel: c.slots for c in row.capacity},
        )


# ---- queues ----------------------------------------------------------------------------------------------


class QueueCreate(_Input):
    id: Id
    name: Name
    policy_id: Id
    channel: Channel = Channel.VOICE
    wrap_up_seconds: Annotated[float, Field(ge=0, le=86_400, allow_inf_nan=False)] = 0.0
    offer_timeout_seconds: Seconds = 20.0
    expected_handle_seconds: Seconds = 180.0
    sl_seconds: Seconds = 20.0
    sl_target: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.8


class QueueUpdate(_Patch):
    not_null: ClassVar[frozenset[str]] = frozenset(
        {
            "name",
            "policy_id",
            "channel",
            "wrap_up_seconds",
            "offer_timeout_seconds",
            "expected_handle_seconds",
            "sl_seconds",
            "sl_target",
        }
    )

    name: Name | None = None
    policy_id: Id | None = None
    channel: Channel | None = None
    wrap_up_seconds: Annotated[float, Field(ge=0, le=86_400, allow_inf_nan=False)] | None = None
    offer_timeout_seconds: Seconds | None = None
    expected_handle_seconds: Seconds | None = None
    sl_seconds: Seconds | None = None
    sl_target: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = None


class QueuePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    policy_id: str
    channel: Channel
    wrap_up_seconds: float
    offer_timeout_seconds: float
    expected_handle_seconds: float
    sl_seconds: float
    sl_target: float

    @classmethod
    def of(cls, row: QueueRow) -> "QueuePublic":
        return cls.model_validate(row)


# ---- routing policies ------------------------------------------------------------------------------------


class PolicySource(_Input):
    yaml: str = Field(
        description="The policy as YAML: one mapping, as an item of a routing file's `policies`."
    )


class PolicyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    version: int
    updated_at: float
    source: str

    @classmethod
    def of(cls, row: RoutingPolicyRow) -> "PolicyPublic":
        return cls.model_validate(row)


class PolicyChange(PolicyPublic):
    routing_applied: bool = Field(
        description="Whether the live router routes by it now; false while contacts or agents are in the "
        "router (it takes effect once the router is empty, or at the next start)."
    )

    @classmethod
    def changed(cls, row: RoutingPolicyRow, applied: bool) -> "PolicyChange":
        return cls(**PolicyPublic.of(row).model_dump(), routing_applied=applied)
