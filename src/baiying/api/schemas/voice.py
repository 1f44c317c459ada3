"""Call control over HTTP: a supervisor's monitor of a call, an agent's attended transfer."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

SipUser = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._~-]{1,64}$")]
"""A phone's SIP user as registered to the switch (`super1`)."""


class MonitorRequest(BaseModel):
    """Listen to the contact's call from a phone registered to the switch."""

    model_config = ConfigDict(extra="forbid")
    phone: SipUser
    mode: Literal["monitor", "whisper", "barge"] = "monitor"


class MonitorPublic(BaseModel):
    contact: str
    agent: str  # whose call the supervisor listens to
    phone: str
    mode: str


class ConsultationPublic(BaseModel):
    contact: str
    agent: str | None  # the agent the caller was transferred to (completed), None (cancelled)
