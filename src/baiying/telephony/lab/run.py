"""Run the voice lab inside a private network namespace and write what happened as JSON.

    timeout 120 unshare -n python -m baiying.telephony.lab.run --out DIR --scenario queue

must be started inside a fresh network namespace (it brings `lo` up and adds a veth carrying 127.0.0.2/32,
because baresip will not use `lo` for its SDP). It writes Kamailio's configuration from the lab settings,
a SQLite database with the lab's contact center, starts Kamailio, Baiying call control (in this process:
LiveCenter + CallControl + KamailioSwitch), two baresip agents (registered one after the other, so agent1
is the longest idle) and the scenario's sipp callers; then stops every process it started, by PID, and
writes DIR/result.json: sipp exit codes, the agents' baresip events and Baiying's event log.

Scenarios: `queue` (three callers, two agents: the third waits for the first agent who hangs up),
`abandon` (both agents busy, a third caller hangs up while queued: 487), `rona` (agent1's phone does not
answer: agent1 goes to aux, the call rings agent2), `nophone` (agent1 is logged in from its desktop but its
phone never registered: Kamailio finds no contact, the offer is rejected and the call rings agent2),
`menu` (agent3 talks to a caller of the tech queue; a second caller dials the IVR, hears the prompt as
early media through rtpengine, presses 2 — technical support — and waits with hold music for the one agent
with that skill, agent3, though agent1 idles longer, hearing its position and expected wait after 2 s of
music, then the music again),
`record` (a caller whose voice is a 1000 Hz tone talks to agent1, whose phone sends 440 Hz; rtpengine
records the call and call control writes it as the contact's WAV), `transfer` (the caller is a baresip
phone sending 1000 Hz; agent1 answers, then transfers it to the tech queue from its phone — a REFER —, the
caller's phone calls that queue and agent3 answers), `transfer-agent` (agent1's phone transfers the
baresip caller to agent3 by name — a REFER to queue-agent3 —, agent3 answers; a supervisor's phone, a sipp
UAS registered as super1, is called by call control with rtpengine's subscription of both legs and hears
both — the lab measures the two streams it receives —; then Baiying transfers the caller back to
agent-001 by name, as the API's transfer does, and the supervisor's call is hung up). Every lab queue is
recorded.
"""

import argparse
import asyncio
import contextlib
import json
import logging
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from baiying.application.center import LiveCenter
from baiying.clock import SystemClock
from baiying.ids import AgentId, QueueId
from baiying.telephony import netstring
from baiying.telephony.announce import Announcement, EspeakSpeaker, QueueAnnouncement
from baiying.telephony.control import CallControl
from baiying.telephony.host import call_control_for, open_links
from baiying.telephony.kamailio import KamailioSwitch, render_config
from baiying.telephony.lab import lab_file, lab_settings, prepare_database
from baiying.telephony.lab.prompts import make_media, tone_pcap
from baiying.telephony.recording import PCMA, RATE, dominant_hz, g711_to_linear
from baiying.telephony.rtpengine import NgClient, NgTimeout
from baiying.telephony.settings import VoiceSettings
from baiying.telephony.sipua import SipUserAgent
from baiying.telephony.switch import CallEvent, PhoneRegistered

log = logging.getLogger("baiying.voice-lab")
SCENARIOS = (
    "queue", "abandon", "maxqueue", "rona", "nophone", "menu", "record", "transfer", "transfer-api",
    "transfer-agent", "attended", "restart",
)  # fmt: skip
MAX_QUEUE_SECONDS = {"maxqueue": 8.0}  # Kamailio's cap on a held INVITE, when not the settings' (300 s)
# Scenarios whose support callers (no menu) hold with music and hear their standing every second of it
HOLD_MUSIC = {"abandon": QueueAnnouncement(every_seconds=1, hold_music="music.wav")}
CALLER_TONE_HZ = 1000
SDP_ADDRESS = "127.0.0.2"
PACKAGES = "kamailio kamailio-extra-modules kamailio-json-modules rtpengine-daemon sip-tester baresip-core"
BINARIES = ("kamailio", "rtpengine", "sipp", "baresip", "ip")
AGENT_TONES = {"agent1": 440, "agent2": 660, "agent3": 550, "caller1": 1000}
# the phones started, in order; by default agent1 then agent2
PHONES = {
    "menu": ("agent1", "agent3"),
    "transfer": ("agent1", "agent3"),
    "transfer-api": ("agent1", "agent3"),
    "transfer-agent": ("agent1", "agent3"),
    "attended": ("agent1", "agent3"),
}
SUPERVISOR_PORT = 5076  # the supervisor's phone (sipp UAS, supervisor.xml)
MONITOR_SINKS = (33000, 33002)  # where the supervisor's phone asks for its two streams (supervisor.xml)
CALLER_PHONE = ("caller1", 3)  # a baresip caller: its user and the index of its ports


class LabFailed(Exception):
    pass


def missing_binaries() -> list[str]:
    return [name for name in BINARIES if shutil.which(name) is None and not Path("/usr/sbin", name).exists()]


def setup_network() -> None:
    for command in (
        ["ip", "link", "set", "lo", "up"],
        ["ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1"],
        ["ip", "link", "set", "v0", "up"],
        ["ip", "link", "set", "v1", "up"],
        ["ip", "addr", "add", f"{SDP_ADDRESS}/32", "dev", "v0"],
    ):
        subprocess.run(command, check=True, capture_output=True, timeout=10)


