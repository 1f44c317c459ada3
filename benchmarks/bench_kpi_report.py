"""A year of KPIs: the reports API's streaming pass (`baiying.api.routes.reports.kpi_report`: the event log
read 5,000 events at a time, idle settled contacts forgotten) side by side with the whole-log way the API
used before (`EventLog.read_range` of the period into a list, then `compute_kpis`), on one SQLite file.

Both give the same report (checked). Printed: the peak of Python memory each allocates (tracemalloc, in a
second run), its time (an untraced run), and the ratios whole / streaming. The streaming peak follows the
report's rows (days, intervals, queues, sites, agents); the whole-log peak follows the events. Scale with
BAIYING_BENCH_KPI_CONTACTS (contacts per day, default 60) and BAIYING_BENCH_KPI_DAYS (default 366).
"""

import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import Session

from baiying.analytics import KpiReport, compute_kpis
from baiying.api.routes.reports import kpi_report, period_of
from baiying.events import (
    AgentStateChanged,
    ContactAbandoned,
    ContactAnswered,
    ContactArrived,
    ContactCompleted,
    Event,
    WrapUpEnded,
)
from baiying.ids import AgentId, ContactId, QueueId, SiteId
from baiying.storage.engine import make_engine
from baiying.storage.event_log import EventLog
from baiying.storage.repositories import Tenants
from baiying.storage.tables import Base

TENANT = "bench"
TIMEZONE = "Asia/Shanghai"
FIRST_DAY = date(2025, 1, 1)
QUEUES = (QueueId("billing"), QueueId("tech"))
SITES = (SiteId("beijing"), SiteId("guangzhou"))
AGENTS = tuple(AgentId(f"agent-{n:02d}") for n in range(20))
T = TypeVar("T")


def day_of_events(day: int, start: float, contacts: int) -> list[Event]:
    """`contacts` contacts between 08:00 and 20:00 local: nine in ten answered, completed and wrapped up,
    one in ten abandoned; each agent logs in at 08:00 and out at 20:00."""
    events: list[Event] = []
    for n, agent in enumerate(AGENTS):
        site = SITES[n % 2]
        events.append(AgentStateChanged(start + 8 * 3600, agent, site, "ready", "offline"))
        events.append(AgentStateChanged(start + 20 * 3600 + 600, agent, site, "offline", "ready"))
    step = 12 * 3600 / contacts
    for n in range(contacts):
        at = start + 8 * 3600 + n * step
        contact, queue, site = ContactId(f"d{day}c{n}"), QUEUES[n % 2], SITES[n % 2]
        agent = AGENTS[n % len(AGENTS)]
        events.append(ContactArrived(at, contact, queue, "voice", site))
        if n % 10 == 9:
            events.append(ContactAbandoned(at + 40, contact, queue, site, 40.0))
            continue
        wait = float(n % 30)
        events += [
            ContactAnswered(at + wait, contact, queue, agent, site, wait),
            ContactCompleted(at + wait + 240, contact, queue, agent, site, 240.0),
            WrapUpEnded(at + wait + 270, contact, queue, agent, site, 30.0),
        ]
    return sorted(events, key=lambda e: e.at)


def measured(run: Callable[[], T]) -> tuple[T, float, float]:
    """What `run` returns, its time in seconds (untraced: tracemalloc slows allocation-heavy code unevenly)
    and, from a second, traced run, its peak of Python memory in MB."""
    began = time.perf_counter()
    result = run()
    elapsed = time.perf_counter() - began
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, peak / 1e6


def main() -> None:
    contacts = int(os.environ.get("BAIYING_BENCH_KPI_CONTACTS", "60"))
    days = int(os.environ.get("BAIYING_BENCH_KPI_DAYS", "366"))
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'kpis.db'}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        log = EventLog()
        count = 0
        with Session(engine) as session:
            Tenants(session).add(TENANT, "Bench", at=0.0)
            session.commit()
            period = period_of(session, TENANT, FIRST_DAY, FIRST_DAY + timedelta(days - 1), TIMEZONE, days)
            for day in range(days):
                events = day_of_events(day, period.since + day * 86_400, contacts)
                log.append(session, TENANT, events)
                count += len(events)
            session.commit()
        print(f"{days} days, {contacts} contacts a day: {count:,} events")

        def streaming() -> KpiReport:
            with Session(engine) as session:
                return kpi_report(session, TENANT, period, 900, 20.0)

        def whole_log() -> KpiReport:
            with Session(engine) as session:
                events = [e for _, e in log.read_range(session, TENANT, period.since, period.until)]
            return compute_kpis(events, interval_seconds=900, sl_seconds=20.0, timezone=TIMEZONE)

        streamed, streamed_s, streamed_mb = measured(streaming)
        whole, whole_s, whole_mb = measured(whole_log)
        engine.dispose()
    assert streamed == whole, "the streaming pass and the whole log disagree"
    print(f"streaming pass:  peak {streamed_mb:8.1f} MB  {streamed_s:6.1f} s")
    print(f"whole log:       peak {whole_mb:8.1f} MB  {whole_s:6.1f} s")
    print(f"memory whole / streaming: {whole_mb / streamed_mb:.1f}x; time {whole_s / streamed_s:.2f}x")
    rows = f"{len(streamed.days)} days, {len(streamed.intervals):,} intervals"
    print(f"rows: {rows}, {streamed.total.offered:,} contacts offered")


if __name__ == "__main__":
    main()
