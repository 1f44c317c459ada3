"""A call's recording: rtpengine writes every RTP packet of a recorded call to a pcap file
(`--recording-method=pcap`); this turns it into a stereo WAV, the caller on the left channel and the agent
on the right. Each stream (a port and an RTP source) starts at the capture time of its first packet, and
each packet lands where its RTP timestamp says, so network jitter in the capture times moves no sample.

Only G.711 audio (PCMU 0, PCMA 8) is decoded; other payloads (telephone-event, comfort noise) are skipped.
`caller_port` is rtpengine's port facing the caller: packets sent to it are the caller's voice, every other
stream in the file is the far end's.
"""

import struct
import wave
from pathlib import Path
from typing import NamedTuple

import numpy as np

RATE = 8000
PCMU, PCMA = 0, 8
LINKTYPE_ETHERNET, LINKTYPE_RAW = 1, 101
Samples = np.ndarray[tuple[int], np.dtype[np.int16]]


class RecordingError(Exception):
    """A recording file that is not a pcap of RTP over IPv4/UDP."""


def g711_to_linear(codes: bytes, payload_type: int) -> Samples:
    """G.711 bytes (A-law or µ-law) to 16-bit linear samples (ITU-T G.711 expansion)."""
    value = np.frombuffer(codes, dtype=np.uint8).astype(np.int32)
    if payload_type == PCMA:
        value ^= 0x55
        exponent = (value >> 4) & 7
        mantissa = value & 15
        magnitude = np.where(
            exponent == 0, (mantissa << 4) + 8, ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0)
        )
        linear = np.where(value & 0x80, magnitude, -magnitude)
    elif payload_type == PCMU:
        value = ~value & 0xFF
        magnitude = (((value & 0x0F) << 3) + 0x84) << ((value & 0x70) >> 4)
        linear = np.where(value & 0x80, 0x84 - magnitude, magnitude - 0x84)
    else:
        raise ValueError(f"payload type {payload_type} is not G.711")
    return linear.astype(np.int16)


class RtpPacket(NamedTuple):
    captured: float  # seconds
    port: int  # the UDP destination port
    payload_type: int
    ssrc: int
    timestamp: int
    payload: bytes


def rtp_packets(path: Path) -> list[RtpPacket]:
    """Every RTP packet over IPv4/UDP in a pcap file, in the file's order."""
    data = path.read_bytes()
    if len(data) < 24:
        raise RecordingError(f"{path} is not a pcap file: {len(data)} bytes")
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        raise RecordingError(f"{path} is not a pcap file (magic {magic:#x})")
    scale = 1e-6 if magic == 0xA1B2C3D4 else 1e-9
    link = struct.unpack("<I", data[20:24])[0]
    if link not in (LINKTYPE_ETHERNET, LINKTYPE_RAW):
        raise RecordingError(f"{path}: link type {link} (Ethernet or raw IP expected)")
    packets, offset = [], 24
    while offset + 16 <= len(data):
        seconds, fraction, length, _ = struct.unpack("<IIII", data[offset : offset + 16])
        frame = data[offset + 16 : offset + 16 + length]
        offset += 16 + length
        ip = frame[14:] if link == LINKTYPE_ETHERNET else frame
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:  # IPv4, UDP
            continue
        udp = ip[(ip[0] & 15) * 4 :]
        rtp = udp[8:]
        if len(rtp) < 12 or rtp[0] >> 6 != 2:
            continue
        header = 12 + 4 * (rtp[0] & 15)
        if rtp[0] & 0x10 and len(rtp) >= header + 4:  # a header extension
            header += 4 + 4 * struct.unpack(">H", rtp[header + 2 : header + 4])[0]
        port = struct.unpack(">H", udp[2:4])[0]
        timestamp, ssrc = struct.unpack(">II", rtp[4:12])
        at = seconds + fraction * scale
        packets.append(RtpPacket(at, port, rtp[1] & 0x7F, ssrc, timestamp, rtp[header:]))
    return packets


def split_sides(path: Path, caller_port: int) -> tuple[Samples, Samples]:
    """The caller's and the far end's audio, each as long as the recording, silence where none came."""
    packets = [p for p in rtp_packets(path) if p.payload_type in (PCMU, PCMA)]
    if not packets:
        return np.zeros(0, np.int16), np.zeros(0, np.int16)
    start = min(p.captured for p in packets)
    origins: dict[tuple[int, int], tuple[float, int]] = {}  # stream → (its start in samples, first timestamp)
    placed = []
    for packet in packets:
        stream = (packet.port, packet.ssrc)
        if stream not in origins:
            origins[stream] = ((packet.captured - start) * RATE, packet.timestamp)
        offset, first = origins[stream]
        at = round(offset + ((packet.timestamp - first) % 2**32))
        placed.append((at, packet))
    length = max(at + len(packet.payload) for at, packet in placed)
    sides = np.zeros((2, length), np.int16)
    for at, packet in placed:
        audio = g711_to_linear(packet.payload, packet.payload_type)
        sides[0 if packet.port == caller_port else 1, at : at + audio.size] = audio
    return sides[0], sides[1]


def pcap_to_wav(pcap: Path, wav: Path, caller_port: int) -> float:
    """Write the stereo WAV (caller left, far end right); its length in seconds."""
    caller, far = split_sides(pcap, caller_port)
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(np.column_stack([caller, far]).astype("<i2").tobytes())
    return caller.size / RATE


def dominant_hz(samples: Samples) -> float:
    """The strongest frequency of a signal (0 for silence)."""
    if samples.size == 0 or not samples.any():
        return 0.0
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    spectrum[0] = 0.0
    return float(np.fft.rfftfreq(samples.size, 1 / RATE)[int(np.argmax(spectrum))])