def tone_wav(path: Path, hertz: int, seconds: float = 60.0) -> None:
    """The agent phone's audio source. baresip hangs up when its source file ends: make it outlast a call."""
    import wave

    import numpy as np

    rate = 8000
    t = np.arange(int(rate * seconds)) / rate
    frames = (8000 * np.sin(2 * np.pi * hertz * t)).astype("<i2").tobytes()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)


def baresip_config(root: Path, user: str, index: int, sip: str, *, answer: bool) -> Path:
    home = root / user
    (home / "rec").mkdir(parents=True, exist_ok=True)
    tone = home / "tone.wav"
    tone_wav(tone, AGENT_TONES.get(user, 500))
    sip_port = 5081 + 10 * index  # baresip takes sip_listen + 1 for TLS
    (home / "config").write_text(
        "\n".join(
            [
                "poll_method epoll",
                f"sip_listen {SDP_ADDRESS}:{sip_port}",
                "call_max_calls 2",
                "audio_player aubridge,nil1",
                f"audio_source aufile,{tone}",
                "audio_alert aubridge,nil1",
                f"rtp_ports {21000 + 200 * index}-{21100 + 200 * index}",
                "module_path /usr/lib/baresip/modules",
                "module g711.so",
                "module aufile.so",
                "module aubridge.so",
                "module sndfile.so",  # each call's audio, heard (dec) and sent (enc), as WAV in rec/
                "module_app account.so",
                "module_app menu.so",
                "module_app ctrl_tcp.so",
                f"ctrl_tcp_listen 127.0.0.1:{4441 + index}",
                f"snd_path {home / 'rec'}",
                "",
            ]
        )
    )
    mode = "auto" if answer else "manual"
    (home / "accounts").write_text(
        f"<sip:{user}@{sip}>;auth_pass=none;answermode={mode};regint=120;audio_codecs=PCMA,PCMU\n"
    )
    return home


class LabSwitch(KamailioSwitch):
    """The Kamailio switch, noting what it was told to play to whom and when (for the scenarios' checks)."""

    def __init__(
        self, settings: VoiceSettings, media: NgClient | None = None, user_agent: SipUserAgent | None = None
    ) -> None:
        super().__init__(settings, media, user_agent)
        self.played: list[dict[str, Any]] = []

    def play(self, call_id: str, media: str, *, loop: bool = False) -> None:
        super().play(call_id, media, loop=loop)
        self.played.append({"call_id": call_id, "media": media, "loop": loop, "at": SystemClock().now()})

    def _played(self, call_id: str, media: str, duration_ms: int) -> None:
        for entry in reversed(self.played):
            if entry["call_id"] == call_id and entry["media"] == media and "rtpengine_ms" not in entry:
                entry["rtpengine_ms"] = duration_ms  # the length rtpengine reported for what it plays
                break


class LabSpeaker(EspeakSpeaker):
    """espeak-ng, noting each sentence by the file that says it."""

    def __init__(self, media_dir: str | Path) -> None:
        super().__init__(media_dir)
        self.spoken: dict[str, str] = {}

    def speak(self, said: Announcement) -> tuple[str, float]:
        media, seconds = super().speak(said)
        self.spoken[media] = said.text
        return media, seconds


