"""The admin pages in a real browser (Chromium through Playwright, a real `baiying serve` process, 1366×768):

- the issue's scenario: an admin edits a routing policy with a deliberate error, sees the problem named
  with its line and that line highlighted, fixes it and saves; the audit log shows the change;
- the admin creates a wrap-up code (stored through the API, shown in the table), sets a site's hours and
  holidays, and changes an agent's skills;
- a supervisor sees the sections they may read, without the policy editor, and the ticket configuration
  read-only; an agent is refused;
- over HTTP: which sections each role gets, the reports page's role check, and both pages in Chinese.

Screenshots go to test-artifacts/web/.
"""

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from baiying.web.messages import MESSAGES
from tests.api.conftest import TestClient
from tests.traffic.server import ServerProcess, log_in, seed
from tests.web import test_browser
from tests.web.conftest import sign_in as web_sign_in
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
from tests.web.test_messages import CJK, visible

# The browser and a fresh 1366×768 page per test, as in the other browser tests.
browser = test_browser.browser
page = test_browser.page

BROKEN_POLICY = """id: support-agents
steps:
  - target: {skills: {support: 1}}
    timeout_seconds: -5
  - target: {skills: {sales: 1}}
"""
FIXED_POLICY = BROKEN_POLICY.replace("timeout_seconds: -5", "timeout_seconds: 45")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    chromium_or_skip()
    workdir = tmp_path_factory.mktemp("admin")
    url = f"sqlite:///{workdir / 'baiying.db'}"
    seed(url, TENANT, SCENARIO, AGENTS)
    add_supervisor(url)
    process = ServerProcess(url, workdir)
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def api(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base, timeout=10.0) as client:
        client.headers.update(log_in(client, "boss"))
        yield client


def test_an_admin_fixes_a_policy_error_shown_at_its_line_and_the_audit_shows_the_change(
    page: Any, server: ServerProcess, api: httpx.Client
) -> None:
    from playwright.sync_api import expect

    sign_in(page, server, "boss")
    page.wait_for_url("**/wallboard")
    page.click("nav a[href='/admin']")
    page.wait_for_url("**/admin")
    page.click("#tab-policies")
    expect(page.locator("#policy-pick")).to_have_value("sales-agents")
    page.select_option("#policy-pick", "support-agents")
    expect(page.locator("#policy-source")).to_have_value(
        api.get("/api/policies/support-agents").json()["source"]
    )
    version = api.get("/api/policies/support-agents").json()["version"]

    page.fill("#policy-source", BROKEN_POLICY)
    expect(page.locator("#policy-gutter [data-line='5']")).to_have_text("5")
    page.click("#policy-save")
    problem = page.locator("#policy-problems li")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("Line 4: steps[0].timeout_seconds:")
    expect(problem).to_contain_text("greater than")
    expect(page.locator("#policy-gutter [data-line='4']")).to_have_class("error-line")
    expect(page.locator("#policy-gutter .error-line")).to_have_count(1)
    mark = page.locator("#policy-line-mark")
    expect(mark).to_be_visible()
    expect(mark).to_have_attribute("data-line", "4")
    # The band lies over the fourth line of the text, and the caret was put on that line.
    box, editor = mark.bounding_box(), page.locator("#policy-source").bounding_box()
    line_height = page.evaluate(
        "parseFloat(getComputedStyle(document.getElementById('policy-source')).lineHeight)"
    )
    assert box is not None
    assert editor is not None
    assert abs((box["y"] - editor["y"]) - (6 + 3 * line_height)) <= 2, (box, editor)
    expect(page.locator("#policy-cursor")).to_contain_text("Line 4,")
    fits(page)
    shot(page, "admin-policy-error")
    assert api.get("/api/policies/support-agents").json()["version"] == version  # nothing was stored

    page.fill("#policy-source", FIXED_POLICY)
    page.click("#policy-save")
    expect(page.locator("#admin-status")).to_contain_text(
        f"Policy support-agents saved (version {version + 1})"
    )
    expect(page.locator("#policy-problems")).to_be_hidden()
    expect(page.locator("#policy-line-mark")).to_be_hidden()
    expect(page.locator("#policy-gutter .error-line")).to_have_count(0)
    stored = api.get("/api/policies/support-agents").json()
    assert (stored["source"], stored["version"]) == (FIXED_POLICY, version + 1)
    shot(page, "admin-policy-saved")

    page.click("#tab-audit")
    page.select_option("#audit-entity", "routing-policy")
    first = page.locator("#audit-table tbody tr").first
    expect(first).to_contain_text("routing-policy support-agents")
    expect(first).to_contain_text("update")
    expect(first).to_contain_text("boss")
    expect(first).to_contain_text("timeout_seconds: 45")
    [entry] = api.get("/api/audit", params={"entity": "routing-policy", "limit": 1}).json()
    assert (entry["actor"], entry["action"], entry["entity_id"]) == ("boss", "update", "support-agents")
    fits(page)
    shot(page, "admin-audit")


