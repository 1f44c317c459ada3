"""The reports API over HTTP, on SQLite and PostgreSQL: KPIs by interval, day, queue, site and agent over a
date range equal the analytics of the stored log; each table comes as CSV with a header row; FCR, ticket
SLA attainment and offer conversion as CSV; bad periods are 422 naming the field; a site supervisor
reads the KPIs of their own sites and gets 403 naming any other site they ask for; agents get 403."""

import csv
import dataclasses
import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient  # conftest imported it first, without the httpx2 warning
from sqlalchemy.orm import Session

from baiying.analytics import KpiAccumulator, compute_kpis
from baiying.api.routes import reports as reports_route
from baiying.api.schemas.reports import KPI_COLUMNS
from baiying.clock import ManualClock
from baiying.events import (
    ContactAbandoned,
    ContactAnswered,
    ContactArrived,
    ContactCompleted,
    Event,
    WrapUpEnded,
)
from baiying.ids import ContactId, QueueId, SiteId
from baiying.storage.engine import make_engine
from baiying.storage.event_log import EventLog
from tests.api.conftest import error_of
from tests.api.test_live import arrive, center_of, login, ok, open_app, seed_live_world
from tests.application.helpers import A1, A2, GZ1, T0, TENANT

DAY = "2026-11-23"  # T0's day in Beijing
DAY_START = T0 - 10 * 3600
PERIOD = {"start_date": DAY, "end_date": DAY}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def reports(db_url: str, clock: ManualClock) -> Iterator[TestClient]:
    with TestClient(open_app(seed_live_world(db_url), clock)) as client:
        yield client


def some_traffic(client: TestClient, clock: ManualClock) -> dict[str, str]:
    """Four contacts at Beijing's billing queue: two answered and completed, one abandoned, one waiting;
    returns the admin's headers."""
    admin = login(client, "boss")
    for agent in (A1, A2):
        ok(client.post(f"/api/agents/{agent}/login", headers=admin))
    for n in range(1, 5):
        clock.advance(3)
        arrive(client, admin, f"r{n}")
    clock.advance(5)
    ok(client.post("/api/contacts/r1/accept", headers=admin))
    ok(client.post("/api/contacts/r2/accept", headers=admin))
    ok(client.post("/api/contacts/r4/cancel", headers=admin))
    clock.advance(120)
    for contact in ("r1", "r2"):
        ok(client.post(f"/api/contacts/{contact}/complete", json={"wrap_up_code": "resolved"}, headers=admin))
    clock.advance(30)
    return admin


