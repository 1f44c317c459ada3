"""Position and expected-wait sentences, spoken by espeak-ng into a cache, and their settings."""

import os
import shutil
import wave
from pathlib import Path

import pytest

from baiying.errors import ConfigError
from baiying.routing.placement import INFINITE_WAIT
from baiying.routing.standing import QueueStanding
from baiying.telephony.announce import Announcement, EspeakSpeaker, announcement
from baiying.telephony.settings import load_voice_settings
from baiying.telephony.switch import TelephonyError


def test_the_sentence_follows_the_contacts_language() -> None:
    assert announcement(QueueStanding(1, 30.0), "en") == Announcement(
        "en", "You are number 1 in the queue. The expected wait is about 1 minute."
    )
    assert announcement(QueueStanding(3, 250.0), None).text == (
        "You are number 3 in the queue. The expected wait is about 5 minutes."
    )
    for language in ("zh", "zh-CN", "cmn", "yue"):
        assert announcement(QueueStanding(2, 125.0), language) == Announcement(
            "cmn", "您是队列中的第2位，预计等待约3分钟。"
        )


def test_nobody_staffed_gives_no_wait_but_asks_to_hold() -> None:
    assert announcement(QueueStanding(4, INFINITE_WAIT), "en").text == (
        "You are number 4 in the queue. Please hold."
    )
    assert announcement(QueueStanding(4, INFINITE_WAIT), "zh").text == "您是队列中的第4位，请耐心等候。"


def espeak_or_skip() -> None:
    if shutil.which("espeak-ng") is None:
        if os.environ.get("CI"):
            pytest.fail("espeak-ng is missing in CI")
        pytest.skip("espeak-ng is not installed")


def test_espeak_speaks_each_sentence_once_into_the_cache(tmp_path: Path) -> None:
    espeak_or_skip()
    speaker = EspeakSpeaker(tmp_path)
    said = announcement(QueueStanding(2, 100.0), "zh")
    media, seconds = speaker.speak(said)
    assert media.startswith("announcements/cmn-")
    assert media.endswith(".wav")
    with wave.open(str(tmp_path / media)) as wav:
        assert wav.getnframes() / wav.getframerate() == pytest.approx(seconds)
    assert 1.0 < seconds < 10.0
    speaker.binary = "no-such-espeak"  # a cached sentence needs no synthesis
    assert speaker.speak(said) == (media, seconds)
    english, _ = EspeakSpeaker(tmp_path).speak(announcement(QueueStanding(2, 100.0), "en"))
    assert english != media
    assert sorted(p.name for p in (tmp_path / "announcements").iterdir()) == sorted(
        [Path(media).name, Path(english).name]
    )  # no partial files left


def test_a_missing_speaker_is_named(tmp_path: Path) -> None:
    speaker = EspeakSpeaker(tmp_path, binary="no-such-espeak")
    with pytest.raises(TelephonyError, match="no-such-espeak is not installed"):
        speaker.speak(Announcement("en", "hello"))


def test_an_announcement_interval_must_be_positive_and_is_named_with_its_line() -> None:
    text = "announcements:\n  helpdesk: {every_seconds: 0}\n"
    with pytest.raises(ConfigError) as caught:
        load_voice_settings(text, "voice.yaml")
    assert str(caught.value) == (
        "voice.yaml:2: announcements.helpdesk.every_seconds: Input should be greater than 0"
    )
    settings = load_voice_settings("announcements:\n  helpdesk: {every_seconds: 20}\n", "voice.yaml")
    assert settings.announcements["helpdesk"].every_seconds == 20