def test_an_admin_fixes_an_sla_error_shown_at_its_line_and_saves_a_new_version(
    page: Any, server: ServerProcess, api: httpx.Client
) -> None:
    from playwright.sync_api import expect

    shipped = api.get("/api/ticket-config/sla.yaml").json()
    assert shipped["version"] == 0
    assert shipped["text"].splitlines()[11] == "    calendar: office"  # line 12, the first policy's
    broken = shipped["text"].replace("calendar: office", "calendar: offfice", 1)
    fixed = shipped["text"].replace("resolution: 80h", "resolution: 72h", 1)
    assert fixed != shipped["text"]

    sign_in(page, server, "boss")
    page.wait_for_url("**/wallboard")
    page.goto(server.base + "/admin")
    page.click("#tab-workflows")
    rows = page.locator("#ticketcfg-table tbody tr")
    expect(rows.first).to_contain_text("workflows/")
    names = [f["name"] for f in api.get("/api/ticket-config").json()]
    assert {"sla.yaml", "rules.yaml", "workflows/complaint.yaml"} <= set(names)
    expect(rows).to_have_count(len(names))
    expect(page.locator("#ticketcfg-table tbody tr[data-name='sla.yaml']")).to_contain_text("As shipped")
    page.locator("#ticketcfg-table button", has_text="sla.yaml").click()
    expect(page.locator("#ticketcfg-name")).to_have_text("sla.yaml")
    expect(page.locator("#ticketcfg-source")).to_have_value(shipped["text"])
    expect(page.locator("#ticketcfg-history-title")).to_have_text("Versions of sla.yaml")
    expect(page.locator("#ticketcfg-history-none")).to_be_visible()  # the shipped file is in force
    expect(page.locator("#ticketcfg-history")).to_be_hidden()

    page.fill("#ticketcfg-source", broken)
    page.click("#ticketcfg-save")
    problem = page.locator("#ticketcfg-problems li")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("Line 12: policies[0].calendar:")
    expect(problem).to_contain_text("unknown calendar 'offfice'")
    expect(page.locator("#ticketcfg-gutter [data-line='12']")).to_have_class("error-line")
    expect(page.locator("#ticketcfg-gutter .error-line")).to_have_count(1)
    mark = page.locator("#ticketcfg-line-mark")
    expect(mark).to_be_visible()
    expect(mark).to_have_attribute("data-line", "12")
    # The band lies over the twelfth line of the text as scrolled (the file is longer than the editor,
    # so the line was brought into view), inside the editor.
    box, editor = mark.bounding_box(), page.locator("#ticketcfg-source").bounding_box()
    line_height, scrolled = page.evaluate(
        "(s => [parseFloat(getComputedStyle(s).lineHeight), s.scrollTop])"
        "(document.getElementById('ticketcfg-source'))"
    )
    assert box is not None
    assert editor is not None
    assert abs((box["y"] - editor["y"]) - (6 + 11 * line_height - scrolled)) <= 2, (box, editor, scrolled)
    assert editor["y"] <= box["y"]
    assert box["y"] + box["height"] <= editor["y"] + editor["height"]
    expect(page.locator("#ticketcfg-cursor")).to_contain_text("Line 12,")
    fits(page)
    shot(page, "admin-ticket-config-error")
    assert api.get("/api/ticket-config/sla.yaml").json()["version"] == 0  # nothing was stored

    page.fill("#ticketcfg-source", fixed)
    page.click("#ticketcfg-save")
    expect(page.locator("#admin-status")).to_contain_text("sla.yaml saved (version 1).")
    expect(page.locator("#ticketcfg-problems")).to_be_hidden()
    expect(page.locator("#ticketcfg-line-mark")).to_be_hidden()
    expect(page.locator("#ticketcfg-version")).to_have_text("Version 1")
    row = page.locator("#ticketcfg-table tbody tr[data-name='sla.yaml']")
    expect(row).to_contain_text("Version 1")
    expect(row).to_contain_text("boss")
    stored = api.get("/api/ticket-config/sla.yaml").json()
    assert (stored["text"], stored["version"], stored["source"]) == (fixed, 1, "tenant")
    fits(page)
    shot(page, "admin-ticket-config-saved")

    # The version history: who, when, and the lines changed from the shipped file; a second version is
    # compared with the first.
    history = page.locator("#ticketcfg-history tbody tr")
    expect(page.locator("#ticketcfg-history-none")).to_be_hidden()
    expect(history).to_have_count(1)
    first = history.first
    expect(first.locator("td").nth(0)).to_have_text("Version 1")
    expect(first.locator("td").nth(1)).to_have_text("boss")
    expect(first.locator(".diff .hunk").first).to_have_text("(from the shipped file)")
    expect(first.locator(".diff .del")).to_have_text(["-    resolution: 80h"])
    expect(first.locator(".diff .add")).to_have_text(["+    resolution: 72h"])
    again = fixed.replace("resolution: 72h", "resolution: 60h", 1)
    page.fill("#ticketcfg-source", again)
    page.click("#ticketcfg-save")
    expect(page.locator("#admin-status")).to_contain_text("sla.yaml saved (version 2).")
    expect(history).to_have_count(2)
    newest = history.first
    expect(newest).to_have_attribute("data-version", "2")
    expect(newest.locator(".diff .del")).to_have_text(["-    resolution: 72h"])
    expect(newest.locator(".diff .add")).to_have_text(["+    resolution: 60h"])
    expect(newest.locator(".diff .hunk").first).to_have_text("@@ -13,3 +13,3 @@")  # line 14, with one around
    fits(page)
    page.locator("#ticketcfg-history").scroll_into_view_if_needed()
    shot(page, "admin-ticket-config-history")
    page.click("a[data-lang=zh]")
    # The link saves the choice, then loads the page again: wait for the Chinese page, or the tab click
    # lands on the English one just before it goes away.
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.click("#tab-workflows")
    page.locator("#ticketcfg-table button", has_text="sla.yaml").click()
    expect(page.locator("#ticketcfg-history-title")).to_have_text("sla.yaml 的历史版本")
    expect(page.locator("#ticketcfg-history thead")).to_contain_text("与上一版本相比改动的行")
    expect(history.first.locator("td").first).to_have_text(re.compile("2"))


