"""A working day in miniature for the live engine: the bundled national network in the database, and a
script of commands (agents log in, contacts arrive, offers are accepted, missed, rejected, completed,
abandoned, transferred) played by a timer loop that fires the router's deadlines exactly when due."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table
from sqlalchemy.orm import Session

from baiying.application.bus import EventBatch, EventBus
from baiying.application.center import LiveCenter
from baiying.clock import ManualClock
from baiying.errors import DomainError
from baiying.events import Event
from baiying.ids import AgentId, ContactId, QueueId, SiteId
from baiying.routing.model import SiteStatus
from baiying.scenarios import bundled
from baiying.simulation.scenario import load_scenario
from baiying.storage.engine import make_engine
from baiying.storage.repositories import WrapUpCodeRepository, import_scenario
from baiying.storage.tables import Base, WrapUpCodeRow

TENANT = "national"
# Monday 2026-11-23, 10:00 in Beijing: every site is open and staffed.
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()


_NATIONAL_ROWS: list[tuple[Table, list[dict[str, Any]]]] = []


def load_national(url: str) -> None:
    """The bundled national scenario's network, plus two wrap-up codes, in tenant `national`.

    The first call imports the scenario; later calls copy the rows it made (a bulk insert per table is
    ten times faster than importing ~700 agents again).
    """
    engine = make_engine(url)
    if _NATIONAL_ROWS:
        with engine.begin() as connection:
            for table, rows in _NATIONAL_ROWS:
                connection.execute(table.insert(), rows)
        engine.dispose()
        return
    path = bundled("national.yaml")
    scenario = load_scenario(path.read_text(encoding="utf-8"), str(path))
    with Session(engine) as session:
        import_scenario(session, TENANT, scenario, at=T0 - 86_400)
        codes = WrapUpCodeRepository(session, TENANT)
        codes.add(WrapUpCodeRow(code="resolved", label="Resolved", active=True))
        codes.add(WrapUpCodeRow(code="retired", label="No longer used", active=False))
        session.commit()
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = [dict(row._mapping) for row in connection.execute(table.select())]
            if rows:
                _NATIONAL_ROWS.append((table, rows))
    engine.dispose()


class Recorder:
    """Every batch published on a bus, flattened to (sequence, event)."""

    def __init__(self, bus: EventBus) -> None:
        self.published: list[tuple[int, Event]] = []
        bus.subscribe(self.on_batch)

    def on_batch(self, batch: EventBatch) -> None:
        assert batch.tenant_id == TENANT
        self.published.extend(zip(batch.sequences, batch.events, strict=True))


@dataclass
class Run:
    """A center, its clock and what it published."""

    center: LiveCenter
    clock: ManualClock
    recorder: Recorder

    @classmethod
    def open(cls, url: str, at: float = T0) -> "Run":
        bus = EventBus()
        recorder = Recorder(bus)
        clock = ManualClock(at)
        return cls(LiveCenter(url, clock, bus), clock, recorder)


def until(run: Run, at: float) -> list[str]:
    """The server's timer loop, up to `at`: advance at each deadline as it falls due."""
    said: list[str] = []
    while (due := run.center.next_due()) is not None and due <= at:
        run.clock.set(max(due, run.clock.now()))
        for result in run.center.advance():
            said += [d.explain() for d in result.decisions]
    run.clock.set(at)
    return said


Step = tuple[float, str, tuple[Any, ...], dict[str, Any]]


def step(at: float, method: str, *args: Any, **kwargs: Any) -> Step:
    return (at, method, args, kwargs)


def play(run: Run, steps: Sequence[Step]) -> Iterator[tuple[str, list[str]]]:
    """Play the steps; yields, per step, what the timer loop and then the command decided (or the code
    of the error that refused it)."""
    for at, method, args, kwargs in steps:
        said = until(run, T0 + at)
        try:
            result = getattr(run.center, method)(TENANT, *args, **kwargs)
            said += [d.explain() for d in result.decisions]
        except DomainError as error:
            said.append(f"refused: {error.code}: {error}")
        yield f"{at:>6} {method}{args}", said


A1, A2, A3 = (AgentId(f"bj-billing-early-00{n}") for n in (1, 2, 3))
GZ1 = AgentId("gz-billing-early-001")
TECH1 = AgentId("bj-tech-early-001")
BILLING, TECH = QueueId("billing"), QueueId("tech")
BJ, GZ = SiteId("beijing"), SiteId("guangzhou")


def c(n: int) -> ContactId:
    return ContactId(f"c{n:02d}")


def arrive(at: float, n: int, queue: QueueId = BILLING, site: SiteId = BJ, language: str = "cmn") -> Step:
    return step(at, "arrive", queue, contact_id=c(n), site_id=site, language=language)


# Up to the crash: contacts waiting, agents busy and in wrap-up, one offer ringing.
BEFORE_CRASH = [
    step(0, "login", A1),
    step(0, "login", A2),
    step(1, "login", GZ1),
    arrive(2, 1),  # offered to A1
    arrive(3, 2),  # offered to A2
    arrive(4, 3),  # Beijing's expected wait is too long: overflows to Guangzhou
    step(5, "accept", c(1), A1),
    step(6, "accept", c(2), A1),  # the wrong agent: refused
    step(7, "accept", c(2), A2),
    step(8, "accept", c(3), GZ1),
    arrive(9, 4, site=GZ, language="yue"),
    arrive(10, 5, queue=TECH),
    arrive(12, 6),
    step(15, "abandon", c(6)),
    step(20, "complete", c(1), agent_id=A1, wrap_up_code="resolved", notes="refund issued"),
    step(52, "login", A3),
    step(55, "accept", c(5), A1),  # offered at 50, when its first step timed out
    arrive(60, 7),
    step(65, "accept", c(7), A3),
    arrive(70, 8),
    arrive(72, 9),
    step(75, "set_aux", A2, "coaching"),
    step(80, "complete", c(3)),
    step(86, "login", TECH1),  # takes c08, which rings at the crash
]

# After the crash (the recovered center and its uncrashed twin play these side by side).
AFTER_CRASH = [
    step(95, "accept", c(8), TECH1),
    step(105, "accept", c(4), GZ1),  # offered at 100, when GZ1's wrap-up ended
    step(110, "complete", c(2)),
    step(115, "transfer_to_queue", c(7), TECH),  # while connected: its first leg ends
    step(120, "complete", c(5), wrap_up_code="retired"),  # an inactive code: refused
    step(121, "complete", c(5)),
    step(125, "end_wrap_up", A1),
    step(130, "accept", c(9), A1),
    arrive(135, 10),
    step(140, "reject", c(10), A3),
    step(145, "set_site_status", GZ, SiteStatus.EVACUATED),
    step(150, "complete", c(4)),
    step(160, "abandon", c(10)),  # c07 (now in tech) then rings at A3, who misses it at 180
    arrive(170, 11),
    step(200, "logout", A1),
    step(250, "set_site_status", GZ, SiteStatus.OPEN),
    step(510, "accept_callback", c(11)),  # offered at 500, when its third step timed out
    step(520, "set_ready", A2),
    step(525, "accept", c(7), A2),
    step(530, "set_ready", A3),
    step(535, "accept", c(11), A3),
    step(600, "complete", c(11)),
    step(601, "transfer_to_agent", c(7), A3),  # A3 takes it when its wrap-up ends, at 620
    step(630, "accept", c(7), A3),
    step(700, "complete", c(7)),
]
