"""The lab's demo media, made at run time so the repository carries no audio: the IVR prompts in English
and Chinese (spoken by espeak-ng when it is installed, else a two-tone chime of the same length) and a
short hold-music loop (a little tune of pure tones)."""

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np

RATE = 8000
PROMPTS = {
    "menu-en.wav": ("en", "For billing, press 1. For technical support, press 2."),
    "menu-zh.wav": ("cmn", "账单问题请按一，技术支持请按二。"),
}
TUNE_HZ = (392, 440, 494, 523, 494, 440)  # G A B C B A, half a second each
PROMPT_FALLBACK_HZ = (880, 1320)


Samples = np.ndarray[tuple[int], np.dtype[np.float64]]


def write_wav(path: Path, samples: Samples) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((np.clip(samples, -1, 1) * 12000).astype("<i2").tobytes())


def tones(frequencies: tuple[int, ...], seconds_each: float) -> Samples:
    t = np.arange(int(RATE * seconds_each)) / RATE
    fade = np.minimum(1.0, np.minimum(t, t[::-1]) * 50)  # no clicks between notes
    return np.concatenate([np.sin(2 * np.pi * hz * t) * fade for hz in frequencies])


def make_media(directory: Path) -> list[str]:
    """Write the prompts and the music into `directory`; the names of the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    speaker = shutil.which("espeak-ng")
    for name, (voice, text) in PROMPTS.items():
        path = directory / name
        if speaker is not None:
            subprocess.run([speaker, "-v", voice, "-s", "150", "-w", str(path), text], check=True, timeout=30)
        else:
            write_wav(path, tones(PROMPT_FALLBACK_HZ, 1.5))
    write_wav(directory / "music.wav", tones(TUNE_HZ, 0.5))
    return [*PROMPTS, "music.wav"]