def test_an_admin_creates_a_wrap_up_code_sets_site_hours_and_holidays_and_agent_skills(
    page: Any, server: ServerProcess, api: httpx.Client
) -> None:
    from playwright.sync_api import expect

    sign_in(page, server, "boss")
    page.wait_for_url("**/wallboard")
    page.goto(server.base + "/admin#codes")
    expect(page.locator("#section-codes")).to_be_visible()
    page.fill("#code-code", "escalated")
    page.fill("#code-label", "Escalated to level 2")
    page.click("#code-save")
    expect(page.locator("#admin-status")).to_have_text("Saved.")
    expect(page.locator("#codes-table tbody")).to_contain_text("Escalated to level 2")
    codes = {row["code"]: row for row in api.get("/api/wrap-up-codes").json()}
    assert (codes["escalated"]["label"], codes["escalated"]["active"]) == ("Escalated to level 2", True)
    # A code already taken is refused with the API's message, nothing changes.
    page.fill("#code-code", "escalated")
    page.fill("#code-label", "Again")
    page.click("#code-save")
    expect(page.locator("#admin-error")).to_be_visible()
    assert api.get("/api/wrap-up-codes/escalated").json()["label"] == "Escalated to level 2"
    shot(page, "admin-codes")

    page.click("#tab-sites")
    page.locator("#sites-table tbody tr", has_text="branch").get_by_role("button").click()
    expect(page.locator("#site-id")).to_have_value("branch")
    page.fill("#site-opens", "08:30")
    page.fill("#site-closes", "20:00")
    page.fill("#site-holidays", "2027-01-01 New Year\n2027-02-06 春节")
    page.click("#site-save")
    expect(page.locator("#admin-status")).to_have_text("Saved.")
    expect(page.locator("#sites-table tbody tr", has_text="branch")).to_contain_text("08:30–20:00")
    site = api.get("/api/sites/branch").json()
    assert (site["opens_minute"], site["closes_minute"]) == (510, 1200)
    assert api.get("/api/sites/branch/holidays").json() == [
        {"day": "2027-01-01", "name": "New Year"},
        {"day": "2027-02-06", "name": "春节"},
    ]
    # A malformed holiday line is named before anything is sent.
    page.locator("#sites-table tbody tr", has_text="branch").get_by_role("button").click()
    page.fill("#site-holidays", "2027-01-01 New Year\nsoon")
    page.click("#site-save")
    expect(page.locator("#admin-error")).to_contain_text("Holiday line 2")
    fits(page)

    page.click("#tab-agents")
    row = page.locator("#agents-table tbody tr", has_text="agent-002")
    row.get_by_role("button").click()
    page.fill("#agent-skills", "support:7, sales:2")
    page.click("#agent-save")
    expect(page.locator("#agents-table tbody tr", has_text="agent-002")).to_contain_text("sales:2")
    assert api.get("/api/agents/agent-002").json()["skills"] == {"support": 7, "sales": 2}
    fits(page)
    shot(page, "admin-agents")

    page.click("#tab-teams")
    page.fill("#team-id", "night")
    page.fill("#team-name", "Night shift")
    page.select_option("#team-site", "hq")
    page.click("#team-save")
    expect(page.locator("#teams-table tbody")).to_contain_text("Night shift")
    assert api.get("/api/teams/night").json() == {"id": "night", "name": "Night shift", "site_id": "hq"}

    page.click("#tab-users")
    page.fill("#user-id", "sup-hq")
    page.fill("#user-login", "sup-hq")
    page.fill("#user-name", "Supervisor Hu")
    page.fill("#user-password", "a long enough password 123")
    page.select_option("#user-role", "supervisor")
    page.select_option("#user-site", "hq")
    page.click("#user-save")
    row = page.locator("#users-table tbody tr", has_text="sup-hq")
    expect(row).to_contain_text("Supervisor @hq")
    user = api.get("/api/users/sup-hq").json()
    assert user["roles"] == [{"role": "supervisor", "site_id": "hq", "agent_id": None}]
    assert user["has_password"] is True
    # Give the user another role: the form's role replaces theirs.
    page.select_option("#user-role", "agent")
    page.select_option("#user-site", "")
    page.select_option("#user-agent", "agent-002")
    row.get_by_role("button", name="Replace roles").click()
    expect(page.locator("#users-table tbody tr", has_text="sup-hq")).to_contain_text("Agent → agent-002")
    assert api.get("/api/users/sup-hq").json()["roles"] == [
        {"role": "agent", "site_id": None, "agent_id": "agent-002"}
    ]
    fits(page)
    shot(page, "admin-users")