class Lab:
    def __init__(self, out: Path, settings: VoiceSettings, *, limit: float = 110) -> None:
        self.out = out
        self.settings = settings
        self.limit = limit  # the longest any process started here may run (`timeout`)
        # rtpengine's ports: a call takes four (RTP and RTCP of both legs) and keeps them 30 s after its
        # delete (rtpengine's delete delay), so 1,000 carry the lab; the load benchmark widens them
        self.rtp_ports = (40000, 40999)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.agent_events: dict[str, list[dict[str, Any]]] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.registered: set[str] = set()  # SIP users whose phones registered (as Kamailio reported)
        # baresip's ctrl_tcp serves one connection: commands go over the one its events come on
        self.controls: dict[str, asyncio.StreamWriter] = {}
        self.control: CallControl | None = None
        self.switch: KamailioSwitch | None = None
        self.scenario = ""
        self.instances: list[str | None] = []  # the runs of Kamailio call control saw (restart scenario)
        self.sinks: list[tuple[int, RtpSink, asyncio.DatagramTransport]] = []  # a supervisor's streams

    def on_switch_event(self, event: CallEvent) -> None:
        if isinstance(event, PhoneRegistered):
            (self.registered.add if event.expires > 0 else self.registered.discard)(event.user)

    def start(self, name: str, argv: list[str], *, cwd: Path | None = None) -> subprocess.Popen[bytes]:
        logfile = (self.out / f"{name}.log").open("wb")
        process = subprocess.Popen(
            ["timeout", str(int(self.limit)), *argv],
            stdout=logfile,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            start_new_session=True,  # its own process group: `timeout` and the daemon stop together
        )
        logfile.close()
        self.processes[name] = process
        log.info("started %s (pid %d)", name, process.pid)
        return process

    def stop_all(self) -> None:
        """SIGTERM to each process group started here, SIGKILL to what is left of it after 2 s."""
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 2
        for name, process in self.processes.items():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.info("%s still running after SIGTERM: killed", name)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(2)

    async def cancel_tasks(self) -> list[str]:
        """Cancel the links and watchers; the errors of those that had failed (reported, not hidden)."""
        for task in self.tasks:
            task.cancel()
        errors = []
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                try:
                    await task
                except Exception as error:
                    errors.append(f"{type(error).__name__}: {error}")
        return errors

    async def watch_agent(self, user: str, port: int) -> None:
        """Collect baresip's ctrl_tcp events (netstring JSON) for one agent."""
        events = self.agent_events.setdefault(user, [])
        for _ in range(100):
            try:
                reader, self.controls[user] = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            raise LabFailed(f"baresip {user} ctrl_tcp on port {port} never opened")
        while True:
            try:
                message = json.loads(await netstring.read(reader))
            except asyncio.IncompleteReadError:
                return
            if message.get("event"):
                events.append(
                    {
                        "type": message.get("type"),
                        "param": message.get("param", ""),
                        "at": SystemClock().now(),
                    }
                )

    async def sipp(
        self,
        name: str,
        scenario: str,
        calls: int,
        port: int,
        media_port: int,
        *,
        service: str = "support",
        talk_seconds: float = 4,
        limit: float = 40,
        rate: float = 1,
        extra: tuple[str, ...] = (),
    ) -> int:
        """One sipp UAC placing `calls` calls at `rate` per second (run in the output directory, where
        `-trace_rtt` writes its file); its exit code."""
        sip = f"{self.settings.sip.address}:{self.settings.sip.port}"
        script = Path(scenario) if Path(scenario).is_absolute() else lab_file(scenario)
        argv = [
            "sipp", sip, "-sf", str(script), "-s", f"{self.settings.queue_prefix}{service}",
            "-i", "127.0.0.1", "-p", str(port), "-m", str(calls), "-r", f"{rate:g}", "-l", str(calls),
            "-mp", str(media_port), "-d", str(int(talk_seconds * 1000)),
            "-timeout", f"{int(limit)}s", "-timeout_error",
            "-trace_stat", "-stf", str(self.out / f"{name}_stat.csv"), "-trace_err",
            "-error_file", str(self.out / f"{name}_err.log"), *extra,
        ]  # fmt: skip
        with (self.out / f"{name}.log").open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                "timeout", str(int(limit) + 5), *argv, stdout=output, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.out,
            )  # fmt: skip
        try:
            return await process.wait()
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)


class RtpSink(asyncio.DatagramProtocol):
    """What a supervisor's phone receives on one stream: the PCMA payloads, and when they came."""

    def __init__(self) -> None:
        self.payload = bytearray()
        self.packets = 0
        self.first = self.last = 0.0

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) <= 12 or data[1] & 0x7F != PCMA:
            return  # not PCMA audio (RTCP, DTMF events)
        self.payload += data[12 + 4 * (data[0] & 0x0F) :]
        self.packets += 1
        self.last = time.monotonic()
        self.first = self.first or self.last

    def measure(self) -> dict[str, Any]:
        import numpy as np

        samples = g711_to_linear(bytes(self.payload), PCMA)
        if samples.size == 0:
            return {"packets": 0, "seconds": 0.0, "peak_hz": 0.0, "rms": 0.0}
        rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
        return {"packets": self.packets, "seconds": samples.size / RATE, "peak_hz": dominant_hz(samples),
                "rms": rms}  # fmt: skip


async def start_supervisor(lab: Lab) -> asyncio.Task[int]:
    """The supervisor's phone: a sipp UAS (supervisor.xml) registered as super1, its two streams received
    by the lab's RTP sinks; the UAS's sipp, running until its call ends."""
    loop = asyncio.get_running_loop()
    for port in MONITOR_SINKS:
        transport, sink = await loop.create_datagram_endpoint(RtpSink, local_addr=("127.0.0.1", port))
        lab.sinks.append((port, sink, transport))
    supervisor = asyncio.create_task(
        lab.sipp("supervisor", "supervisor.xml", 1, SUPERVISOR_PORT, 34000, limit=40)
    )
    contacts = lab.out / "supervisor.csv"
    contacts.write_text(f"SEQUENTIAL\nsuper1;127.0.0.1:{SUPERVISOR_PORT}\n")
    registered = await lab.sipp("register", "register.xml", 1, 5077, 31000, extra=("-inf", str(contacts)))
    if registered != 0:
        raise LabFailed(f"sipp could not register the supervisor's phone (exit {registered})")
    await wait_for(lambda: "super1" in lab.registered, "the supervisor's phone to register", 10)
    return supervisor


def caller_with_tone(lab: Lab) -> str:
    """caller.xml whose voice is a 1000 Hz tone (a generated pcap)."""
    tone_pcap(lab.out / "caller_tone.pcap", CALLER_TONE_HZ, 8.0)
    script = (
        lab_file("caller.xml")
        .read_text()
        .replace("/usr/share/sip-tester/g711a.pcap", str(lab.out / "caller_tone.pcap"))
    )
    (lab.out / "caller_tone.xml").write_text(script)
    return str(lab.out / "caller_tone.xml")


