"""Settings of the voice connector: addresses and ports (loopback by default), the phone ↔ agent mapping,
the dialled queue names. Loaded from YAML with line-precise errors (`load_voice_settings`)."""

from ipaddress import IPv4Address

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from baiying.telephony.announce import QueueAnnouncement
from baiying.telephony.ivr import Menu
from baiying.yamlconfig import load_model

SIP_USER = r"^[A-Za-z0-9._~-]+$"


class Endpoint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    address: IPv4Address = IPv4Address("127.0.0.1")
    port: int = Field(ge=1, le=65535)

    def __str__(self) -> str:
        return f"{self.address}:{self.port}"


class RecordingPolicy(BaseModel):
    """Which calls are recorded, and where: rtpengine writes a pcap per call into `directory` (its
    --recording-dir), call control turns it into `<directory>/<contact id>.wav` when the call ends."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    directory: str = Field(min_length=1)
    queues: list[str] = Field(default_factory=list)  # the queue ids recorded; empty: every queue

    def covers(self, queue_id: str) -> bool:
        return not self.queues or queue_id in self.queues


class VoiceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant: str = Field(default="lab", min_length=1)
    sip: Endpoint = Endpoint(port=5060)  # Kamailio's SIP listener (UDP), the domain agents register to
    evapi: Endpoint = Endpoint(port=8448)  # Kamailio evapi: call control connects here
    rpc: Endpoint = Endpoint(port=5071)  # Kamailio JSON-RPC over HTTP (status, registered phones)
    rtpengine: Endpoint = Endpoint(port=2223)  # rtpengine's NG control socket (UDP)
    dtmf_log: Endpoint = Endpoint(port=2224)  # where rtpengine reports DTMF (--dtmf-log-dest): call control
    user_agent: Endpoint = Endpoint(port=5062)  # call control's own SIP UA (calls to supervisors' phones)
    media_dir: str = "."  # prompts and hold music are named relative to it
    menus: dict[str, Menu] = Field(default_factory=dict)  # dialled queue name → its IVR menu
    recording: RecordingPolicy | None = None  # no recording unless set
    # queue id → how often its waiting callers hear their position and expected wait: those who came
    # through an IVR menu, and, when it names `hold_music`, those who dialled the queue itself
    announcements: dict[str, QueueAnnouncement] = Field(default_factory=dict)
    # what a caller on hold hears while its agent consults a colleague (attended transfer); silence if unset
    hold_music: str | None = Field(default=None, min_length=1)
    queue_prefix: str = Field(default="queue-", pattern=SIP_USER)  # dial queue-support to reach "support"
    queues: dict[str, str] = Field(default_factory=dict)  # dialled name → queue id (unlisted: same id)
    agents: dict[str, str] = Field(default_factory=dict)  # SIP user of the phone → agent id
    login_on_register: bool = False  # a registering phone logs its agent in (the lab; not production)
    max_queue_seconds: float = Field(default=300, gt=0, le=3600)  # Kamailio's cap on a held INVITE
    modules_path: str = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"

    @field_validator("agents", "queues")
    @classmethod
    def _sip_users(cls, value: dict[str, str]) -> dict[str, str]:
        import re

        for user, target in value.items():
            if not re.match(SIP_USER, user):
                raise ValueError(f"{user!r} is not a SIP user name (letters, digits, . _ ~ -)")
            if not target:
                raise ValueError(f"{user!r} maps to an empty id")
        return value

    @field_validator("agents")
    @classmethod
    def _one_phone_per_agent(cls, value: dict[str, str]) -> dict[str, str]:
        seen: dict[str, str] = {}
        for user, agent in value.items():
            if agent in seen:
                raise ValueError(f"agent {agent!r} has two phones: {seen[agent]!r} and {user!r}")
            seen[agent] = user
        return value

    @model_validator(mode="after")
    def _phones_are_not_queues(self) -> "VoiceSettings":
        # A transfer to a named agent dials its phone user under the queue prefix (queue-agent3): a queue
        # of the same name could not be told apart.
        names = set(self.queues) | set(self.queues.values())
        clash = sorted(user for user in self.agents if user in names)
        if clash:
            raise ValueError(
                f"phone user {clash[0]!r} is also a queue name: {self.queue_prefix}{clash[0]} would be "
                "ambiguous (a transfer to that agent dials it)"
            )
        return self


def load_voice_settings(text: str, source: str) -> VoiceSettings:
    """Parse voice settings YAML; ConfigError names the field and line of every problem."""
    return load_model(text, VoiceSettings, source)
