"""The reports page in a real browser (Chromium through Playwright, a real `baiying serve` process, 1366×768):
the server takes traffic through the API (contacts answered, completed and abandoned), then a supervisor
opens /reports for today, sees the KPI figures, tables and charts, downloads a table as CSV (whose rows
are the page's), and reads the page in Chinese. Screenshots go to test-artifacts/web/."""

import csv
import datetime
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from baiying.api.schemas.reports import KPI_COLUMNS
from baiying.clock import SystemClock
from tests.traffic.server import ServerProcess, log_in, password, seed
from tests.web import test_browser
from tests.web.test_browser import (
    AGENTS,
    SCENARIO,
    SUPERVISOR,
    TENANT,
    add_supervisor,
    chromium_or_skip,
    fits,
    shot,
    sign_in,
)

browser = test_browser.browser
page = test_browser.page


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    chromium_or_skip()
    workdir = tmp_path_factory.mktemp("reports")
    url = f"sqlite:///{workdir / 'baiying.db'}"
    seed(url, TENANT, SCENARIO, AGENTS)
    add_supervisor(url)
    process = ServerProcess(url, workdir)
    process.start()
    try:
        with httpx.Client(base_url=process.base, timeout=10.0) as client:
            traffic(client)
        yield process
    finally:
        process.stop()


def traffic(client: httpx.Client) -> None:
    """Three contacts at the support queue: two answered and completed by the two agents (the first from a
    known customer, so it counts in FCR), one abandoned."""
    admin = log_in(client, "boss")
    for agent in AGENTS:
        ok(client.post(f"/api/agents/{agent}/login", headers=admin))
    for n in (1, 2, 3):
        body: dict[str, Any] = {"id": f"call-{n}", "queue": "support", "site": "hq"}
        if n == 1:
            body["customer"] = "cust-1"
        ok(client.post("/api/contacts", json=body, headers=admin), 201)
    for n in (1, 2):
        ok(client.post(f"/api/contacts/call-{n}/accept", headers=admin))
    ok(client.post("/api/contacts/call-3/cancel", headers=admin))
    for n in (1, 2):
        ok(client.post(f"/api/contacts/call-{n}/complete", json={"notes": "done"}, headers=admin))


def today_at(server: ServerProcess) -> str:
    with httpx.Client(base_url=server.base, timeout=10.0) as client:
        sites = ok(client.get("/api/sites", headers=log_in(client, "boss")))
    home = next((site for site in sites if site["hq"]), sites[0])
    now = SystemClock().now()
    return datetime.datetime.fromtimestamp(now, ZoneInfo(home["timezone"])).date().isoformat()