def recordings(home: Path) -> list[dict[str, Any]]:
    """The WAVs baresip's sndfile wrote for one phone: seconds, RMS level and dominant frequency."""
    import wave

    import numpy as np

    found: list[dict[str, Any]] = []
    for path in sorted((home / "rec").glob("*.wav")):
        try:
            with wave.open(str(path)) as wav:
                rate = wav.getframerate()
                samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float64)
        except (wave.Error, EOFError) as error:  # a phone stopped before closing its file
            found.append({"file": path.name, "error": str(error)})
            continue
        if samples.size == 0:
            found.append({"file": path.name, "seconds": 0.0, "rms": 0.0, "peak_hz": 0.0})
            continue
        spectrum = np.abs(np.fft.rfft(samples))
        spectrum[0] = 0.0
        peak = float(np.fft.rfftfreq(samples.size, 1 / rate)[int(np.argmax(spectrum))])
        rms = float(np.sqrt(np.mean(samples**2)))
        found.append({"file": path.name, "seconds": samples.size / rate, "rms": rms, "peak_hz": peak})
    return found


def call_recordings(directory: Path) -> list[dict[str, Any]]:
    """The calls' WAVs call control wrote: length, and each side's level and strongest frequency."""
    import wave

    import numpy as np

    found = []
    for path in sorted(directory.glob("*.wav")):
        with wave.open(str(path)) as wav:
            stereo = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
        entry: dict[str, Any] = {"file": path.name, "seconds": stereo.shape[0] / RATE}
        for side, samples in (("caller", stereo[:, 0]), ("agent", stereo[:, 1])):
            entry[f"{side}_hz"] = dominant_hz(samples)
            entry[f"{side}_rms"] = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
        found.append(entry)
    return found


def contact_attributes(url: str, tenant: str, contact_ids: list[str]) -> dict[str, dict[str, Any]]:
    from sqlalchemy.orm import Session

    from baiying.application.store import contact_row
    from baiying.ids import ContactId
    from baiying.storage.engine import make_engine

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = {id_: contact_row(session, tenant, ContactId(id_)) for id_ in contact_ids}
            return {id_: dict(row.attributes or {}) for id_, row in rows.items() if row is not None}
    finally:
        engine.dispose()


def calls_ended_before_stop(log: Path) -> int:
    """How many calls a baresip phone closed before the lab stopped it, from its own log, which prints
    "Call with ... terminated" for every call it closes. Its events are not enough: when a referring
    call's REFER NOTIFY fails because the referred phone already hung up that call, baresip reports
    TRANSFER_FAILED and never CALL_CLOSED, though the call is closed. Calls still open when the lab stops
    the phone are closed after "terminated by signal", and do not count."""
    ended = 0
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("terminated by signal"):
            break
        ended += "terminated (duration:" in line
    return ended


def rtpengine_commands(path: Path, control_port: int) -> dict[str, Any]:
    """The NG commands rtpengine received, in order, from its log, by sender: call control (its NG socket's
    port) or Kamailio (any other); and under "calls", by call id, each as "sender: command"."""
    found: dict[str, Any] = {"call-control": [], "kamailio": [], "calls": {}}
    if path.exists():
        pattern = r"(?:\[([^\]\s]+)\]: )?\[control\] Received command '([a-z ]+)' from 127\.0\.0\.1:(\d+)"
        for call_id, command, port in re.findall(pattern, path.read_text(errors="replace")):
            if command == "ping":
                continue
            sender = "call-control" if int(port) == control_port else "kamailio"
            found[sender].append(command)
            found["calls"].setdefault(call_id, []).append(f"{sender}: {command}")
    return found


def sipp_counts(path: Path) -> dict[str, int]:
    """Created, successful and failed calls from a sipp `-trace_stat` file (its last line)."""
    if not path.exists():
        return {}
    lines = path.read_text().splitlines()
    if len(lines) < 2:
        return {}
    row = dict(zip(lines[0].split(";"), lines[-1].split(";"), strict=False))
    names = {"created": "TotalCallCreated", "successful": "SuccessfulCall(C)", "failed": "FailedCall(C)"}
    return {key: int(row[column]) for key, column in names.items() if row.get(column, "").isdigit()}


