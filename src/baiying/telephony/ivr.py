"""IVR menus: what a caller hears before the queue and how their key presses set the contact's routing.

A menu belongs to a dialled queue name (`menus:` in the voice settings YAML, validated here, so an error
names the field and its line). The caller hears `prompt`; one key press picks an option, which sets the
contact's intent (routing policies use it as `${intent}` in skill names), its language and, optionally,
another queue. No key, or a key that is no option, plays the prompt again, up to `attempts` times; then
`on_no_choice` (an option's key) is taken, or the call ends with 480 when there is none. While queued the
caller hears `hold_music`, looped, until an agent answers.

Prompt and music are WAV files, named relative to the settings' `media_dir`.
"""

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DTMF_KEYS = "0123456789*#"
MEDIA_FILE = r"^[^/][^\x00]*\.wav$"  # a WAV file under the media directory


class MenuOption(BaseModel):
    """What one key does: at least one of intent and queue."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    intent: str | None = Field(default=None, min_length=1, max_length=64)
    queue: str | None = Field(default=None, min_length=1, max_length=64)  # a queue id; unset: the dialled one
    language: str | None = Field(default=None, min_length=2, max_length=16)

    @model_validator(mode="after")
    def _does_something(self) -> "MenuOption":
        if self.intent is None and self.queue is None:
            raise ValueError("an option sets an intent, a queue or both")
        return self


class Menu(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    prompt: str = Field(pattern=MEDIA_FILE)
    hold_music: str = Field(pattern=MEDIA_FILE)
    # the contact's language, unless the option chosen sets one
    language: str | None = Field(default=None, min_length=2, max_length=16)
    timeout_seconds: float = Field(default=6.0, gt=0, le=60)  # after the prompt starts, per attempt
    attempts: int = Field(default=2, ge=1, le=5)
    options: dict[str, MenuOption] = Field(min_length=1)
    on_no_choice: str | None = None  # the key of the option taken after the last attempt; unset: hang up

    @field_validator("options")
    @classmethod
    def _keys_are_dtmf(cls, value: dict[str, MenuOption]) -> dict[str, MenuOption]:
        for key in value:
            if len(key) != 1 or key not in DTMF_KEYS:
                raise ValueError(f"{key!r} is not a telephone key (one of {DTMF_KEYS})")
        return value

    @model_validator(mode="after")
    def _default_is_an_option(self) -> "Menu":
        if self.on_no_choice is not None and self.on_no_choice not in self.options:
            keys = ", ".join(sorted(self.options))
            raise ValueError(f"on_no_choice {self.on_no_choice!r} is not one of the options ({keys})")
        return self

    def choose(self, digits: str) -> MenuOption | None:
        """The option for what the caller pressed (the first key counts), or None."""
        return self.options.get(digits[:1]) if digits else None
