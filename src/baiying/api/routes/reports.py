"""Historical reports over a date range (local days in the tenant's time zone), read-only, for admins and
supervisors:

- `GET /api/reports/kpis`: offered, answered, abandoned, service level, ASA, AHT, occupancy ... by
  interval, day, queue, site and agent, computed by `baiying.analytics.compute_kpis` from the stored event
  log of the period (the same code that measures a simulated day);
- `GET /api/reports/kpis/{table}.csv`: one of those tables as CSV (a header row, then one row each);
- FCR, ticket SLA attainment and offer conversion over the same kind of period and scope: see
  `baiying.api.routes.outcome_reports`.

A supervisor scoped to sites reads the KPIs of their own sites: by default the report covers every site
the user may read statistics of (the whole tenant for admins and supervisors of every site); `site`
(repeatable) narrows it, and a site outside the user's scope is refused with 403 naming it. A report of
some sites holds what `baiying.analytics` attributes to them: the contacts settled or still waiting
there, the time worked there and the agents of those sites.

The period is [local midnight of start_date, local midnight after end_date), at most 366 days. The
KPIs are computed in one pass over the period's events in time order, read 5,000 at a time; contacts
settled and idle for two days are forgotten as the pass goes on (a later event about one counts as
ignored), so memory grows with the report's rows, not with the events. A contact counts in the interval
it arrived in; one that arrived before the period is not counted (its later events show as
`ignored_events`), and one still waiting at the period's end counts as `waiting_at_end`.
Occupancy counts the agents' state changes inside the period.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, StringConstraints
from sqlalchemy.orm import Session

from baiying.accounts.errors import Forbidden
from baiying.accounts.policy import Action, Kind, can, resource, visibility
from baiying.accounts.principal import Principal
from baiying.analytics import KpiAccumulator, KpiReport
from baiying.analytics.timegrid import zone
from baiying.api.deps import SessionDep, allowed
from baiying.api.schemas import NO_CONTROLS
from baiying.api.schemas.reports import KPI_COLUMNS, KpiReportPublic
from baiying.errors import DomainError, UnknownEntity
from baiying.storage.event_log import EventLog
from baiying.storage.repositories import SiteRepository

router = APIRouter(prefix="/api/reports", tags=["reports"])

MAX_DAYS: Final = 366
READ_CHUNK: Final = 5_000  # events read at a time
FORGET_IDLE_SECONDS: Final = 2 * 86_400  # a settled contact's later legs come within this
SWEEP_EVERY_SECONDS: Final = 86_400
DEFAULT_TIMEZONE: Final = "Asia/Shanghai"
KpiTable = Literal["intervals", "days", "queues", "sites", "agents"]


class InvalidReportPeriod(DomainError):
    code = "invalid-report-settings"


StartDate = Annotated[date, Query(description="The first local day of the period (YYYY-MM-DD).")]
EndDate = Annotated[date, Query(description="The last local day of the period, included.")]
Timezone = Annotated[
    str | None,
    Query(max_length=64, pattern=NO_CONTROLS, description="IANA name; default: the HQ site's time zone."),
]
IntervalSeconds = Annotated[
    int, Query(ge=60, le=86_400, description="Interval length; must divide a day (900, 1800, 3600).")
]
Sites = Annotated[
    list[Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=NO_CONTROLS)]] | None,
    Query(
        max_length=100,
        description="Only these sites (repeat the parameter); default: every site you may read.",
    ),
]
SlSeconds = Annotated[
    float, Query(ge=0, le=3600, allow_inf_nan=False, description="Service-level threshold, seconds.")
]


@dataclass(frozen=True, slots=True)
class Period:
    start_date: date
    end_date: date
    timezone: str
    since: float
    until: float

    @property
    def label(self) -> str:
        return f"{self.start_date.isoformat()}_{self.end_date.isoformat()}"


def tenant_timezone(session: Session, tenant_id: str) -> str:
    """The tenant's reporting time zone: its HQ site's, else its first site's, else Asia/Shanghai."""
    sites = SiteRepository(session, tenant_id).list()
    home = next((s for s in sites if s.hq), sites[0] if sites else None)
    return home.timezone if home is not None else DEFAULT_TIMEZONE


def period_of(
    session: Session,
    tenant_id: str,
    start_date: date,
    end_date: date,
    timezone: str | None,
    max_days: int = MAX_DAYS,
) -> Period:
    """The period's bounds as epoch seconds; InvalidReportPeriod (422) for an empty or too long one,
    InvalidAnalyticsSettings (422) for an unknown time zone."""
    name = timezone if timezone else tenant_timezone(session, tenant_id)
    local = zone(name)
    if end_date < start_date:
        raise InvalidReportPeriod(
            f"end_date ({end_date}) is before start_date ({start_date})",
            {"field": "end_date", "start_date": str(start_date), "end_date": str(end_date)},
        )
    days = (end_date - start_date).days + 1
    if days > max_days:
        raise InvalidReportPeriod(
            f"the period is {days} days long; at most {max_days} days at a time",
            {"field": "end_date", "days": days},
        )
    since = datetime.combine(start_date, time(0), tzinfo=local).timestamp()
    until = datetime.combine(end_date + timedelta(days=1), time(0), tzinfo=local).timestamp()
    return Period(start_date, end_date, name, since, until)