def table(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_kpis_of_a_day_equal_the_analytics_of_the_stored_log(
    reports: TestClient, clock: ManualClock
) -> None:
    admin = some_traffic(reports, clock)
    body = ok(reports.get("/api/reports/kpis", params=PERIOD, headers=admin))
    events = [e for _, e in center_of(reports).read_events(TENANT, DAY_START, DAY_START + 86_400)]
    expected = compute_kpis(events, interval_seconds=900, sl_seconds=20.0, timezone="Asia/Shanghai")
    measures = set(body["total"])
    assert body["total"] == {k: v for k, v in dataclasses.asdict(expected.total).items() if k in measures}
    assert (body["total"]["offered"], body["total"]["answered"], body["total"]["abandoned"]) == (4, 2, 1)
    assert body["total"]["waiting_at_end"] == 1
    assert body["total"]["aht_seconds"] is not None
    assert body["total"]["asa_seconds"] is not None
    assert (body["timezone"], body["since"], body["until"]) == (
        "Asia/Shanghai",
        DAY_START,
        DAY_START + 86_400,
    )
    [day] = body["days"]
    assert (day["day"], day["offered"]) == (DAY, 4)
    [interval] = body["intervals"]
    assert interval["start"] == "2026-11-23T10:00:00+08:00"
    assert [(q["queue_id"], q["offered"]) for q in body["queues"]] == [("billing", 4)]
    assert [(s["site_id"], s["answered"]) for s in body["sites"]] == [("beijing", 2)]
    agents = {row["agent_id"]: row for row in body["agents"]}
    assert agents[A1]["handled"] == 1
    assert agents[A2]["handled"] == 1
    assert agents[A1]["occupancy"] is not None

    hourly = ok(reports.get("/api/reports/kpis", params={**PERIOD, "interval_seconds": 3600}, headers=admin))
    assert hourly["intervals"][0]["start"] == "2026-11-23T10:00:00+08:00"
    next_day = {"start_date": "2026-11-24", "end_date": "2026-11-24"}
    empty = ok(reports.get("/api/reports/kpis", params=next_day, headers=admin))
    assert (empty["total"]["offered"], empty["days"], empty["agents"]) == (0, [], [])


@pytest.mark.parametrize("name", ["intervals", "days", "queues", "sites", "agents"])
def test_each_kpi_table_downloads_as_csv(reports: TestClient, clock: ManualClock, name: str) -> None:
    admin = some_traffic(reports, clock)
    body = ok(reports.get("/api/reports/kpis", params=PERIOD, headers=admin))
    response = reports.get(f"/api/reports/kpis/{name}.csv", params=PERIOD, headers=admin)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (f'attachment; filename="kpis-{name}_{DAY}_{DAY}.csv"')
    header, *rows = table(response.text)
    assert tuple(header) == KPI_COLUMNS[name]
    assert len(rows) == len(body[name]) >= 1
    for row, json_row in zip(rows, body[name], strict=True):
        cells = dict(zip(header, row, strict=True))
        for column in ("offered", "answered", "abandoned", "handled"):
            if column in cells:
                assert cells[column] == str(json_row[column])
        for column in ("service_level", "occupancy", "aht_seconds"):
            if column in cells:
                value = json_row[column]
                assert cells[column] == ("" if value is None else repr(round(value, 4)))


def test_fcr_sla_attainment_and_offer_conversion_download_as_csv(
    reports: TestClient, clock: ManualClock
) -> None:
    admin = some_traffic(reports, clock)
    fcr = reports.get("/api/reports/fcr.csv", params=PERIOD, headers=admin)
    assert fcr.status_code == 200, fcr.text
    header, *rows = table(fcr.text)
    assert header == ["handled", "resolved_first_time", "repeated", "pending", "rate", "window_hours"]
    [row] = rows
    json_fcr = ok(
        reports.get(
            "/api/customers/fcr", params={"since": DAY_START, "until": DAY_START + 86_400}, headers=admin
        )
    )
    assert row[0] == str(json_fcr["handled"])

    sla = reports.get("/api/reports/sla-attainment.csv", params=PERIOD, headers=admin)
    assert sla.status_code == 200, sla.text
    assert table(sla.text)[0] == ["policy", "metric", "fulfilled", "met", "breached", "attainment"]
    conversion = reports.get("/api/reports/offer-conversion.csv", params=PERIOD, headers=admin)
    assert conversion.status_code == 200, conversion.text
    assert table(conversion.text)[0] == [
        "offer_id",
        "shown",
        "accepted",
        "declined",
        "later",
        "conversion_rate",
    ]


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    ("params", "status", "code", "words"),
    [
        ({"start_date": DAY, "end_date": "2026-11-22"}, 422, "invalid-report-settings", "before start_date"),
        ({"start_date": "2025-11-01", "end_date": "2026-11-02"}, 422, "invalid-report-settings", "367 days"),
        ({**PERIOD, "timezone": "Mars/Olympus"}, 422, "invalid-analytics-settings", "Mars/Olympus"),
        ({**PERIOD, "interval_seconds": 7000}, 422, "invalid-analytics-settings", "divide a day"),
        ({"start_date": "23/11/2026", "end_date": DAY}, 422, "invalid-request", "start_date"),
        ({"end_date": DAY}, 422, "invalid-request", "start_date"),
    ],
)
def test_a_bad_period_is_refused_naming_the_field(
    reports: TestClient, params: dict[str, Any], status: int, code: str, words: str
) -> None:
    admin = login(reports, "boss")
    for path in ("/api/reports/kpis", "/api/reports/kpis/days.csv", "/api/reports/fcr.csv"):
        if path != "/api/reports/kpis" and "interval_seconds" in params:
            continue
        response = reports.get(path, params=params, headers=admin)
        got_status, got_code, message = error_of(response)
        assert (got_status, got_code) == (status, code), (path, response.text)
        assert words in message or words in response.text, response.text


