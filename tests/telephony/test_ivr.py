"""IVR menus in the voice settings: validated with errors naming the field and its line; a key press picks
an option."""

import pytest

from baiying.errors import ConfigError
from baiying.telephony.ivr import Menu
from baiying.telephony.lab import lab_settings
from baiying.telephony.settings import load_voice_settings

MENU = """\
tenant: lab
menus:
  menu:
    prompt: menu-en.wav
    hold_music: music.wav
    options:
      "1": {intent: billing}
      "2": {intent: tech, queue: helpdesk, language: en}
"""


def test_a_menu_is_read_from_the_voice_settings() -> None:
    menu = load_voice_settings(MENU, "voice.yaml").menus["menu"]
    assert (menu.timeout_seconds, menu.attempts, menu.on_no_choice) == (6.0, 2, None)
    chosen = menu.choose("2")
    assert chosen is not None
    assert (chosen.intent, chosen.queue, chosen.language) == ("tech", "helpdesk", "en")
    assert menu.choose("21") == chosen  # the first key counts
    assert menu.choose("7") is None
    assert menu.choose("") is None


def test_the_lab_menus_are_valid() -> None:
    menus = lab_settings().menus
    assert set(menus) == {"menu", "caidan"}
    assert isinstance(menus["caidan"], Menu)
    assert menus["menu"].options["2"].intent == "tech"


KEY_1 = '      "1": {intent: billing}'
MUSIC = "    hold_music: music.wav"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("    prompt: menu-en.wav", "    prompt: menu-en.mp3"), "voice.yaml:4: menus.menu.prompt:"),
        (("    prompt: menu-en.wav", "    prompt: /etc/menu.wav"), "voice.yaml:4: menus.menu.prompt:"),
        ((KEY_1, '      "x": {intent: billing}'), "'x' is not a telephone key"),
        ((KEY_1, '      "1": {language: en}'), "an option sets an intent, a queue or both"),
        ((KEY_1, '      "1": {intent: billing, colour: red}'), "menus.menu.options.1.colour"),
        ((MUSIC, MUSIC + "\n    attempts: 0"), "voice.yaml:6: menus.menu.attempts"),
        ((MUSIC, MUSIC + "\n    on_no_choice: '9'"), "on_no_choice '9' is not one of the options (1, 2)"),
    ],
)
def test_menu_errors_name_the_field_and_line(change: tuple[str, str], expected: str) -> None:
    text = MENU.replace(*change)
    assert text != MENU
    with pytest.raises(ConfigError) as caught:
        load_voice_settings(text, "voice.yaml")
    assert expected in str(caught.value)


def test_a_menu_without_options_is_refused_with_its_line() -> None:
    text = "menus:\n  menu:\n    prompt: a.wav\n    hold_music: b.wav\n    options: {}\n"
    with pytest.raises(ConfigError, match=r"voice.yaml:5: menus.menu.options: .*at least 1"):
        load_voice_settings(text, "voice.yaml")