async def wait_for(predicate: Any, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise LabFailed(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.05)


async def start_agents(lab: Lab, center: LiveCenter, scenario: str) -> None:
    """The agents' phones, one after the other (each logs its agent in as it registers): agent1 is the
    longest idle. In `rona` agent1's phone does not answer; in `nophone` agent1 has no phone at all."""
    settings = lab.settings
    sip = f"{settings.sip.address}:{settings.sip.port}"

    def logged_in(agent: str) -> bool:
        return center.inspect(settings.tenant, lambda router: agent in router.agents)

    users = list(settings.agents)
    for user in PHONES.get(scenario, ("agent1", "agent2")):
        index, agent = users.index(user), settings.agents[user]
        if scenario == "nophone" and index == 0:
            center.login(settings.tenant, AgentId(agent))  # logged in from its desktop, no phone
            await asyncio.sleep(0.05)
            continue
        home = baresip_config(lab.out, user, index, sip, answer=not (scenario == "rona" and index == 0))
        lab.start(user, ["baresip", "-4", "-f", str(home)])
        lab.tasks.append(asyncio.create_task(lab.watch_agent(user, ctrl_port(index))))
        await wait_for(lambda agent=agent: logged_in(agent), f"phone {user} to register", 10)
        await asyncio.sleep(0.05)  # distinct login times


def ctrl_port(index: int) -> int:
    return 4441 + index


async def phone_command(lab: Lab, user: str, command: str, params: str = "") -> None:
    """One command to a baresip phone over ctrl_tcp (netstring JSON), as its user would press it."""
    await wait_for(lambda: user in lab.controls, f"the control link of {user}", 10)
    writer = lab.controls[user]
    message = {"command": command, "params": params, "token": command}
    writer.write(netstring.encode(json.dumps(message).encode()))
    await writer.drain()


async def transfer_call(lab: Lab, *, by_phone: bool = True, to_agent: bool = False) -> dict[str, int]:
    """A baresip caller calls support; agent1's phone transfers it to the tech queue; agent3 answers.
    `to_agent`: agent1's phone transfers it to agent3 by name instead; once agent3 answered a supervisor
    listens from its phone (super1), then Baiying transfers the caller back to agent-001 by name
    (`transfer_to_agent`, what the API's transfer runs), which hangs up the supervisor's call."""
    supervisor = await start_supervisor(lab) if to_agent else None
    user, index = CALLER_PHONE
    sip = f"{lab.settings.sip.address}:{lab.settings.sip.port}"
    home = baresip_config(lab.out, user, index, sip, answer=False)
    lab.start(user, ["baresip", "-4", "-f", str(home)])
    lab.tasks.append(asyncio.create_task(lab.watch_agent(user, ctrl_port(index))))

    def seen(phone: str, kind: str) -> bool:
        return any(event["type"] == kind for event in lab.agent_events.get(phone, []))

    await wait_for(lambda: user in lab.registered, "the caller's phone to register", 10)
    queue = lab.settings.queue_prefix
    await phone_command(lab, user, "dial", f"sip:{queue}support@{lab.settings.sip.address}")
    await wait_for(lambda: seen("agent1", "CALL_ESTABLISHED"), "agent1 to answer", 10)
    await asyncio.sleep(1.5)  # they talk
    if to_agent:  # an agent's phone user under the queue prefix: a transfer to that agent by name
        await phone_command(lab, "agent1", "transfer", f"sip:{queue}agent3@{lab.settings.sip.address}")
    elif by_phone:
        await phone_command(lab, "agent1", "transfer", f"sip:{queue}tech@{lab.settings.sip.address}")
    else:  # what POST /api/contacts/{id}/transfer runs
        assert lab.control is not None
        (call,) = lab.control.calls.values()
        lab.control.center.transfer_to_queue(lab.settings.tenant, call.contact_id, QueueId("tech"))
    await wait_for(lambda: seen("agent3", "CALL_ESTABLISHED"), "agent3 to answer the transferred caller", 15)
    if to_agent:
        control = lab.control
        assert control is not None

        def connected() -> bool:  # Kamailio's dialog start may follow the phone's own report
            return any(call.connected is not None for call in control.calls.values())

        await wait_for(connected, "call control to see agent3 answer", 5)
        (call,) = control.calls.values()
        control.monitor(call.contact_id, "super1")
    await asyncio.sleep(2)
    last = "agent3"
    if to_agent:
        assert lab.control is not None
        (call,) = lab.control.calls.values()
        lab.control.center.transfer_to_agent(lab.settings.tenant, call.contact_id, AgentId("agent-001"))

        def answered_twice() -> bool:
            return [e["type"] for e in lab.agent_events["agent1"]].count("CALL_ESTABLISHED") == 2

        await wait_for(answered_twice, "agent1 to answer the caller transferred back", 15)
        await asyncio.sleep(1.5)
        last = "agent1"
    await phone_command(lab, user, "hangup")

    def closed() -> bool:
        # The phone's latest call has closed. Not "as many closes as calls": when a REFER's NOTIFY fails
        # (the referred phone left its first call as it followed the REFER), baresip ends the referring
        # call without reporting CALL_CLOSED for it.
        events = [e["type"] for e in lab.agent_events[last]]
        latest = len(events) - 1 - events[::-1].index("CALL_ESTABLISHED")
        return "CALL_CLOSED" in events[latest:]

    await wait_for(closed, f"the call with {last} to end", 10)
    if supervisor is not None:
        return {"caller": 0, "supervisor": await supervisor}
    return {"caller": 0}


async def attended_transfer(lab: Lab) -> dict[str, int]:
    """A baresip caller calls support and agent1 answers. agent1's phone calls agent3 by name (a second
    call, `queue-agent3`): a consultation, the caller on hold with music; agent3 answers, and agent1 hangs
    up on it: the caller is back with agent1. agent1's phone then consults the tech queue (agent3 again,
    the one tech agent), and Baiying completes the attended transfer (`complete_consultation`): the
    consultation ends and the caller's phone is REFERred to agent3, who answers."""
    user, index = CALLER_PHONE
    sip = f"{lab.settings.sip.address}:{lab.settings.sip.port}"
    home = baresip_config(lab.out, user, index, sip, answer=False)
    lab.start(user, ["baresip", "-4", "-f", str(home)])
    lab.tasks.append(asyncio.create_task(lab.watch_agent(user, ctrl_port(index))))
    control = lab.control
    assert control is not None

    def established(phone: str, times: int) -> Callable[[], bool]:
        def check() -> bool:
            events = [event["type"] for event in lab.agent_events.get(phone, [])]
            return events.count("CALL_ESTABLISHED") >= times

        return check

    def consulting() -> bool:
        return any(call.consulting is not None for call in control.calls.values())

    await wait_for(lambda: user in lab.registered, "the caller's phone to register", 10)
    address = lab.settings.sip.address
    queue = lab.settings.queue_prefix
    await phone_command(lab, user, "dial", f"sip:{queue}support@{address}")
    await wait_for(established("agent1", 1), "agent1 to answer", 10)
    await asyncio.sleep(1.0)  # they talk
    await phone_command(lab, "agent1", "dial", f"sip:{queue}agent3@{address}")
    await wait_for(established("agent3", 1), "agent3 to answer the consultation", 10)
    await asyncio.sleep(1.0)  # agent1 and agent3 talk; the caller hears the hold music
    await phone_command(lab, "agent1", "hangup")  # the consultation (agent1's current call)
    await wait_for(lambda: not consulting(), "the caller to be back with agent1", 10)
    await asyncio.sleep(1.0)  # the caller and agent1 talk again
    await phone_command(lab, "agent1", "dial", f"sip:{queue}tech@{address}")
    await wait_for(established("agent3", 2), "agent3 to answer the second consultation", 10)

    def consultation_answered() -> bool:
        return any(call.consult_of is not None and call.connected for call in control.calls.values())

    await wait_for(consultation_answered, "Kamailio to report the consultation answered", 5)
    await asyncio.sleep(1.0)
    (held,) = [call for call in control.calls.values() if call.consulting is not None]
    control.complete_consultation(held.contact_id)  # what the API's complete runs
    await wait_for(established("agent3", 3), "agent3 to answer the transferred caller", 15)
    await asyncio.sleep(1.5)
    await phone_command(lab, "agent3", "hangup")

    def closed() -> bool:
        events = [e["type"] for e in lab.agent_events["agent3"]]
        latest = len(events) - 1 - events[::-1].index("CALL_ESTABLISHED")
        return "CALL_CLOSED" in events[latest:]

    await wait_for(closed, "the call with agent3 to end", 10)
    return {"caller": 0}


async def place_calls(lab: Lab, scenario: str) -> dict[str, int]:
    """The scenario's sipp callers; their exit codes (0: every call went as its script says)."""
    if scenario in ("transfer", "transfer-api", "transfer-agent"):
        return await transfer_call(
            lab, by_phone=scenario != "transfer-api", to_agent=scenario == "transfer-agent"
        )
    if scenario == "attended":
        return await attended_transfer(lab)
    if scenario == "restart":
        return await restart_kamailio(lab)
    if scenario == "queue":
        return {"callers": await lab.sipp("callers", "caller.xml", 3, 5070, 30000)}
    if scenario == "record":
        return {"callers": await lab.sipp("callers", caller_with_tone(lab), 1, 5070, 30000)}
    if scenario == "menu":
        busy = asyncio.create_task(
            lab.sipp("busy", "caller.xml", 1, 5070, 30000, service="tech", talk_seconds=9)
        )
        await asyncio.sleep(0.5)  # agent3 talks for 9 s: the menu caller who chooses tech waits for it
        waiting = await lab.sipp("callers", "caller_menu.xml", 1, 5072, 32000, service="menu", talk_seconds=2)
        return {"busy": await busy, "callers": waiting}
    if scenario == "maxqueue":
        callers = asyncio.create_task(lab.sipp("callers", "caller.xml", 2, 5070, 30000, talk_seconds=9))
        await asyncio.sleep(2.5)  # both agents talk now, for 9 s: the next caller is held to its limit
        held = await lab.sipp("held", "caller_timeout.xml", 1, 5072, 32000)
        return {"callers": await callers, "held": held}
    if scenario == "abandon":
        callers = asyncio.create_task(lab.sipp("callers", "caller.xml", 2, 5070, 30000, talk_seconds=9))
        await asyncio.sleep(2.5)  # both agents talk now, for 9 s: the next caller can only wait
        abandoner = await lab.sipp("abandoner", "caller_cancel.xml", 1, 5072, 32000)
        return {"callers": await callers, "abandoner": abandoner}
    return {"callers": await lab.sipp("callers", "caller.xml", 1, 5070, 30000)}


async def start_rtpengine(lab: Lab, media: NgClient) -> None:
    """rtpengine in userspace (no kernel forwarding), reporting DTMF to call control; ready when it pongs."""
    settings = lab.settings
    lab.start("rtpengine", [
        "rtpengine", "--interface=127.0.0.1", f"--listen-ng={settings.rtpengine}", "--table=-1",
        "--foreground", "--log-stderr", f"--port-min={lab.rtp_ports[0]}", f"--port-max={lab.rtp_ports[1]}",
        f"--recording-dir={settings.recording.directory if settings.recording else lab.out / 'recordings'}",
        "--recording-method=pcap", "--recording-format=eth",
        f"--dtmf-log-dest={settings.dtmf_log}", f"--pidfile={lab.out / 'run' / 'rtpengine.pid'}",
    ])  # fmt: skip
    deadline = time.monotonic() + 10
    while True:
        try:
            await media.ping()
            return
        except NgTimeout:
            if time.monotonic() > deadline:
                raise LabFailed("rtpengine did not answer its NG ping within 10 s") from None


def prepare(
    out: Path,
    clock: SystemClock,
    media_dir: Path | None,
    *,
    settings: VoiceSettings | None = None,
    scenario_text: str | None = None,
    scenario: str = "",
) -> tuple[VoiceSettings, str]:
    """The settings (the lab's unless given), media files (made under `out`, unless `media_dir` holds
    them), network, Kamailio configuration and database (its URL; the lab's contact center unless
    `scenario_text` gives one); `scenario` names the lab scenario (some change the settings)."""
    settings = settings or lab_settings()
    update: dict[str, Any] = {"media_dir": str(media_dir or out / settings.media_dir)}
    if scenario in MAX_QUEUE_SECONDS:
        update["max_queue_seconds"] = MAX_QUEUE_SECONDS[scenario]
    if scenario in HOLD_MUSIC:
        update["announcements"] = {**settings.announcements, "support": HOLD_MUSIC[scenario]}
    if settings.recording is not None:
        directory = out / settings.recording.directory
        directory.mkdir(parents=True, exist_ok=True)
        update["recording"] = settings.recording.model_copy(update={"directory": str(directory)})
    settings = settings.model_copy(update=update)
    if media_dir is None:
        make_media(Path(settings.media_dir))
    setup_network()
    (out / "kamailio.cfg").write_text(render_config(settings))
    url = f"sqlite:///{out / 'baiying.db'}"
    prepare_database(url, settings.tenant, at=clock.now() - 60, scenario_text=scenario_text)
    return settings, url


async def start_switch(lab: Lab, switch: KamailioSwitch, control: CallControl, media: NgClient) -> None:
    """rtpengine, then Kamailio, then call control's links to them and its timers."""
    out = lab.out
    await start_rtpengine(lab, media)
    await switch.listen_dtmf()
    lab.start("kamailio", kamailio_argv(out))
    await switch.connect(timeout_seconds=10)
    switch.instance = await switch.kamailio_instance()  # which run of Kamailio (JSON-RPC core.uptime)
    # the restart scenario's link reconnects (and sweeps the calls of the Kamailio it lost); the others'
    # must not drop: a dropped link fails them
    serving = switch.serve_forever(retry_seconds=0.2) if lab.scenario == "restart" else switch.serve()
    lab.tasks.append(asyncio.create_task(serving))
    lab.tasks.append(asyncio.create_task(control.run_timers(idle_seconds=0.2)))


def kamailio_argv(out: Path, name: str = "kamailio") -> list[str]:
    return [
        "kamailio", "-f", str(out / "kamailio.cfg"), "-DD", "-E", "-P", str(out / "run" / f"{name}.pid"),
        "-Y", str(out / "run"), "-w", str(out),
    ]  # fmt: skip


async def restart_kamailio(lab: Lab) -> dict[str, int]:
    """A baresip caller talks to agent1; Kamailio is killed and started again (a crash, a restart): call
    control's link reconnects, the new Kamailio knows none of the calls, and call control closes the
    contact (completed with agent-001) instead of leaving it connected for ever."""
    control, switch = lab.control, lab.switch
    assert control is not None
    assert switch is not None
    user, index = CALLER_PHONE
    sip = f"{lab.settings.sip.address}:{lab.settings.sip.port}"
    home = baresip_config(lab.out, user, index, sip, answer=False)
    lab.start(user, ["baresip", "-4", "-f", str(home)])
    lab.tasks.append(asyncio.create_task(lab.watch_agent(user, ctrl_port(index))))
    await wait_for(lambda: user in lab.registered, "the caller's phone to register", 10)
    queue = lab.settings.queue_prefix
    await phone_command(lab, user, "dial", f"sip:{queue}support@{lab.settings.sip.address}")
    await wait_for(lambda: any(c.connected for c in control.calls.values()), "agent1 to answer", 10)
    await asyncio.sleep(1.0)
    before = switch.instance
    kamailio = lab.processes["kamailio"]
    os.killpg(kamailio.pid, signal.SIGKILL)
    await asyncio.to_thread(kamailio.wait, 5)
    # (a pid file of its own: the killed run's stays behind, and Kamailio refuses to start over it)
    lab.start("kamailio-restarted", kamailio_argv(lab.out, "kamailio-restarted"))
    await wait_for(lambda: switch.instance not in (None, before), "call control to see the new Kamailio", 15)
    await wait_for(lambda: not control.calls, "call control to close the lost call", 5)
    lab.instances = [before, switch.instance]
    return {"caller": 0}


async def open_call_control(
    settings: VoiceSettings, url: str, clock: SystemClock
) -> tuple[LiveCenter, NgClient, LabSwitch, CallControl]:
    """Baiying's side, in this process: the live center on `url`, the NG client (opened), the Kamailio
    switch and call control joining them on the running event loop."""
    center = LiveCenter(url, clock, tenants=[settings.tenant])
    media, user_agent = await open_links(settings)
    switch = LabSwitch(settings, media, user_agent)
    control = call_control_for(settings, center, switch, LabSpeaker(settings.media_dir))
    return center, media, switch, control


SETTLE_SECONDS = 5.0  # a loaded machine may take seconds to deliver the last dialog ends


async def settled(control: CallControl) -> None:
    """Wait until the last dialog ends reached call control (no call, no monitor left), or a bounded time:
    what is left then is reported (`calls_left`) rather than waited for."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_SECONDS
    await asyncio.sleep(0.5)
    while (control.calls or control.monitoring) and loop.time() < deadline:
        await asyncio.sleep(0.05)


async def run(out: Path, scenario: str, media_dir: Path | None = None) -> dict[str, Any]:
    # rtpengine 10.5 in userspace dumps core when it stops (SIGTERM), after its work is done: no core
    # files (tens of MB, in the working directory) from the lab's processes, which inherit this limit.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    out = out.resolve()  # Kamailio changes directory (-w): every path it gets is absolute
    out.mkdir(parents=True, exist_ok=True)
    clock = SystemClock()
    settings, url = prepare(out, clock, media_dir, scenario=scenario)
    lab = Lab(out, settings)
    (out / "run").mkdir(exist_ok=True)
    result: dict[str, Any] = {"scenario": scenario, "sipp": {}, "switch": [], "errors": []}
    center, media, switch, control = await open_call_control(settings, url, clock)
    switch.on_event(lambda event: result["switch"].append({"kind": event.kind, **asdict(event)}))
    switch.on_event(lab.on_switch_event)
    lab.control, lab.switch, lab.scenario = control, switch, scenario
    try:
        await start_switch(lab, switch, control, media)
        await start_agents(lab, center, scenario)
        result["sipp"] = await place_calls(lab, scenario)
        await settled(control)
        result["calls_left"] = sorted(control.calls)
        result["sipp_calls"] = {name: sipp_counts(out / f"{name}_stat.csv") for name in result["sipp"]}
    finally:
        result["errors"] = await lab.cancel_tasks()
        control_port = media.local_port
        switch.close()
        media.close()
        if switch.user_agent is not None:
            switch.user_agent.close()
        result["monitor_streams"] = {port: sink.measure() for port, sink, _ in lab.sinks}
        for _, _, transport in lab.sinks:
            transport.close()
        result["media_errors"] = switch.media_errors
        result["played"] = switch.played
        result["kamailio_instance"] = switch.instance
        result["kamailio_instances"] = lab.instances
        if isinstance(control.speaker, LabSpeaker):
            result["spoken"] = control.speaker.spoken
        lab.stop_all()
        result["rtpengine_commands"] = rtpengine_commands(out / "rtpengine.log", control_port)
        control.close()
        result["agents"] = lab.agent_events
        result["calls_ended"] = {
            user: calls_ended_before_stop(out / f"{user}.log") for user in lab.agent_events
        }
        result["recordings"] = {user: recordings(out / user) for user in lab.agent_events}
        result["events"] = [
            {"kind": event.kind, **{k: v for k, v in asdict(event).items() if v is not None}}
            for _, event in center.read_events(settings.tenant, 0)
        ]
        center.close()
        arrived = [e["contact_id"] for e in result["events"] if e["kind"] == "contact-arrived"]
        result["contacts"] = contact_attributes(url, settings.tenant, arrived)
        if settings.recording is not None:
            result["call_recordings"] = call_recordings(Path(settings.recording.directory))
        (out / "result.json").write_text(json.dumps(result, indent=1, default=str))
    return result


def describe(result: dict[str, Any]) -> str:
    lines = [f"scenario {result['scenario']}: sipp exit codes {result['sipp']} (0 = every call as scripted)"]
    for name, counts in result.get("sipp_calls", {}).items():
        lines.append(f"  sipp {name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    start = result["events"][0]["at"] if result["events"] else 0.0
    names: dict[str, str] = {}  # contact id → "call 1", "call 2"... in order of arrival
    for event in result["events"]:
        if event["kind"] == "contact-arrived":
            names[event["contact_id"]] = f"call {len(names) + 1}"
        if event["kind"] in ("contact-arrived", "contact-queued"):
            continue
        shown = []
        for key, value in event.items():
            if key in ("kind", "at", "site_id", "queue_id", "previous") or value in ("", None):
                continue
            if key == "contact_id":
                text = names.get(value, value[:8])
            else:
                text = f"{value:.2f}" if isinstance(value, float) else str(value)
            shown.append(f"{key}={text}")
        lines.append(f"  +{event['at'] - start:6.2f}s {event['kind']:<20} {', '.join(shown)}")
    for user, events in result["agents"].items():
        lines.append(f"  phone {user}: " + " ".join(e["type"] for e in events))
    for event in result["switch"]:
        if event["kind"] == "digits-collected":
            lines.append(f"  the caller keyed {event['digits'] or 'nothing'} in the menu")
        elif event["kind"] == "transfer-requested":
            lines.append(f"  a phone transferred the caller to queue {event['target']}")
    for wav in result.get("call_recordings", []):
        lines.append(
            f"  recording {wav['file']}: {wav['seconds']:.1f} s, caller {wav['caller_hz']:.0f} Hz,"
            f" agent {wav['agent_hz']:.0f} Hz (strongest frequencies)"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--scenario", choices=SCENARIOS, required=True)
    parser.add_argument("--quiet", action="store_true", help="log warnings only; print the summary")
    parser.add_argument("--media", type=Path, help="prompts and music made before (prompts.make_media)")
    args = parser.parse_args(argv)
    level = logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    missing = missing_binaries()
    if missing:
        print(f"missing {', '.join(missing)}: apt-get install {PACKAGES}", file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print(
            "the voice lab needs root inside its network namespace (run it under unshare -n)", file=sys.stderr
        )
        return 2
    result = asyncio.run(run(args.out, args.scenario, args.media.resolve() if args.media else None))
    print(describe(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