@pytest.mark.parametrize("backend", ["sqlite"])
def test_agents_get_no_kpis(reports: TestClient) -> None:
    assert error_of(reports.get("/api/reports/kpis", params=PERIOD))[0] == 401
    headers = login(reports, "agent-bj")
    assert error_of(reports.get("/api/reports/kpis", params=PERIOD, headers=headers))[:2] == (
        403,
        "forbidden",
    )
    response = reports.get("/api/reports/kpis/agents.csv", params=PERIOD, headers=headers)
    assert error_of(response)[:2] == (403, "forbidden")
    assert error_of(reports.get("/api/reports/kpis/nope.csv", params=PERIOD, headers=login(reports, "boss")))[
        :2
    ] == (422, "invalid-request")


def test_a_site_supervisor_reads_the_kpis_of_their_own_sites(reports: TestClient, clock: ManualClock) -> None:
    admin = some_traffic(reports, clock)  # at Beijing
    ok(reports.post(f"/api/agents/{GZ1}/login", headers=admin))
    clock.advance(2)
    arrive(reports, admin, "g1", site="guangzhou", language="yue")
    clock.advance(4)
    ok(reports.post("/api/contacts/g1/accept", headers=admin))
    clock.advance(60)
    ok(reports.post("/api/contacts/g1/complete", json={"wrap_up_code": "resolved"}, headers=admin))
    clock.advance(10)
    events = [e for _, e in center_of(reports).read_events(TENANT, DAY_START, DAY_START + 86_400)]
    accumulator = KpiAccumulator(900, 20.0, timezone="Asia/Shanghai")
    accumulator.add_all(events)
    expected = accumulator.report(sites={"guangzhou"})

    supervisor = login(reports, "sup-gz")
    body = ok(reports.get("/api/reports/kpis", params=PERIOD, headers=supervisor))
    assert body["scope_sites"] == ["guangzhou"]
    assert [row["site_id"] for row in body["sites"]] == ["guangzhou"]
    assert {row["agent_id"] for row in body["agents"]} == {GZ1}
    assert (body["total"]["offered"], body["total"]["answered"], body["total"]["handled"]) == (1, 1, 1)
    measures = set(body["total"])
    assert body["total"] == {k: v for k, v in dataclasses.asdict(expected.total).items() if k in measures}
    assert [row["queue_id"] for row in body["queues"]] == ["billing"]
    assert body["queues"][0]["offered"] == 1  # Beijing's four contacts are not in it

    # Asking for the own site is the same report; the admin asking for it gets it too.
    mine = ok(reports.get("/api/reports/kpis", params={**PERIOD, "site": "guangzhou"}, headers=supervisor))
    assert mine == body
    assert ok(reports.get("/api/reports/kpis", params={**PERIOD, "site": "guangzhou"}, headers=admin)) == body
    whole = ok(reports.get("/api/reports/kpis", params=PERIOD, headers=admin))
    assert whole["scope_sites"] is None
    assert whole["total"]["offered"] == 5
    csv_rows = table(reports.get("/api/reports/kpis/sites.csv", params=PERIOD, headers=supervisor).text)
    assert [row[0] for row in csv_rows[1:]] == ["guangzhou"]

    # Another site: refused, naming it and the supervisor's own; an unknown site is 404.
    for path in ("/api/reports/kpis", "/api/reports/kpis/days.csv"):
        for asked in (["beijing"], ["guangzhou", "beijing"]):
            response = reports.get(path, params={**PERIOD, "site": asked}, headers=supervisor)
            status, code, message = error_of(response)
            assert (status, code) == (403, "forbidden")
            assert message == (
                "user 'sup-gz' may not read the statistics of site 'beijing': their reports cover 'guangzhou'"
            )
            assert response.json()["error"]["details"]["field"] == "site"
    status, code, message = error_of(
        reports.get("/api/reports/kpis", params={**PERIOD, "site": "xian"}, headers=admin)
    )
    assert (status, code, message) == (404, "not-found", "no site 'xian'")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_period_runs_from_local_midnight_to_local_midnight(reports: TestClient) -> None:
    admin = login(reports, "boss")
    # The day Berlin moves its clocks forward has 23 hours; a week in Shanghai has 7 × 24.
    spring = {"start_date": "2026-03-29", "end_date": "2026-03-29", "timezone": "Europe/Berlin"}
    body = ok(reports.get("/api/reports/kpis", params=spring, headers=admin))
    assert body["until"] - body["since"] == 23 * 3600
    assert body["timezone"] == "Europe/Berlin"
    week = {"start_date": "2026-11-17", "end_date": "2026-11-23"}
    body = ok(reports.get("/api/reports/kpis", params=week, headers=admin))
    assert (body["since"], body["until"]) == (DAY_START - 6 * 86_400, DAY_START + 86_400)
    longest = {"start_date": "2025-11-23", "end_date": "2026-11-23"}  # 366 days
    assert ok(reports.get("/api/reports/kpis", params=longest, headers=admin))["start_date"] == "2025-11-23"
    # FCR, SLA attainment and conversion go as far (tests/api/test_outcome_reports.py).
    for path in ("/api/reports/fcr.csv", "/api/reports/sla-attainment", "/api/reports/offer-conversion"):
        assert reports.get(path, params=longest, headers=admin).status_code == 200, path


