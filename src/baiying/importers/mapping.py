"""Which column of a call log means what: a YAML-friendly mapping, and the built-in presets."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from baiying.yamlconfig import load_model


class OutcomeValues(BaseModel):
    """Values of the outcome column; a row with any other value is rejected."""

    model_config = ConfigDict(extra="forbid")

    answered: list[str] = []
    abandoned: list[str] = []
    ignore: list[str] = []  # rows that are not calls at all (test calls, phantoms)

    @model_validator(mode="after")
    def _disjoint(self) -> "OutcomeValues":
        seen: dict[str, str] = {}
        for group, values in (
            ("answered", self.answered),
            ("abandoned", self.abandoned),
            ("ignore", self.ignore),
        ):
            for value in values:
                if value in seen:
                    raise ValueError(f"outcome {value!r} is listed under both {seen[value]} and {group}")
                seen[value] = group
        return self


class CallLogMapping(BaseModel):
    """How to read one CSV/TSV call log.

    Times: with `date_column`, each time column holds a time of day (`time_format`) on that row's date,
    and a time more than 12 hours before the row's start time is taken to be on the next day (a call
    crossing midnight). Without it, each time column holds a full date and time (`time_format`, or
    "iso"). Times are local to `timezone`. A value listed in `empty_time_values` in the queue-entry,
    answer or end column means "no such time".

    Rules: a call arrives at the ACD at its queue-entry time, or else at its arrival time. With a
    queue-entry column, an abandoned call that never entered the queue (no entry time and no wait) hung
    up before reaching the ACD: it is counted apart, not as offered. The wait is the wait column, else
    answer (or end, for an abandoned call) minus arrival; the handle time is the handle column, else end
    minus answer. An answered call whose answer time is empty is rejected.
    """

    model_config = ConfigDict(extra="forbid")

    delimiter: str = ","
    timezone: str = "UTC"
    date_column: str | None = None
    date_format: str = "%Y-%m-%d"
    time_format: str = "%Y-%m-%d %H:%M:%S"
    empty_time_values: list[str] = [""]
    id_columns: list[str] = []  # joined with "-"; empty: the line number is the call id
    start_column: str | None = None  # when the call first reached the system (e.g. IVR entry)
    arrival_column: str
    queue_entry_column: str | None = None
    answer_column: str | None = None
    end_column: str | None = None
    wait_seconds_column: str | None = None
    handle_seconds_column: str | None = None
    outcome_column: str | None = None
    outcomes: OutcomeValues = OutcomeValues()
    agent_column: str | None = None
    no_agent_values: list[str] = []
    queue_column: str | None = None
    default_queue: str = "default"
    customer_column: str | None = None
    unknown_customer_values: list[str] = []
    priority_column: str | None = None
    site_id: str = "main"

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str) -> str:
        value = {"tab": "\t", "\\t": "\t"}.get(value, value)
        if len(value) != 1:
            raise ValueError(f'delimiter must be one character (or "tab"), got {value!r}')
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)"
            ) from None
        return value

    @model_validator(mode="after")
    def _enough_columns(self) -> "CallLogMapping":
        if self.outcome_column is None and self.answer_column is None:
            raise ValueError("give outcome_column or answer_column, to tell answered from abandoned calls")
        if self.outcome_column is not None and not self.outcomes.answered:
            raise ValueError("outcomes.answered must list the outcome values of answered calls")
        if self.wait_seconds_column is None and (self.answer_column is None or self.end_column is None):
            raise ValueError("give wait_seconds_column, or answer_column and end_column, to measure waits")
        if self.handle_seconds_column is None and (self.answer_column is None or self.end_column is None):
            raise ValueError(
                "give handle_seconds_column, or answer_column and end_column, to measure handle times"
            )
        return self

    def columns(self) -> dict[str, str]:
        """Every mapped column, by the mapping field that names it."""
        named = {
            name: value
            for name, value in self.model_dump().items()
            if name.endswith("_column") and isinstance(value, str)
        }
        named.update({f"id_columns[{index}]": column for index, column in enumerate(self.id_columns)})
        return named


ANONYMOUS_BANK = CallLogMapping(
    delimiter="\t",
    timezone="Asia/Jerusalem",
    date_column="date",
    date_format="%y%m%d",
    time_format="%H:%M:%S",
    empty_time_values=["0:00:00", ""],
    # call_id alone repeats across VRU lines; the pair is unique.
    id_columns=["vru+line", "call_id"],
    start_column="vru_entry",
    arrival_column="vru_exit",
    queue_entry_column="q_start",
    answer_column="ser_start",
    end_column="ser_exit",
    # The lab's own durations: ser_start is skewed a second or more against q_exit on most rows.
    wait_seconds_column="q_time",
    handle_seconds_column="ser_time",
    outcome_column="outcome",
    outcomes=OutcomeValues(answered=["AGENT"], abandoned=["HANG"], ignore=["PHANTOM"]),
    agent_column="server",
    no_agent_values=["NO_SERVER"],
    queue_column="type",
    customer_column="customer_id",
    unknown_customer_values=["0"],
    priority_column="priority",
    site_id="anonymous-bank",
)
"""The Technion "Anonymous Bank" log (Israel, 1999). PHANTOM rows are ignored; HANG without a queue
entry hung up in the VRU; AGENT with server NO_SERVER is answered by an unnamed agent (service times
are present, so the caller was served); AGENT with no service start (ser_start 0:00:00) is rejected."""

PRESETS: dict[str, CallLogMapping] = {"anonymous-bank": ANONYMOUS_BANK}


def load_mapping(text: str, source: str) -> CallLogMapping:
    """A mapping from YAML text; raises ConfigError naming the field and line of each problem."""
    return load_model(text, CallLogMapping, source)
