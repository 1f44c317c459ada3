"""The outcome sections of the reports over HTTP, on SQLite and PostgreSQL: first-contact resolution and
offer conversion over up to 366 days (FCR read in small chunks equals the definition over the whole
timeline), scoped to a site supervisor's sites, 403 naming a site outside the scope, 422 past 366 days.
(SLA attainment by site: tests/tickets/test_api.py.)"""

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient  # conftest imported it first, without the httpx2 warning
from sqlalchemy.orm import Session

from baiying.api.routes import reports as reports_route
from baiying.clock import ManualClock
from baiying.customers.interactions import first_contact_resolution
from baiying.events import ContactAnswered, ContactArrived, ContactCompleted, Event
from baiying.ids import AgentId, ContactId, QueueId, SiteId
from baiying.storage.engine import make_engine
from baiying.storage.event_log import EventLog
from baiying.storage.repositories.customer_timeline import interactions_between_chunks
from tests.api import test_reports
from tests.api.conftest import error_of
from tests.api.test_live import login, ok
from tests.application.helpers import A1, GZ1, TENANT
from tests.application.helpers import T0 as NOW

clock = test_reports.clock
reports = test_reports.reports

DAY = test_reports.DAY
DAY_START = test_reports.DAY_START
FIRST_DAY = DAY_START - 365 * 86_400  # 2025-11-23 in Beijing: 366 days up to DAY
YEAR = {"start_date": "2025-11-23", "end_date": DAY}
WINDOW = 72 * 3600.0  # the tenant's FCR window (the default)


def handled_contact(at: float, contact: str, customer: str, agent: AgentId, site: str) -> list[Event]:
    queue, where = QueueId("billing"), SiteId(site)
    cid = ContactId(contact)
    return [
        ContactArrived(at, cid, queue, "voice", where, intent="billing", customer_id=customer),
        ContactAnswered(at + 10, cid, queue, agent, where, 10.0),
        ContactCompleted(at + 300, cid, queue, agent, where, 290.0),
    ]


def a_year_of_customers(reports: TestClient) -> None:
    """Each local day d of the year before DAY: customer c<d> calls at 09:00, answered at Beijing on even
    days and Guangzhou on odd ones; every fifth day they call again at 15:00 (Beijing), a repeat."""
    events: list[Event] = []
    for day in range(365):
        nine = FIRST_DAY + day * 86_400 + 9 * 3600
        site, agent = ("beijing", A1) if day % 2 == 0 else ("guangzhou", GZ1)
        events += handled_contact(nine, f"d{day}", f"c{day}", agent, site)
        if day % 5 == 0:
            events += handled_contact(nine + 6 * 3600, f"d{day}r", f"c{day}", A1, "beijing")
    app: Any = reports.app
    engine = make_engine(app.state.baiying.settings.database_url)
    try:
        with Session(engine) as session:
            EventLog().append(session, TENANT, events)
            session.commit()
    finally:
        engine.dispose()


def counts(body: dict[str, Any]) -> tuple[int, int, int, int]:
    return (body["handled"], body["resolved_first_time"], body["repeated"], body["pending"])