def test_a_supervisor_reads_without_the_editor_and_an_agent_is_refused(
    page: Any, server: ServerProcess
) -> None:
    from playwright.sync_api import expect

    sign_in(page, server, SUPERVISOR)
    page.wait_for_url("**/wallboard")
    page.goto(server.base + "/admin")
    expect(page.locator("#sites-table tbody")).to_contain_text("branch")
    tabs = page.locator(".admin-tabs .tab")
    expect(tabs).to_have_text(["Sites", "Teams", "Agents and skills", "Ticket workflows", "Wrap-up codes"])
    expect(page.locator("#site-form")).to_have_count(0)
    expect(page.locator("#tab-policies")).to_have_count(0)
    # The ticket configuration: read, not changed.
    page.click("#tab-workflows")
    expect(page.locator("#section-workflows")).to_contain_text("only administrators change them")
    expect(page.locator("#ticketcfg-table tbody tr[data-name='sla.yaml']")).to_be_visible()
    page.locator("#ticketcfg-table button", has_text="rules.yaml").click()
    expect(page.locator("#ticketcfg-name")).to_have_text("rules.yaml")
    expect(page.locator("#ticketcfg-source")).not_to_have_value("")
    expect(page.locator("#ticketcfg-source")).not_to_be_editable()
    expect(page.locator("#ticketcfg-save")).to_have_count(0)
    fits(page)
    page.click("#logout")
    page.wait_for_url("**/login")
    sign_in(page, server, AGENTS[0])
    page.wait_for_url("**/agent")
    response = page.goto(server.base + "/admin")
    assert response is not None
    assert response.status == 403
    expect(page.locator("main")).to_contain_text("for administrators and supervisors")


