"""The outcome sections of the reports over a date range (local days, as for the KPIs), read-only, for
admins and supervisors, each as JSON and as CSV:

- `GET /api/reports/fcr`: first-contact resolution of the handled contacts that arrived in the period;
- `GET /api/reports/sla-attainment`: ticket SLA clocks fulfilled (and within target) and breaches due
  in the period, per SLA policy and metric;
- `GET /api/reports/offer-conversion`: care offers shown, accepted, declined and put off, per offer.

Up to 366 days with bounded memory: FCR is one pass over the period's timeline (and the FCR window
after it) read 5,000 interactions at a time, keeping only the contacts whose window is still open; SLA
attainment and offer conversion are counted by the database. Scoped like the KPIs (`site`, repeatable;
a site outside the user's scope is 403 naming it): FCR counts the contacts settled at those sites (a
repeat anywhere still counts), SLA attainment the tickets of those sites, offer conversion the outcomes
recorded by those sites' agents.
"""

from dataclasses import dataclass
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlalchemy.orm import Session

from baiying.accounts.policy import Action, Kind
from baiying.accounts.principal import Principal
from baiying.api.deps import ClockDep, SessionDep, allowed
from baiying.api.routes import reports
from baiying.api.routes.customer_timeline import fcr_between
from baiying.api.routes.reports import EndDate, Period, Sites, StartDate, Timezone, csv_response
from baiying.api.routes.ticket_automation import attainment_report
from baiying.api.schemas.care import ConversionPublic
from baiying.api.schemas.customers import FcrPublic
from baiying.api.schemas.tickets import AttainmentReport
from baiying.storage.repositories.care import conversion
from baiying.storage.repositories.tickets import TicketRepository

router = APIRouter(prefix="/api/reports", tags=["reports"])

Reader = Annotated[Principal, allowed(Action.READ, Kind.STATS)]
CSV: Final[dict[int | str, dict[str, Any]]] = {200: {"content": {"text/csv": {}}}}
FCR_COLUMNS: Final = ("handled", "resolved_first_time", "repeated", "pending", "rate", "window_hours")
SLA_COLUMNS: Final = ("policy", "metric", "fulfilled", "met", "breached", "attainment")
CONVERSION_COLUMNS: Final = ("offer_id", "shown", "accepted", "declined", "later", "conversion_rate")


@dataclass(frozen=True, slots=True)
class Scope:
    """What a report covers: the period asked for, and the sites (None: every site the user may read)."""

    principal: Principal
    period: Period
    sites: frozenset[str] | None


def scope_of(
    session: SessionDep,
    principal: Reader,
    start_date: StartDate,
    end_date: EndDate,
    timezone: Timezone = None,
    site: Sites = None,
) -> Scope:
    """The report's query parameters, checked: 403 naming a site outside the user's scope."""
    sites = reports.report_sites(session, principal, site)
    period = reports.period_of(session, principal.tenant_id, start_date, end_date, timezone, reports.MAX_DAYS)
    return Scope(principal, period, sites)


ScopeDep = Annotated[Scope, Depends(scope_of)]


def fcr_report(session: Session, scope: Scope, now: float) -> FcrPublic:
    period, tenant_id = scope.period, scope.principal.tenant_id
    return fcr_between(session, tenant_id, period.since, period.until, now, scope.sites, reports.READ_CHUNK)


@router.get("/fcr")
def fcr(session: SessionDep, clock: ClockDep, scope: ScopeDep) -> FcrPublic:
    """First-contact resolution of the contacts handled in the period (at the sites asked for, or at
    every site the user may read)."""
    return fcr_report(session, scope, clock.now())


@router.get("/fcr.csv", response_class=Response, responses=CSV)
def fcr_csv(session: SessionDep, clock: ClockDep, scope: ScopeDep) -> Response:
    """First-contact resolution as CSV (one row)."""
    return csv_response("fcr", scope.period, FCR_COLUMNS, [fcr_report(session, scope, clock.now())])


@router.get("/sla-attainment")
def sla_attainment(session: SessionDep, scope: ScopeDep) -> AttainmentReport:
    """Ticket SLA attainment per SLA policy and metric (tickets of the sites asked for, or of every site
    the user may read)."""
    tickets = TicketRepository(session, scope.principal.tenant_id)
    period = scope.period
    return attainment_report(tickets, period.since, period.until, period.until, scope.sites)


@router.get("/sla-attainment.csv", response_class=Response, responses=CSV)
def sla_attainment_csv(session: SessionDep, scope: ScopeDep) -> Response:
    """Ticket SLA attainment as CSV, one row per SLA policy and metric."""
    report = sla_attainment(session, scope)
    return csv_response("sla-attainment", scope.period, SLA_COLUMNS, report.rows)


@router.get("/offer-conversion")
def offer_conversion(session: SessionDep, scope: ScopeDep) -> list[ConversionPublic]:
    """Care offers: shown, accepted, declined, put off, and the conversion rate, per offer (recorded by
    the agents of the sites asked for, or of every site the user may read)."""
    period = scope.period
    rows = conversion(session, scope.principal.tenant_id, period.since, period.until, scope.sites)
    return [ConversionPublic.of(row) for row in rows]


@router.get("/offer-conversion.csv", response_class=Response, responses=CSV)
def offer_conversion_csv(session: SessionDep, scope: ScopeDep) -> Response:
    """Offer conversion as CSV, one row per offer."""
    rows = offer_conversion(session, scope)
    return csv_response("offer-conversion", scope.period, CONVERSION_COLUMNS, rows)
