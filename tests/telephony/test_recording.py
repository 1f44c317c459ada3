"""Recordings: rtpengine's pcap of a call's RTP becomes a stereo WAV (caller left, far end right)."""

import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from baiying.telephony.lab.prompts import alaw, tone_pcap, tones
from baiying.telephony.recording import (
    PCMA,
    PCMU,
    RecordingError,
    dominant_hz,
    g711_to_linear,
    pcap_to_wav,
    rtp_packets,
    split_sides,
)


def test_g711_expansion_matches_the_standard_tables() -> None:
    assert g711_to_linear(bytes([0xD5, 0x55, 0x2A, 0xAA]), PCMA).tolist() == [8, -8, -32256, 32256]
    assert g711_to_linear(bytes([0xFF, 0x7F, 0x00, 0x80]), PCMU).tolist() == [0, 0, -32124, 32124]
    with pytest.raises(ValueError, match=r"payload type 101 is not G\.711"):
        g711_to_linear(b"\x00", 101)


def test_a_law_round_trip_keeps_a_tone() -> None:
    samples = tones((700,), 0.5)
    decoded = g711_to_linear(alaw(samples), PCMA)
    assert dominant_hz(decoded) == pytest.approx(700, abs=3)
    assert np.max(np.abs(decoded / 12000 - samples)) < 0.03  # A-law's quantisation, no more


def merge(first: Path, second: Path, into: Path) -> None:
    """Two pcaps as one, as rtpengine writes both directions of a call into one file."""
    body = first.read_bytes() + second.read_bytes()[24:]
    into.write_bytes(body)


def test_each_side_lands_on_its_own_channel(tmp_path: Path) -> None:
    tone_pcap(tmp_path / "caller.pcap", 1000, 1.0)  # sent to port 6002
    tone_pcap(tmp_path / "agent.pcap", 440, 1.0)
    agent = bytearray((tmp_path / "agent.pcap").read_bytes())
    # the agent's packets go to another port: rewrite each UDP destination port (Ethernet 14 + IPv4 20 + 2)
    offset = 24
    while offset < len(agent):
        length = struct.unpack("<I", agent[offset + 8 : offset + 12])[0]
        agent[offset + 16 + 36 : offset + 16 + 38] = struct.pack(">H", 7002)
        offset += 16 + length
    (tmp_path / "agent.pcap").write_bytes(bytes(agent))
    merge(tmp_path / "caller.pcap", tmp_path / "agent.pcap", tmp_path / "call.pcap")
    assert len(rtp_packets(tmp_path / "call.pcap")) == 100
    caller, far = split_sides(tmp_path / "call.pcap", caller_port=6002)
    assert dominant_hz(caller) == pytest.approx(1000, abs=3)
    assert dominant_hz(far) == pytest.approx(440, abs=3)
    seconds = pcap_to_wav(tmp_path / "call.pcap", tmp_path / "call.wav", caller_port=6002)
    assert seconds == pytest.approx(1.0, abs=0.01)
    with wave.open(str(tmp_path / "call.wav")) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (2, 8000, 2)


def test_silence_and_bad_files(tmp_path: Path) -> None:
    assert dominant_hz(np.zeros(100, np.int16)) == 0.0
    (tmp_path / "short").write_bytes(b"xx")
    with pytest.raises(RecordingError, match="is not a pcap file: 2 bytes"):
        rtp_packets(tmp_path / "short")
    (tmp_path / "text").write_bytes(b"x" * 40)
    with pytest.raises(RecordingError, match="is not a pcap file \\(magic"):
        rtp_packets(tmp_path / "text")
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 113)
    (tmp_path / "sll").write_bytes(header)
    with pytest.raises(RecordingError, match="link type 113"):
        rtp_packets(tmp_path / "sll")
    (tmp_path / "empty.pcap").write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    caller, far = split_sides(tmp_path / "empty.pcap", 6002)
    assert caller.size == far.size == 0


def test_jitter_in_capture_times_moves_no_sample(tmp_path: Path) -> None:
    tone_pcap(tmp_path / "steady.pcap", 440, 1.0)
    jittery = bytearray((tmp_path / "steady.pcap").read_bytes())
    lateness = iter(np.random.default_rng(7).integers(0, 15_000, 50).tolist())  # up to 15 ms late
    offset = 24
    while offset < len(jittery):
        seconds, micros, length = struct.unpack("<III", jittery[offset : offset + 12])
        late = seconds * 1_000_000 + micros + next(lateness)
        jittery[offset : offset + 8] = struct.pack("<II", late // 1_000_000, late % 1_000_000)
        offset += 16 + length
    (tmp_path / "jittery.pcap").write_bytes(bytes(jittery))
    steady, _ = split_sides(tmp_path / "steady.pcap", 6002)
    shaken, _ = split_sides(tmp_path / "jittery.pcap", 6002)
    assert np.array_equal(steady, shaken)