def test_an_admin_sets_the_default_language_and_a_user_who_chose_none_gets_it(
    browser: Any, page: Any, server: ServerProcess, api: httpx.Client
) -> None:
    from playwright.sync_api import expect

    sign_in(page, server, "boss")
    page.wait_for_url("**/wallboard")
    page.goto(server.base + "/admin#tenant")
    expect(page.locator("#section-tenant")).to_be_visible()
    expect(page.locator("#tenant-form[data-loaded]")).to_have_count(1)
    expect(page.locator("#tenant-language")).to_have_value("")  # each browser's, to begin with
    page.select_option("#tenant-language", "zh")
    page.click("#tenant-save")
    expect(page.locator("#admin-status")).to_have_text("Saved.")
    assert api.get("/api/tenant").json()["default_language"] == "zh"
    [entry] = api.get("/api/audit", params={"entity": "tenant"}).json()
    assert (entry["actor"], entry["before"], entry["after"]) == (
        "boss",
        {"default_language": None},
        {"default_language": "zh"},
    )
    fits(page)
    shot(page, "admin-tenant")

    english = browser.new_context(viewport=test_browser.VIEWPORT, locale="en-US")
    agent = english.new_page()
    try:
        agent.goto(server.base + "/login")
        expect(agent.locator("html")).to_have_attribute("lang", "en")  # no tenant before logging in
        sign_in(agent, server, AGENTS[0])
        agent.wait_for_url("**/agent")
        expect(agent.locator("html")).to_have_attribute("lang", "zh-CN")  # the tenant's, not the browser's
        expect(agent.locator("#btn-ready")).to_have_text("就绪")
        shot(agent, "agent-tenant-language")
    finally:
        english.close()
        assert api.patch("/api/tenant", json={"default_language": None}).status_code == 200


# ---- the pages over HTTP (no browser): who gets which sections, and Chinese throughout ----


@pytest.mark.parametrize("backend", ["sqlite"])
def test_admin_and_reports_pages_follow_the_roles(web: TestClient) -> None:
    for path in ("/admin", "/reports"):
        response = web.get(path, follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, f"/login?next={path}")
    web_sign_in(web, "boss")
    admin = web.get("/admin")
    assert admin.status_code == 200
    tabs = re.findall(r'id="tab-([a-z]+)"', admin.text)
    assert tabs == ["sites", "teams", "agents", "policies", "workflows", "codes", "users", "tenant", "audit"]
    assert 'href="/reports"' in admin.text
    assert 'id="policy-save"' in admin.text
    assert 'id="ticketcfg-save"' in admin.text
    assert web.get("/reports").status_code == 200
    web.cookies.clear()

    web_sign_in(web, "sup-gz")  # a supervisor of one site: reads its records and its reports
    scoped = web.get("/admin")
    assert re.findall(r'id="tab-([a-z]+)"', scoped.text) == ["sites", "teams", "agents", "workflows", "codes"]
    assert 'id="site-form"' not in scoped.text
    assert 'id="ticketcfg-save"' not in scoped.text
    assert 'href="/reports"' in scoped.text
    assert web.get("/reports").status_code == 200
    web.cookies.clear()

    web_sign_in(web, "agent-gz")
    for path in ("/admin", "/reports"):
        assert web.get(path).status_code == 403
    assert 'href="/admin"' not in web.get("/agent").text


@pytest.mark.parametrize("backend", ["sqlite"])
def test_admin_and_reports_pages_in_chinese_show_no_english_message(web: TestClient) -> None:
    english = {en for en, zh in MESSAGES.values() if en != zh and re.search(r"[A-Za-z]{3}", en)}
    web.get("/lang/zh")
    web_sign_in(web, "boss")
    for path in ("/admin", "/reports"):
        texts = visible(web.get(path).text)
        assert any(CJK.search(text) for text in texts), path
        assert [text for text in texts if text in english] == [], path