def report_sites(
    session: Session, principal: Principal, asked: Sequence[str] | None
) -> frozenset[str] | None:
    """The sites a KPI report covers (None: the whole tenant): those `asked` for, each an existing site
    the user may read statistics of (else UnknownEntity, 404, or Forbidden, 403, naming it), or by
    default every site the user may read."""
    allowed_sites = visibility(principal, Action.READ, Kind.STATS)
    if not asked:
        return None if allowed_sites.everything else allowed_sites.sites
    known = {row.id for row in SiteRepository(session, principal.tenant_id).list()}
    for site in asked:
        if site not in known:
            raise UnknownEntity(f"no site {site!r}", {"entity": "site", "id": site, "field": "site"})
        if not can(principal, Action.READ, resource(Kind.STATS, principal.tenant_id, site, site=site)):
            raise Forbidden(
                f"user {principal.login!r} may not read the statistics of site {site!r}: their reports "
                f"cover {', '.join(repr(s) for s in sorted(allowed_sites.sites)) or 'no site'}",
                {"action": "read", "kind": "stats", "id": site, "field": "site"},
            )
    return frozenset(asked)


def kpi_report(
    session: Session,
    tenant_id: str,
    period: Period,
    interval_seconds: int,
    sl_seconds: float,
    sites: frozenset[str] | None = None,
) -> KpiReport:
    """The KPIs of the period, from its events read a chunk at a time (see the module docstring)."""
    accumulator = KpiAccumulator(interval_seconds, sl_seconds, timezone=period.timezone)
    next_sweep = period.since + SWEEP_EVERY_SECONDS
    for events in EventLog().read_range_chunks(session, tenant_id, period.since, period.until, READ_CHUNK):
        accumulator.add_all(events)
        latest = events[-1].at
        if latest >= next_sweep:
            accumulator.forget_settled(latest - FORGET_IDLE_SECONDS)
            next_sweep = latest + SWEEP_EVERY_SECONDS
    return accumulator.report(sites)


@router.get("/kpis")
def kpis(
    session: SessionDep,
    principal: Annotated[Principal, allowed(Action.READ, Kind.STATS)],
    start_date: StartDate,
    end_date: EndDate,
    timezone: Timezone = None,
    interval_seconds: IntervalSeconds = 900,
    sl_seconds: SlSeconds = 20.0,
    site: Sites = None,
) -> KpiReportPublic:
    """The period's KPIs: the total and one row per interval and day with activity, per queue, site and
    agent; of the sites asked for, or of every site the user may read."""
    sites = report_sites(session, principal, site)
    period = period_of(session, principal.tenant_id, start_date, end_date, timezone)
    report = kpi_report(session, principal.tenant_id, period, interval_seconds, sl_seconds, sites)
    return KpiReportPublic.of(report, period.start_date, period.end_date, period.since, period.until, sites)


@router.get("/kpis/{table}.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def kpis_csv(
    table: KpiTable,
    session: SessionDep,
    principal: Annotated[Principal, allowed(Action.READ, Kind.STATS)],
    start_date: StartDate,
    end_date: EndDate,
    timezone: Timezone = None,
    interval_seconds: IntervalSeconds = 900,
    sl_seconds: SlSeconds = 20.0,
    site: Sites = None,
) -> Response:
    """One KPI table as CSV, with the columns of its JSON rows (ratios as fractions, durations in
    seconds, an empty cell where a ratio has no denominator)."""
    report = kpis(session, principal, start_date, end_date, timezone, interval_seconds, sl_seconds, site)
    rows: Sequence[BaseModel] = getattr(report, table)
    period = Period(report.start_date, report.end_date, report.timezone, report.since, report.until)
    return csv_response(f"kpis-{table}", period, KPI_COLUMNS[table], rows)


def cell(value: Any) -> str:
    """A CSV cell: empty for None, a float rounded to 4 places, anything else as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 4))
    return str(value)


def csv_text(columns: Sequence[str], rows: Iterable[BaseModel]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        data = row.model_dump()
        writer.writerow([cell(data[name]) for name in columns])
    return out.getvalue()


def csv_response(name: str, period: Period, columns: Sequence[str], rows: Iterable[BaseModel]) -> Response:
    return Response(
        csv_text(columns, rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}_{period.label}.csv"',
            "Cache-Control": "no-store",
        },
    )
