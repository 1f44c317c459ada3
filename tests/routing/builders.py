"""Named personas and small configurations for routing tests."""

from baiying.ids import AgentId, ContactId, PolicyId, QueueId, SiteId, TeamId
from baiying.routing.config import PlacementRules, RoutingConfig, TimeRule
from baiying.routing.model import AgentProfile, Channel, Contact, DailyHours, Queue, Site
from baiying.routing.policy import Policy, Selection, Step, make_step

BEIJING, GUANGZHOU, XIAMEN, SHANGHAI = (
    SiteId("beijing"),
    SiteId("guangzhou"),
    SiteId("xiamen"),
    SiteId("shanghai"),
)

SITES = {
    BEIJING: Site(BEIJING, "Beijing HQ", languages=frozenset({"cmn"}), hq=True),
    GUANGZHOU: Site(GUANGZHOU, "Guangzhou", languages=frozenset({"yue"})),
    XIAMEN: Site(XIAMEN, "Xiamen", languages=frozenset({"nan"})),
    SHANGHAI: Site(SHANGHAI, "Shanghai", languages=frozenset({"wuu"})),
}


def agent(
    name: str,
    site: SiteId = BEIJING,
    skills: dict[str, int] | None = None,
    chats: int = 0,
    team: str | None = None,
    **attributes: object,
) -> AgentProfile:
    capacity = {Channel.VOICE: 1}
    if chats:
        capacity[Channel.CHAT] = chats
    return AgentProfile(
        AgentId(name),
        site,
        skills if skills is not None else {"billing": 5},
        team_id=TeamId(team) if team else None,
        capacity=capacity,
        attributes=attributes,
    )


def contact(
    cid: str,
    at: float = 0.0,
    queue: str = "billing",
    site: SiteId | None = BEIJING,
    channel: Channel = Channel.VOICE,
    **fields: object,
) -> Contact:
    return Contact(ContactId(cid), QueueId(queue), at, channel=channel, site_id=site, **fields)  # type: ignore[arg-type]


def config(
    *steps: Step,
    selection: Selection = Selection.LONGEST_IDLE,
    wrap_up: float = 0.0,
    offer_timeout: float = 20.0,
    rules: PlacementRules | None = None,
    queues: tuple[str, ...] = ("billing",),
    channel: Channel = Channel.VOICE,
) -> RoutingConfig:
    policy = Policy(PolicyId("p"), steps or (make_step("billing", {"billing": 1}),), selection)
    return RoutingConfig(
        sites=dict(SITES),
        queues={
            QueueId(q): Queue(
                QueueId(q),
                PolicyId("p"),
                channel,
                wrap_up_seconds=wrap_up,
                offer_timeout_seconds=offer_timeout,
            )
            for q in queues
        },
        policies={policy.id: policy},
        placement=rules or PlacementRules(),
    )


def night_rule(share: float = 2 / 3) -> TimeRule:
    return TimeRule("night consolidation", DailyHours(22 * 60, 7 * 60), "Asia/Shanghai", BEIJING, share, None)
