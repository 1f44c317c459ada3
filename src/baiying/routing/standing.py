"""Where a waiting contact stands: its position among the contacts the same agents may take, and the
expected wait that follows from it — what a caller on hold is told ("you are number 2 in the queue,
expected wait about 3 minutes").

The position counts the waiting contacts of the contact's bucket (exactly the same agents may take them)
that are ahead of it: higher priority, or the same priority and older (true age), as the router serves
them. Contacts of the same queue that other agents would take (another intent, another site) do not delay
it, and are not counted. The expected wait is the router's own estimate, the one placement uses
(`Router._expected_wait`): `position × handle-time estimate ÷ staffed agents`, where the staffed agents
are those ready or working with every skill the contact needs, at the sites it may be taken at; none
staffed gives `INFINITE_WAIT`.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from baiying.ids import ContactId
from baiying.routing.errors import NoSuchContact
from baiying.routing.model import ANY_SKILL
from baiying.routing.placement import INFINITE_WAIT
from baiying.routing.state import ContactPhase

if TYPE_CHECKING:
    from baiying.routing.router import Router


@dataclass(frozen=True, slots=True)
class QueueStanding:
    position: int  # 1: the next to be offered
    expected_wait_seconds: float  # INFINITE_WAIT when no agent who could take it is staffed

    @property
    def expected_wait_minutes(self) -> int | None:
        """The expected wait in whole minutes, rounded up (at least 1); None when nobody is staffed."""
        if self.expected_wait_seconds == INFINITE_WAIT:
            return None
        return max(1, -int(-self.expected_wait_seconds // 60))


def queue_standing(router: "Router", contact_id: ContactId) -> QueueStanding | None:
    """The standing of a waiting contact; None when it is not waiting (offered to or connected with an
    agent). An unknown contact raises `NoSuchContact`."""
    record = router.contacts.get(contact_id)
    if record is None:
        raise NoSuchContact(f"unknown contact {contact_id}")
    bucket = record.bucket
    if record.phase is not ContactPhase.WAITING or bucket is None:
        return None
    mine = (record.sort_key(), record.entry_seq)
    ahead = sum(1 for other in bucket.in_order() if (other.sort_key(), other.entry_seq) < mine)
    position = ahead + 1
    if bucket.named_agent is not None:
        agent = router.agents.get(bucket.named_agent)
        staffed = 1 if agent is not None else 0
    else:
        staffed = 0
        for site in bucket.sites:
            skills = [skill for skill, _ in bucket.skills] or [ANY_SKILL]
            staffed += min(router._staffing(site, skill).count for skill in skills)
    if staffed <= 0:
        return QueueStanding(position, INFINITE_WAIT)
    return QueueStanding(position, position * record.run.handle_estimate / staffed)
