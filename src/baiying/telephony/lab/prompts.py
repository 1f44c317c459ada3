"""The lab's demo media, made at run time so the repository carries no audio: the IVR prompts in English
and Chinese (spoken by espeak-ng when it is installed, else a two-tone chime of the same length) and a
short hold-music loop (a little tune of pure tones)."""

import shutil
import struct
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


def alaw(samples: Samples) -> bytes:
    """Linear samples (-1..1) to G.711 A-law: the nearest of the 256 codes."""
    from baiying.telephony.recording import PCMA, g711_to_linear

    levels = g711_to_linear(bytes(range(256)), PCMA).astype(np.int32)
    order = np.argsort(levels)
    target = (np.clip(samples, -1, 1) * 12000).astype(np.int32)
    index = np.clip(np.searchsorted(levels[order], target), 1, 255)
    nearer = np.where(
        np.abs(levels[order][index - 1] - target) <= np.abs(levels[order][index] - target), index - 1, index
    )
    return order[nearer].astype(np.uint8).tobytes()


def tone_pcap(path: Path, hertz: int, seconds: float) -> None:
    """A pcap of RTP (PCMA, 20 ms packets) carrying a pure tone: what a sipp caller plays
    (`play_pcap_audio`), so its voice has one known frequency."""
    payload = alaw(tones((hertz,), seconds))
    frames = [payload[i : i + 160] for i in range(0, len(payload) - 159, 160)]
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for number, frame in enumerate(frames):
        rtp = struct.pack(">BBHII", 0x80, 8, number, number * 160, 0x1000) + frame
        udp = struct.pack(">HHHH", 6000, 6002, 8 + len(rtp), 0) + rtp
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), number, 0, 64, 17, 0,
                         bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))  # fmt: skip
        checksum = sum(struct.unpack(">10H", ip))
        checksum = ~((checksum & 0xFFFF) + (checksum >> 16)) & 0xFFFF
        ip = ip[:10] + struct.pack(">H", checksum) + ip[12:]
        packet = b"\x00" * 12 + b"\x08\x00" + ip + udp  # Ethernet: no addresses, IPv4
        at = number * 0.02
        out += struct.pack("<IIII", int(at), round(at % 1 * 1e6), len(packet), len(packet)) + packet
    path.write_bytes(bytes(out))


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