def test_a_supervisor_reads_todays_reports_with_charts_and_downloads_the_csv(
    page: Any, server: ServerProcess, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    today = today_at(server)
    sign_in(page, server, SUPERVISOR)
    page.wait_for_url("**/wallboard")
    page.click("nav a[href='/reports']")
    page.wait_for_url("**/reports")
    expect(page.locator("body[data-loaded]")).to_have_count(1)  # the default week ending today ran
    expect(page.locator("#report-to")).to_have_value(today)
    page.fill("#report-from", today)
    page.select_option("#report-interval", "3600")
    page.evaluate("delete document.body.dataset.loaded")
    page.click("#report-run")
    expect(page.locator("body[data-loaded]")).to_have_count(1)

    summary = page.locator("#report-summary")
    expect(summary.locator("dd[data-measure='offered']")).to_have_text("3")
    expect(summary.locator("dd[data-measure='answered']")).to_have_text("2")
    expect(summary.locator("dd[data-measure='abandoned']")).to_have_text("1")
    expect(summary.locator("dd[data-measure='fcr']")).not_to_have_text("")
    days = page.locator("#table-days tbody tr")
    expect(days).to_have_count(1)
    expect(days.first.locator("td").first).to_have_text(today)
    expect(days.first.locator("td[data-column='offered']")).to_have_text("3")
    expect(page.locator("#table-queues tbody tr")).to_have_count(1)
    expect(page.locator("#table-queues tbody")).to_contain_text("support")
    expect(page.locator("#table-agents tbody tr")).to_have_count(2)
    expect(page.locator("#table-fcr thead")).to_contain_text("Resolved first time")
    expect(page.locator("#table-fcr td[data-column='handled']")).to_have_text("1")  # cust-1's call
    expect(page.locator("#table-fcr td[data-column='pending']")).to_have_text("1")  # its window is open
    expect(page.locator("#table-sla thead")).to_contain_text("Attainment")
    expect(page.locator("#table-conversion thead")).to_contain_text("Conversion")
    expect(page.locator("#report-error")).to_be_hidden()
    for chart in ("chart-intervals", "chart-days"):
        bars = page.evaluate(f"Chart.getChart('{chart}').data.datasets[0].data.reduce((a, b) => a + b, 0)")
        assert bars == 2, chart  # the answered bars add up to the answered contacts
    fits(page)
    shot(page, "reports")

    with page.expect_download() as download_info:
        page.click("#csv-days")
    download = download_info.value
    assert download.suggested_filename == f"kpis-days_{today}_{today}.csv"
    saved = tmp_path / "days.csv"
    download.save_as(saved)
    header, *rows = list(csv.reader(io.StringIO(saved.read_text())))
    assert tuple(header) == KPI_COLUMNS["days"]
    [row] = rows
    cells = dict(zip(header, row, strict=True))
    assert (cells["day"], cells["offered"], cells["answered"], cells["abandoned"]) == (today, "3", "2", "1")

    with page.expect_download() as download_info:
        page.click("#csv-agents")
    saved = tmp_path / "agents.csv"
    download_info.value.save_as(saved)
    agents = list(csv.DictReader(io.StringIO(saved.read_text())))
    assert sorted((a["agent_id"], a["handled"]) for a in agents) == [(AGENTS[0], "1"), (AGENTS[1], "1")]

    # Narrowed to one site: every section covers it only, and so do the CSV links.
    page.select_option("#report-site", "branch")
    page.evaluate("delete document.body.dataset.loaded")
    page.click("#report-run")
    expect(page.locator("body[data-loaded]")).to_have_count(1)
    expect(page.locator("#report-scope")).to_have_text("Sites: branch")
    expect(summary.locator("dd[data-measure='offered']")).to_have_text("0")
    expect(page.locator("#table-fcr td[data-column='handled']")).to_have_text("0")
    assert "site=branch" in (page.locator("#csv-fcr").get_attribute("href") or "")
    page.select_option("#report-site", "")

    # A period that ends before it starts is refused by the API, and the page says why.
    page.fill("#report-from", "2026-01-02")
    page.fill("#report-to", "2026-01-01")
    page.click("#report-run")
    expect(page.locator("#report-error")).to_contain_text("end_date (2026-01-01) is before start_date")
    page.fill("#report-from", today)
    page.fill("#report-to", today)

    page.click("[data-lang=zh]")
    expect(page.locator("#report-run")).to_have_text("查询")
    expect(page.locator("body[data-loaded]")).to_have_count(1)
    expect(page.locator("#table-days thead")).to_contain_text("呼入量")
    expect(page.locator("#report-summary dd[data-measure='offered']")).to_have_text("3")
    fits(page)
    shot(page, "reports-zh")


def test_the_reports_page_is_for_supervisors_and_admins_not_agents(page: Any, server: ServerProcess) -> None:
    from playwright.sync_api import expect

    sign_in(page, server, AGENTS[0])
    page.wait_for_url("**/agent")
    expect(page.locator("nav a[href='/reports']")).to_have_count(0)
    response = page.goto(server.base + "/reports")
    assert response is not None
    assert response.status == 403
    expect(page.locator("main")).to_contain_text("Reports are for administrators")


def test_a_site_supervisor_reads_the_reports_of_their_site_only(page: Any, server: ServerProcess) -> None:
    from playwright.sync_api import expect

    with httpx.Client(base_url=server.base, timeout=10.0) as client:
        user = {
            "id": "sup-branch",
            "login": "sup-branch",
            "display_name": "Branch supervisor",
            "password": password("sup-branch"),
            "roles": [{"role": "supervisor", "site_id": "branch"}],
        }
        ok(client.post("/api/users", json=user, headers=log_in(client, "boss")), 201)
    today = today_at(server)

    sign_in(page, server, "sup-branch")
    page.wait_for_url("**/wallboard")
    page.click("nav a[href='/reports']")
    page.wait_for_url("**/reports")
    expect(page.locator("body[data-loaded]")).to_have_count(1)
    page.fill("#report-from", today)
    page.evaluate("delete document.body.dataset.loaded")
    page.click("#report-run")
    expect(page.locator("body[data-loaded]")).to_have_count(1)

    # The tenant's three contacts of today came in at hq: none is the branch's.
    expect(page.locator("#report-scope")).to_have_text("Sites: branch")
    expect(page.locator("#report-site option")).to_have_text(["All my sites", "Branch office"])  # theirs only
    expect(page.locator("#report-summary dd[data-measure='offered']")).to_have_text("0")
    expect(page.locator("#report-empty")).to_be_visible()
    expect(page.locator("#table-agents tbody td[data-column]")).to_have_count(0)  # no agent of the branch
    expect(page.locator("#table-fcr td[data-column='handled']")).to_have_text("0")  # cust-1 called hq
    expect(page.locator("#table-fcr td[data-column='window_hours']")).to_have_text("72")
    expect(page.locator("#table-sla tbody td.muted")).to_have_count(1)  # no ticket of the branch
    expect(page.locator("#report-error")).to_be_hidden()
    fits(page)
    shot(page, "reports-site-supervisor")
