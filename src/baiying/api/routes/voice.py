"""Call control over HTTP, in the server that hosts it (`ApiState.call_control`, set by the host: see
docs/telephony.md): a supervisor's silent monitor of a connected call (role-checked like reading the
contact, plus `monitor`: a supervisor at the contact's site, or an admin), and an agent's attended transfer
(complete or cancel the consultation its phone placed; the agent's own contact, or an admin).

Call control lives on its switch's event loop; a request hands it the command there and waits for the
answer. A server without call control answers 503 `voice-unavailable`; a contact without a connected
call (or consultation) 409; what the switch cannot do (whisper and barge on Kamailio + rtpengine) 501.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

from fastapi import APIRouter, status

from baiying.accounts.policy import Action, Kind
from baiying.accounts.principal import Principal
from baiying.api.deps import ApiState, CenterDep, StateDep, allowed
from baiying.api.routes.live import contact_checked
from baiying.api.schemas import KeyPath
from baiying.api.schemas.voice import ConsultationPublic, MonitorPublic, MonitorRequest, SipUser
from baiying.application.center import LiveCenter
from baiying.errors import DomainError, InvalidTransition
from baiying.ids import ContactId
from baiying.telephony.switch import NotSupported, TelephonyError

if TYPE_CHECKING:
    from baiying.telephony.control import CallControl

router = APIRouter(prefix="/api/voice/contacts", tags=["voice"])
T = TypeVar("T")


class VoiceUnavailable(DomainError):
    code = "voice-unavailable"


class SwitchCannot(DomainError):
    code = "not-supported-by-switch"


def _command(
    state: ApiState,
    center: LiveCenter,
    principal: Principal,
    contact_id: str,
    action: Action,
    command: "Callable[[CallControl], T]",
) -> T:
    """Check the user may act on the contact, then run `command` on call control's loop; a switch's
    refusal becomes the API's 409 (or 501 for what the switch cannot do)."""
    contact_checked(center, principal, contact_id, action)
    control = state.call_control
    if control is None:
        raise VoiceUnavailable("this server does not host call control (no voice switch is connected to it)")
    try:
        return control.on_loop(lambda: command(control))
    except TelephonyError as error:
        raise _switch_refusal(error) from error


def _switch_refusal(error: TelephonyError) -> DomainError:
    if isinstance(error, NotSupported):
        return SwitchCannot(str(error))
    return InvalidTransition(str(error))


@router.post("/{contact_id}/monitor")
def start_monitor(
    contact_id: KeyPath,
    body: MonitorRequest,
    state: StateDep,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.MONITOR, Kind.CONTACT)],
) -> MonitorPublic:
    """Call the supervisor's phone `phone` and let it listen to the contact's call; logged as
    `monitor-started` (who, whom, which phone), and `monitor-stopped` when it ends."""
    contact = ContactId(contact_id)
    agent = _command(
        state,
        center,
        principal,
        contact_id,
        Action.MONITOR,
        lambda control: control.monitor(contact, body.phone, mode=body.mode, by=principal.user_id),
    )
    return MonitorPublic(contact=contact_id, agent=agent, phone=body.phone, mode=body.mode)


@router.delete("/{contact_id}/monitor/{phone}", status_code=status.HTTP_204_NO_CONTENT)
def stop_monitor(
    contact_id: KeyPath,
    phone: SipUser,
    state: StateDep,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.MONITOR, Kind.CONTACT)],
) -> None:
    """Hang up the supervisor's phone that listens to the contact's call."""
    contact = ContactId(contact_id)
    _command(
        state,
        center,
        principal,
        contact_id,
        Action.MONITOR,
        lambda control: control.stop_monitor(contact, phone),
    )


@router.post("/{contact_id}/consultation/complete")
def complete_consultation(
    contact_id: KeyPath,
    state: StateDep,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.CONTACT)],
) -> ConsultationPublic:
    """Attended transfer: the caller (on hold) goes to the agent the consultation reached."""
    contact = ContactId(contact_id)
    agent = _command(
        state,
        center,
        principal,
        contact_id,
        Action.UPDATE,
        lambda control: control.complete_consultation(contact),
    )
    return ConsultationPublic(contact=contact_id, agent=agent)


@router.post("/{contact_id}/consultation/cancel")
def cancel_consultation(
    contact_id: KeyPath,
    state: StateDep,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.CONTACT)],
) -> ConsultationPublic:
    """End the consultation: the caller is taken off hold, back with its agent."""
    contact = ContactId(contact_id)
    _command(
        state,
        center,
        principal,
        contact_id,
        Action.UPDATE,
        lambda control: control.cancel_consultation(contact),
    )
    return ConsultationPublic(contact=contact_id, agent=None)