def test_a_year_of_fcr_read_in_chunks_equals_the_definition_and_is_scoped_by_site(
    reports: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reports_route, "READ_CHUNK", 7)  # hundreds of chunks over the year
    a_year_of_customers(reports)
    admin, supervisor = login(reports, "boss"), login(reports, "sup-gz")

    whole = ok(reports.get("/api/reports/fcr", params=YEAR, headers=admin))
    # 365 first calls + 73 repeats handled; the 73 first calls followed by a repeat were not resolved;
    # the last two days' first calls (25 h and 49 h before now) are still in their 72 h window.
    assert counts(whole) == (438, 363, 73, 2)
    assert (whole["since"], whole["until"], whole["window_hours"]) == (FIRST_DAY, DAY_START + 86_400, 72.0)
    app: Any = reports.app
    engine = make_engine(app.state.baiying.settings.database_url)
    try:
        with Session(engine) as session:
            end = DAY_START + 86_400 + WINDOW
            whole_year = interactions_between_chunks(session, TENANT, FIRST_DAY, end, chunk_size=10**9)
            everything = [item for chunk in whole_year for item in chunk]
    finally:
        engine.dispose()
    definition = first_contact_resolution(everything, NOW, WINDOW, FIRST_DAY, DAY_START + 86_400)
    assert counts(whole) == (
        definition.handled,
        definition.resolved_first_time,
        definition.repeated,
        definition.pending,
    )

    # Guangzhou's supervisor: the 182 odd days' first calls, 36 of them repeated (at Beijing), one pending.
    mine = ok(reports.get("/api/reports/fcr", params=YEAR, headers=supervisor))
    assert counts(mine) == (182, 145, 36, 1)
    assert ok(reports.get("/api/reports/fcr", params={**YEAR, "site": "guangzhou"}, headers=admin)) == mine
    span = {"since": FIRST_DAY, "until": DAY_START + 86_400}
    assert ok(reports.get("/api/customers/fcr", params=span, headers=supervisor)) == mine  # same scope
    assert ok(reports.get("/api/customers/fcr", params=span, headers=admin)) == whole
    beijing = ok(reports.get("/api/reports/fcr", params={**YEAR, "site": "beijing"}, headers=admin))
    assert counts(beijing) == (256, 218, 37, 1)
    rows = list(
        csv.reader(io.StringIO(reports.get("/api/reports/fcr.csv", params=YEAR, headers=supervisor).text))
    )
    assert rows[1][:4] == ["182", "145", "36", "1"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/reports/fcr",
        "/api/reports/fcr.csv",
        "/api/reports/sla-attainment",
        "/api/reports/sla-attainment.csv",
        "/api/reports/offer-conversion",
        "/api/reports/offer-conversion.csv",
    ],
)
def test_each_outcome_report_is_refused_outside_the_scope_and_past_a_year(
    reports: TestClient, path: str
) -> None:
    supervisor, agent, admin = login(reports, "sup-gz"), login(reports, "agent-bj"), login(reports, "boss")
    assert reports.get(path, params=YEAR, headers=supervisor).status_code == 200
    for asked in (["beijing"], ["guangzhou", "beijing"]):
        response = reports.get(path, params={**YEAR, "site": asked}, headers=supervisor)
        assert error_of(response) == (
            403,
            "forbidden",
            "user 'sup-gz' may not read the statistics of site 'beijing': their reports cover 'guangzhou'",
        )
        assert response.json()["error"]["details"]["field"] == "site"
    assert error_of(reports.get(path, params=YEAR, headers=agent))[:2] == (403, "forbidden")
    too_long = reports.get(path, params={**YEAR, "start_date": "2025-11-22"}, headers=admin)
    assert error_of(too_long) == (
        422,
        "invalid-report-settings",
        "the period is 367 days long; at most 366 days at a time",
    )
    assert error_of(reports.get(path, params={**YEAR, "site": "xian"}, headers=admin)) == (
        404,
        "not-found",
        "no site 'xian'",
    )


def test_offer_conversion_over_months_counts_the_outcomes_of_the_sites_agents(
    reports: TestClient, clock: ManualClock
) -> None:
    beijing_agent, guangzhou_agent = login(reports, "agent-bj"), login(reports, "agent-gz")

    def record(headers: dict[str, str], offer: str, outcome: str) -> None:
        body = {"customer_id": "c-1", "offer_id": offer, "outcome": outcome}
        ok(reports.post("/api/care/offers/outcomes", json=body, headers=headers), 201)

    record(beijing_agent, "data-upgrade", "shown")
    record(beijing_agent, "data-upgrade", "accepted")
    record(guangzhou_agent, "data-upgrade", "shown")
    clock.advance(200 * 86_400)  # some 200 days later (the tokens have expired)
    guangzhou_agent = login(reports, "agent-gz")
    record(guangzhou_agent, "data-upgrade", "declined")
    record(guangzhou_agent, "family-plan", "later")
    period = {"start_date": DAY, "end_date": "2027-06-11"}  # 201 days

    def table(login_name: str, **params: Any) -> dict[str, tuple[int, int, int, int]]:
        headers = login(reports, login_name)
        rows = ok(reports.get("/api/reports/offer-conversion", params={**period, **params}, headers=headers))
        return {r["offer_id"]: (r["shown"], r["accepted"], r["declined"], r["later"]) for r in rows}

    assert table("boss") == {"data-upgrade": (2, 1, 1, 0), "family-plan": (0, 0, 0, 1)}
    assert table("sup-gz") == {"data-upgrade": (1, 0, 1, 0), "family-plan": (0, 0, 0, 1)}
    assert table("boss", site="beijing") == {"data-upgrade": (1, 1, 0, 0)}
    assert table("boss", site=["beijing", "guangzhou"]) == table("boss")

    def resource_table(login_name: str) -> dict[str, tuple[int, int, int, int]]:
        span = {"from": NOW - 1, "to": clock.now() + 1}
        path = "/api/care/offers/conversion"
        rows = ok(reports.get(path, params=span, headers=login(reports, login_name)))
        return {r["offer_id"]: (r["shown"], r["accepted"], r["declined"], r["later"]) for r in rows}

    assert resource_table("sup-gz") == table("sup-gz")  # the same scope as the report's
    assert resource_table("boss") == table("boss")
    assert resource_table("agent-bj") == table("boss")  # agents read the tenant's offers, as before
