"""Call control hosted in `baiying serve`: with `BAIYING_VOICE_SETTINGS` naming a voice settings YAML
(`baiying.telephony.settings`), the server's lifespan starts call control on its own event loop, joined to
the server's `LiveCenter`, so agent desktops (HTTP, WebSocket) and phones (Kamailio) share one router, and
the API's voice routes (`/api/voice/...`) reach it.

What it starts: rtpengine's NG client, call control's SIP user agent (the supervisor's calls), the
Kamailio switch (DTMF log listener; the evapi link, reconnecting whenever it drops) and call control's
timers (maximum queue time, announcements; the center's own deadlines are the server's timer loop's, and
firing them twice is harmless). Kamailio and rtpengine run beside the server (see docs/telephony.md).
Call control commits to the database on the event loop, a few milliseconds per call event.
"""

import asyncio
import contextlib
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from baiying.application.center import LiveCenter
from baiying.telephony.announce import EspeakSpeaker, Speaker
from baiying.telephony.control import CallControl
from baiying.telephony.kamailio import KamailioSwitch
from baiying.telephony.rtpengine import NgClient
from baiying.telephony.settings import VoiceSettings, load_voice_settings
from baiying.telephony.sipua import SipUserAgent

logger = logging.getLogger(__name__)


@dataclass
class HostedVoice:
    settings: VoiceSettings
    control: CallControl
    switch: KamailioSwitch
    media: NgClient
    user_agent: SipUserAgent
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.control.close()
        self.switch.close()
        self.media.close()
        self.user_agent.close()


def read_voice_settings(path: Path) -> VoiceSettings:
    """The voice settings in `path` (ConfigError naming field and line; OSError if unreadable)."""
    return load_voice_settings(path.read_text(encoding="utf-8"), str(path))


async def host_call_control(settings: VoiceSettings, center: LiveCenter) -> HostedVoice:
    """Start call control for `settings.tenant` on the running loop, joined to `center`."""
    media, user_agent = await open_links(settings)
    switch = KamailioSwitch(settings, media, user_agent)
    speaker = EspeakSpeaker(settings.media_dir) if shutil.which("espeak-ng") else None
    control = call_control_for(settings, center, switch, speaker)
    hosted = HostedVoice(settings, control, switch, media, user_agent)
    try:
        await switch.listen_dtmf()
    except OSError:
        await hosted.close()
        raise
    hosted.tasks.append(asyncio.create_task(switch.serve_forever(), name="voice-evapi"))
    hosted.tasks.append(asyncio.create_task(control.run_timers(), name="voice-timers"))
    logger.info("call control for tenant %s: Kamailio evapi at %s", settings.tenant, settings.evapi)
    return hosted


async def open_links(settings: VoiceSettings) -> tuple[NgClient, SipUserAgent]:
    """The NG client to rtpengine and the SIP user agent call control signals with, both opened."""
    media = NgClient(str(settings.rtpengine.address), settings.rtpengine.port, timeout_seconds=0.5)
    await media.open()
    sip = settings.sip
    user_agent = SipUserAgent(
        str(settings.user_agent.address),
        settings.user_agent.port,
        (str(sip.address), sip.port),
        str(sip.address),
    )
    await user_agent.open()
    return media, user_agent


def call_control_for(
    settings: VoiceSettings, center: LiveCenter, switch: KamailioSwitch, speaker: Speaker | None
) -> CallControl:
    """Call control for `settings.tenant` on the running loop, joining `center` and `switch`."""
    return CallControl(
        center,
        settings.tenant,
        switch,
        agents=settings.agents,
        queues=settings.queues,
        menus=settings.menus,
        recording=settings.recording,
        login_on_register=settings.login_on_register,
        max_queue_seconds=settings.max_queue_seconds,
        announcements=settings.announcements,
        speaker=speaker,
        hold_music=settings.hold_music,
        loop=asyncio.get_running_loop(),
    )