def a_year_of_contacts(first_day_start: float, days: int) -> list[Event]:
    """Each local day: a contact at 09:00 answered, completed and wrapped up at Beijing; one abandoned at
    Guangzhou; one arriving a minute before midnight, answered after it."""
    events: list[Event] = []
    billing, beijing = QueueId("billing"), SiteId("beijing")
    for day in range(days):
        nine = first_day_start + day * 86_400 + 9 * 3600
        late = first_day_start + day * 86_400 + 86_400 - 60
        a, b, n = ContactId(f"y{day}a"), ContactId(f"y{day}b"), ContactId(f"y{day}n")
        events += [
            ContactArrived(nine, a, billing, "voice", beijing),
            ContactAnswered(nine + 10, a, billing, A1, beijing, 10.0),
            ContactCompleted(nine + 310, a, billing, A1, beijing, 300.0),
            WrapUpEnded(nine + 340, a, billing, A1, beijing, 30.0),
            ContactArrived(nine + 600, b, billing, "voice", SiteId("guangzhou")),
            ContactAbandoned(nine + 645, b, billing, SiteId("guangzhou"), 45.0),
            ContactArrived(late, n, billing, "voice", beijing),
            ContactAnswered(late + 90, n, billing, A2, beijing, 90.0),
            ContactCompleted(late + 400, n, billing, A2, beijing, 310.0),
        ]
    return events


def test_a_year_of_kpis_is_one_report_equal_to_the_analytics_of_the_whole_log(
    reports: TestClient, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small chunks: the pass reads the year in hundreds of them and forgets idle contacts as it goes.
    monkeypatch.setattr(reports_route, "READ_CHUNK", 7)
    first_day = DAY_START - 365 * 86_400  # 2025-11-23 in Beijing: 366 days up to DAY
    events = a_year_of_contacts(first_day, 365)  # none on DAY itself, the live world's day
    app: Any = reports.app
    engine = make_engine(app.state.baiying.settings.database_url)
    try:
        with Session(engine) as session:
            EventLog().append(session, TENANT, events)
            session.commit()
    finally:
        engine.dispose()
    admin = login(reports, "boss")
    params = {"start_date": "2025-11-23", "end_date": DAY, "interval_seconds": 3600}

    body = ok(reports.get("/api/reports/kpis", params=params, headers=admin))

    stored = [e for _, e in center_of(reports).read_events(TENANT, first_day, DAY_START + 86_400)]
    expected = compute_kpis(stored, interval_seconds=3600, sl_seconds=20.0, timezone="Asia/Shanghai")
    measures = set(body["total"])
    assert body["total"] == {k: v for k, v in dataclasses.asdict(expected.total).items() if k in measures}
    assert (body["total"]["offered"], body["total"]["answered"], body["total"]["abandoned"]) == (
        3 * 365,
        2 * 365,
        365,
    )
    assert body["total"]["handled"] == 2 * 365  # the legs finished after midnight were not forgotten
    assert body["ignored_events"] == 0
    assert [row["day"] for row in body["days"]] == [str(day.day) for day in expected.days]
    assert len(body["days"]) == 365  # by arrival: the late contact answered on DAY counts the day before
    assert [row["offered"] for row in body["days"][:2]] == [3, 3]
    assert len(body["intervals"]) == len(expected.intervals)
