"""Position and expected-wait announcements for callers on hold.

Every `every_seconds` of waiting (per queue, `announcements:` in the voice settings) a caller with a media
path (through an IVR menu, or into a queue whose entry names `hold_music`) hears "you are number K in the
queue, the expected wait is about M minutes" in their language, then the hold music again. K and M are the
routing engine's (`routing.standing`: M counts the time the agents have already spent on their calls).

Each sentence is spoken whole by espeak-ng into a cache directory under the media directory, named by a
hash of its voice and text: a sentence is synthesised once and reused for every caller who hears it (the
sentences are few: positions × minutes × languages). Spoken whole rather than glued from number clips, the
prosody is right in both languages and nothing has to be timed between clips. The media server plays the
file; no audio passes through Python.
"""

import hashlib
import os
import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from baiying.routing.standing import QueueStanding
from baiying.telephony.switch import TelephonyError

CACHE_DIRECTORY = "announcements"  # under the media directory: the switch plays media named relative to it
SPEAK_TIMEOUT_SECONDS = 10.0


class QueueAnnouncement(BaseModel):
    """How often a queue's waiting callers hear their position and expected wait."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    every_seconds: float = Field(gt=0, le=600)  # of hold music before each announcement
    # What the queue's callers who came without an IVR menu hear while they wait (a media file, relative to
    # the media directory): their call gets early media, this music and the announcements. Without it they
    # hear ringback, where nothing can be played.
    hold_music: str | None = Field(default=None, min_length=1)


@dataclass(frozen=True, slots=True)
class Announcement:
    voice: str  # espeak-ng's voice: "en" or "cmn"
    text: str


def is_chinese(language: str | None) -> bool:
    return language is not None and language.lower().split("-")[0] in ("zh", "cmn", "yue")


def announcement(standing: QueueStanding, language: str | None) -> Announcement:
    """The sentence a caller with `language` (the contact's) hears: Chinese for zh/cmn/yue, else English."""
    minutes = standing.expected_wait_minutes
    if is_chinese(language):
        wait = "请耐心等候" if minutes is None else f"预计等待约{minutes}分钟"
        return Announcement("cmn", f"您是队列中的第{standing.position}位，{wait}。")
    if minutes is None:
        wait = "Please hold."
    else:
        wait = f"The expected wait is about {minutes} minute{'' if minutes == 1 else 's'}."
    return Announcement("en", f"You are number {standing.position} in the queue. {wait}")


class Speaker(Protocol):
    def speak(self, said: Announcement) -> tuple[str, float]:
        """The media file (relative to the media directory) that says `said`, and its length in seconds."""


class EspeakSpeaker:
    """espeak-ng into `<media_dir>/announcements/`, one WAV per distinct sentence (written to a temporary
    name, then renamed: a file in the cache is always whole)."""

    def __init__(self, media_dir: str | Path, *, binary: str = "espeak-ng") -> None:
        self.media_dir = Path(media_dir)
        self.binary = binary

    def speak(self, said: Announcement) -> tuple[str, float]:
        digest = hashlib.sha256(f"{said.voice}\n{said.text}".encode()).hexdigest()[:20]
        name = f"{CACHE_DIRECTORY}/{said.voice}-{digest}.wav"
        path = self.media_dir / name
        if not path.is_file():
            self._synthesise(said, path)
        return name, wav_seconds(path)

    def _synthesise(self, said: Announcement, path: Path) -> None:
        binary = shutil.which(self.binary)
        if binary is None:
            raise TelephonyError(f"cannot speak announcements: {self.binary} is not installed")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        try:
            subprocess.run(
                [binary, "-v", said.voice, "-s", "150", "-w", str(partial), said.text],
                check=True,
                capture_output=True,
                timeout=SPEAK_TIMEOUT_SECONDS,
            )
            partial.replace(path)
        except (OSError, subprocess.SubprocessError) as error:
            raise TelephonyError(f"{self.binary} could not speak {said.text!r}: {error}") from error
        finally:
            partial.unlink(missing_ok=True)


def wav_seconds(path: Path) -> float:
    try:
        with wave.open(str(path)) as wav:
            frames: int = wav.getnframes()
            rate: int = wav.getframerate()
            return frames / rate
    except (OSError, EOFError, wave.Error) as error:
        raise TelephonyError(f"{path} is not a readable WAV file: {error}") from error
