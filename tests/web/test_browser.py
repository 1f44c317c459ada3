"""The web UI in a real browser: Debian's Chromium driven by Playwright, against a real `baiying serve`
process on a seeded SQLite database (tests/traffic/server.py), at 1366×768.

- An agent logs in through the form, logs in to the queues, receives a contact created through the API
  with its deadline counting down, accepts it and sees the screen pop; the server is killed and
  restarted, the desktop reconnects by itself and shows the same contact; the agent completes it with a
  wrap-up code and notes (stored with the contact) and ends wrap-up; in Chinese the labels are Chinese.
- The customer 360 in the screen pop: who is calling while the offer rings, the repeat-contact banner,
  profile, products, last interactions, reminders and offers whose outcomes are recorded; an unknown
  caller is a "new customer".
- The issue's main scenario: a visitor chats from the public /chat page (a second browser context), the
  agent is offered the chat, accepts, they write to each other across a server restart, the agent
  completes it and the transcript stays with the contact and the customer's timeline.
- A supervisor's wallboard tiles follow contacts as they arrive; the supervisor evacuates a site after
  confirming the dialog and sees its waiting contacts move to the other site; forces an agent's state.

Screenshots go to test-artifacts/web/. Without Chromium the tests fail in CI (`CI` set) and are skipped
elsewhere, saying why. No browser is ever downloaded: the system's executable is launched.
"""

import datetime
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from baiying.accounts.passwords import Passwords
from baiying.accounts.principal import Grant
from baiying.accounts.users import create_user
from baiying.clock import SystemClock
from baiying.storage.engine import make_engine
from baiying.storage.tables import ContactRow, Role
from tests.traffic.server import REPO, ServerProcess, log_in, password, seed

EXPECT_TIMEOUT_MS = 15_000
CHROMIUM = Path(os.environ.get("BAIYING_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO / "test-artifacts" / "web"
VIEWPORT = {"width": 1366, "height": 768}
WAIT_MS = 10_000
TENANT = "web"
AGENTS = ["agent-001", "agent-002"]
SUPERVISOR = "sup"
SCENARIO = """
name: web ui test
days: 1
seed: 1
sites:
  - {id: hq, name: Headquarters}
  - {id: branch, name: Branch office}
queues:
  - {id: support, policy: support-agents, offer_timeout_seconds: 600, wrap_up_seconds: 600}
  - {id: sales, policy: sales-agents, offer_timeout_seconds: 600, wrap_up_seconds: 600}
policies:
  - id: support-agents
    steps:
      - target: {skills: {support: 1}}
  - id: sales-agents
    steps:
      - target: {skills: {sales: 1}}
traffic:
  - {name: calls, queue: support, site: hq, rates_per_hour: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
     1, 1, 1, 1, 1, 1, 1, 1], handle: {kind: constant, value: 60}}
agents:
  - {group: agent, site: hq, count: 2, skills: {support: 5}}
"""


def chromium_or_skip() -> None:
    if CHROMIUM.exists():
        return
    reason = f"no Chromium at {CHROMIUM} (apt-get install chromium, as .ci/run does; or set BAIYING_CHROMIUM)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def add_supervisor(url: str) -> None:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            create_user(
                session,
                TENANT,
                user_id=SUPERVISOR,
                login=SUPERVISOR,
                display_name="Supervisor Sun",
                password=password(SUPERVISOR),
                grants=[Grant(Role.SUPERVISOR)],
                actor="seed",
                at=SystemClock().now() - 86_400,
                passwords=Passwords(),
            )
            session.commit()
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    chromium_or_skip()
    workdir = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{workdir / 'baiying.db'}"
    seed(url, TENANT, SCENARIO, AGENTS)
    add_supervisor(url)
    process = ServerProcess(url, workdir)
    process.start()
    try:
        with httpx.Client(base_url=process.base, timeout=10.0) as client:
            admin = log_in(client, "boss")
            body = {"code": "resolved", "label": "Resolved"}
            assert client.post("/api/wrap-up-codes", json=body, headers=admin).status_code == 201
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium_or_skip()
    if os.environ.get("CI"):
        from playwright.sync_api import sync_playwright
    else:
        sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
        sync_playwright = sync_api.sync_playwright
    # The pages poll once a second and CI shares two cores with a server and a browser: give each
    # expectation room beyond Playwright's default 5 s, so a loaded machine is not mistaken for a bug.
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(WAIT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        forget_language(context, opened)
        context.close()
    assert errors == [], errors  # no script failed on any page


def forget_language(context: Any, page: Any) -> None:
    """The switcher saves a logged-in user's language on their account: set it back to the browser's, so
    that the next test's login starts in English like this one did (the server lives for the module)."""
    if page.url.startswith("http"):
        origin = "/".join(page.url.split("/")[:3])
        context.request.patch(origin + "/api/me", data={"language": None})  # 401 when logged out: fine


@pytest.fixture
def api(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base, timeout=10.0) as client:
        client.headers.update(log_in(client, "boss"))
        yield client


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def sign_in(page: Any, server: ServerProcess, login: str) -> None:
    page.goto(server.base + "/")
    page.wait_for_url("**/login**")
    page.fill("#login", login)
    page.fill("#password", password(login))
    page.click("#login-form button[type=submit]")


def fits(page: Any) -> None:
    """Nothing sticks out sideways at 1366×768."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORT["width"], width


def test_an_agent_takes_a_contact_from_offer_to_wrap_up(
    page: Any, server: ServerProcess, api: httpx.Client
) -> None:
    from playwright.sync_api import expect

    sign_in(page, server, "agent-001")
    page.wait_for_url("**/agent")
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    expect(page.locator("#agent-state")).to_have_text("Logged out")
    page.click("#btn-login")
    expect(page.locator("#agent-state")).to_have_text("Ready")
    fits(page)
    shot(page, "agent-ready")

    contact = {
        "queue": "support",
        "site": "hq",
        "customer": "cust-42",
        "language": "zh",
        "intent": "billing",
        "tier": "gold",
        "attributes": {"caller_number": "+8613800138000"},
    }
    created = api.post("/api/contacts", json=contact)
    assert created.status_code == 201, created.text
    contact_id = created.json()["id"]
    expect(page.locator("#offer")).to_be_visible()
    expect(page.locator("#offer-caller")).to_have_text("+8613800138000")
    expect(page.locator("#offer-countdown")).to_contain_text("Answer within")
    seconds = int(page.locator("#offer-countdown").get_attribute("data-seconds") or "0")
    assert 590 <= seconds <= 600, seconds  # the queue's 600 s offer timeout, counting down
    expect(page.locator("#agent-state")).to_have_text("Ringing")
    shot(page, "agent-offer")

    page.click("#btn-accept")
    expect(page.locator("#pop")).to_be_visible()
    expect(page.locator("#offer")).to_be_hidden()
    expect(page.locator("#pop-caller")).to_have_text("+8613800138000")
    expect(page.locator("#pop-customer")).to_have_text("cust-42")
    expect(page.locator("#pop-queue")).to_have_text("support")
    expect(page.locator("#pop-language")).to_have_text("zh")
    expect(page.locator("#pop-intent")).to_have_text("billing")
    expect(page.locator("#pop-tier")).to_have_text("gold")
    expect(page.locator("#agent-state")).to_have_text("Busy")
    fits(page)
    shot(page, "agent-screen-pop")

    # The server goes away and comes back: the desktop reconnects and the server restores its state.
    server.kill()
    expect(page.locator("#connection")).to_have_attribute("data-state", "reconnecting")
    server.start()
    expect(page.locator("#connection")).to_have_attribute("data-state", "online", timeout=20_000)
    expect(page.locator("#agent-state")).to_have_text("Busy")
    expect(page.locator("#pop-caller")).to_have_text("+8613800138000")

    page.select_option("#wrap-up-code", "resolved")
    page.fill("#notes", "Explained the bill.")
    page.click("#btn-complete")
    expect(page.locator("#agent-state")).to_have_text("Wrap-up")
    expect(page.locator("#btn-end-wrap-up")).to_be_visible()
    shot(page, "agent-wrap-up")
    page.click("#btn-end-wrap-up")
    expect(page.locator("#pop-none")).to_be_visible()
    expect(page.locator("#agent-state")).to_have_text("Ready")
    assert api.get(f"/api/contacts/{contact_id}").json()["phase"] == "completed"
    engine = make_engine(server.url)
    try:
        with Session(engine) as session:
            stored = session.scalars(select(ContactRow).where(ContactRow.id == contact_id)).one()
            assert stored.attributes["wrap_up"] == {"code": "resolved", "notes": "Explained the bill."}
    finally:
        engine.dispose()

    # 中文: the same desktop with Chinese labels.
    page.click("a[data-lang=zh]")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#agent-state")).to_have_text("就绪")
    expect(page.locator("#btn-ready")).to_have_text("就绪")
    expect(page.locator("#btn-logout")).to_have_text("签出队列")
    expect(page.locator("#connection")).to_have_text("已连接")
    fits(page)
    shot(page, "agent-zh")
    page.click("#btn-logout")
    expect(page.locator("#agent-state")).to_have_text("已登出")


def test_the_language_a_user_chooses_follows_them_to_a_new_browser(
    browser: Any, server: ServerProcess
) -> None:
    from playwright.sync_api import expect

    first = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = first.new_page()
    try:
        sign_in(page, server, SUPERVISOR)
        page.wait_for_url("**/wallboard")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")  # the browser's language
        page.click("a[data-lang=en]")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.locator("#logout")).to_have_text("Log out")
        page.click("#logout")
        page.wait_for_url("**/login")
    finally:
        first.close()

    fresh = browser.new_context(viewport=VIEWPORT, locale="zh-CN")  # no cookie of the first
    page = fresh.new_page()
    try:
        page.goto(server.base + "/login")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        sign_in(page, server, SUPERVISOR)
        page.wait_for_url("**/wallboard")
        expect(page.locator("html")).to_have_attribute("lang", "en")  # the account's language
        expect(page.locator("#logout")).to_have_text("Log out")
        expect(page.locator('[data-tile="total"] dt').first).to_have_text("Waiting")
        shot(page, "language-from-account")
        page.goto(server.base + "/login?next=/reports")  # logged in: straight on, still English
        expect(page.locator("html")).to_have_attribute("lang", "en")
    finally:
        forget_language(fresh, page)
        fresh.close()


def tile(page: Any, key: str, field: str) -> Any:
    return page.locator(f'[data-tile="{key}"] [data-field="{field}"]')


def test_a_supervisor_watches_the_wallboard_and_evacuates_a_site(
    page: Any, server: ServerProcess, api: httpx.Client
) -> None:
    from playwright.sync_api import expect

    sign_in(page, server, SUPERVISOR)
    page.wait_for_url("**/wallboard")
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    before = int(tile(page, "total", "waiting").inner_text())

    # Nobody has the sales skill: these contacts wait where they came in.
    for site in ("branch", "branch", "hq"):
        created = api.post("/api/contacts", json={"queue": "sales", "site": site})
        assert created.status_code == 201, created.text
    expect(tile(page, "site:branch", "waiting")).to_have_text("2")
    expect(tile(page, "site:hq", "waiting")).to_have_text("1")
    expect(tile(page, "queue:sales", "waiting")).to_have_text("3")
    expect(tile(page, "total", "waiting")).to_have_text(str(before + 3))
    expect(tile(page, "total", "offered")).not_to_have_text("0")
    volume = "Chart.getChart(document.getElementById('intraday')).data.datasets[0].data"
    page.wait_for_function(f"{volume}.reduce((a, b) => a + b, 0) >= {before + 3}")
    expect(page.locator("#chart-title")).to_have_text("Today, by interval")

    # An agent logged in elsewhere shows in the list; the supervisor sends them to lunch.
    assert api.post("/api/agents/agent-002/login", json={"ready": True}).status_code == 200
    row = page.locator('#agent-list tr[data-agent="agent-002"]')
    expect(row.locator(".badge")).to_have_text("Ready")
    row.locator("select").select_option("aux:lunch")
    row.locator("button.force").click()
    expect(row.locator(".badge")).to_have_text("Not ready · Lunch")
    fits(page)
    shot(page, "wallboard")

    # Evacuate the branch: a confirmation first; cancelling changes nothing.
    evacuate = page.locator('#site-list button.evacuate[data-site="branch"]')
    evacuate.click()
    expect(page.locator("#evacuate-dialog")).to_be_visible()
    expect(page.locator("#evacuate-title")).to_have_text("Evacuate site Branch office?")
    page.click("#evacuate-cancel")
    expect(page.locator("#evacuate-dialog")).to_be_hidden()
    assert api.get("/api/sites/branch").json()["status"] == "open"
    evacuate.click()
    shot(page, "wallboard-evacuate-dialog")
    page.click("#evacuate-confirm")
    expect(page.locator('#site-list tr[data-site="branch"] .site-status')).to_have_text("Evacuated")
    expect(tile(page, "site:hq", "waiting")).to_have_text("3")  # the branch's two moved to hq
    expect(tile(page, "site:branch", "waiting")).to_have_text("0")
    expect(page.locator('[data-tile="site:branch"] .site-status')).to_have_text("Evacuated")
    assert api.get("/api/sites/branch").json()["status"] == "evacuated"
    moved = api.get("/api/queues/sales/waiting").json()
    assert [c["site"] for c in moved] == ["hq", "hq", "hq"]
    shot(page, "wallboard-evacuated")

    page.click("a[data-lang=zh]")
    expect(page.locator('[data-tile="site:hq"] dt').first).to_have_text("排队中")
    expect(page.locator('#site-list tr[data-site="branch"] .site-status')).to_have_text("已疏散")
    expect(page.locator("#site-list button.reopen[data-site='branch']")).to_have_text("重新开放")
    fits(page)
    shot(page, "wallboard-zh")
    page.click("#site-list button.reopen[data-site='branch']")
    expect(page.locator('#site-list tr[data-site="branch"] .site-status')).to_have_text("开放")


def test_an_agent_goes_aux_rejects_an_offer_transfers_a_contact_and_logs_out(
    page: Any, server: ServerProcess, api: httpx.Client
) -> None:
    from playwright.sync_api import expect

    page.goto(server.base + "/agent")
    page.wait_for_url("**/login?next=/agent")
    page.fill("#login", "agent-001")
    page.fill("#password", "not the password")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_have_text("Wrong login or password.")
    page.fill("#password", password("agent-001"))
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/agent")
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    expect(page.locator("#agent-state")).to_have_text("Logged out")
    page.click("#btn-login")
    expect(page.locator("#agent-state")).to_have_text("Ready")

    page.select_option("#aux-reason", "lunch")
    page.click("#btn-aux")
    expect(page.locator("#agent-state")).to_have_text("Not ready")
    expect(page.locator("#agent-reason")).to_have_text("Lunch")
    assert api.get("/api/agents/agent-001/session").json()["reason"] == "lunch"
    page.click("#btn-ready")
    expect(page.locator("#agent-state")).to_have_text("Ready")

    rejected = api.post("/api/contacts", json={"queue": "support", "site": "hq"}).json()["id"]
    expect(page.locator("#offer")).to_be_visible()
    page.reload()  # the offer and its deadline come back from the stream's hello
    expect(page.locator("#offer")).to_be_visible()
    expect(page.locator("#offer-countdown")).to_contain_text("Answer within")
    seconds = int(page.locator("#offer-countdown").get_attribute("data-seconds") or "0")
    assert 580 <= seconds <= 600, seconds
    page.click("#btn-reject")
    expect(page.locator("#offer")).to_be_hidden()
    expect(page.locator("#offer-notice")).to_contain_text("rejected")
    assert api.get(f"/api/contacts/{rejected}").json()["phase"] == "waiting"
    assert api.post(f"/api/contacts/{rejected}/cancel").status_code == 200

    # A service application's panel plugs into the screen pop and is given the contact.
    page.evaluate(
        """Baiying.desktop.panels.register("customer-360", (slot, contact) => {
            slot.textContent = "360 view of " + contact.customer_id;
            return true;
        })"""
    )
    moved = api.post("/api/contacts", json={"queue": "support", "site": "hq", "customer": "c-77"}).json()[
        "id"
    ]
    page.click("#btn-accept")
    expect(page.locator("#pop")).to_be_visible()
    expect(page.locator('[data-panel="customer-360"]')).to_have_text("360 view of c-77")
    expect(page.locator('[data-panel="tickets"] .ticket-list-status')).to_have_text("No open ticket.")
    page.select_option("#transfer-queue", "sales")
    page.click("#btn-transfer")
    expect(page.locator("#pop-phase")).to_have_text("Wrap-up")  # the queue's wrap-up time follows
    expect(page.locator("#work-actions")).to_be_hidden()
    expect(page.locator("#agent-state")).to_have_text("Wrap-up")
    page.click("#btn-end-wrap-up")
    expect(page.locator("#pop-none")).to_be_visible()
    expect(page.locator("#agent-state")).to_have_text("Ready")
    found = api.get(f"/api/contacts/{moved}").json()
    assert (found["queue"], found["phase"]) == ("sales", "waiting")
    assert api.post(f"/api/contacts/{moved}/cancel").status_code == 200

    page.click("#btn-logout")
    expect(page.locator("#agent-state")).to_have_text("Logged out")
    page.click("#logout")
    page.wait_for_url("**/login")
    page.goto(server.base + "/agent")
    page.wait_for_url("**/login?next=/agent")


PLANS = {
    "basic-39": ("Basic 39", 3900, 100, 3_000, 15, 3),
    "large-129": ("Large 129", 12900, 1000, 60_000, 10, 1),
}


def seed_customer(api: httpx.Client, customer_id: str, phone: str) -> None:
    """A known customer with a phone, a mobile plan too big for their use (the cheaper-plan offer) and
    their birthday today (a reminder)."""
    for plan_id, (name, fee, minutes, data, per_minute, per_mb) in PLANS.items():
        plan = {
            "name": name,
            "monthly_fee_fen": fee,
            "minutes": minutes,
            "data_mb": data,
            "extra_minute_fen": per_minute,
            "extra_mb_fen": per_mb,
        }
        assert api.put(f"/api/care/plans/{plan_id}", json=plan).status_code in (200, 201)
    today = datetime.datetime.fromtimestamp(SystemClock().now(), ZoneInfo("Asia/Shanghai")).date()
    customer = {
        "id": customer_id,
        "display_name": "Wang Fang",
        "site": "hq",
        "contact_points": [{"kind": "phone", "value": phone}],
        "tier": "gold",
        "birthday": today.replace(year=1990).isoformat() if (today.month, today.day) != (2, 29) else None,
        "consents": {"marketing": True},
    }
    created = api.post("/api/customers", json=customer)
    assert created.status_code == 201, created.text
    product = {
        "id": f"{customer_id}-m",
        "kind": "telecom",
        "name": "Mobile",
        "plan": "Large 129",
        "monthly_fee_cents": 12900,
    }
    assert api.post(f"/api/customers/{customer_id}/products", json=product).status_code == 201
    this_month = today.replace(day=1)
    for back in (1, 2, 3):
        month = (this_month - datetime.timedelta(days=28 * back)).strftime("%Y-%m")
        usage = {"minutes": 80, "data_mb": 2_000}
        assert api.put(f"/api/care/usage/{customer_id}-m/{month}", json=usage).status_code == 200


def test_the_screen_pop_shows_the_customer_360_and_records_offer_outcomes(
    page: Any, server: ServerProcess, api: httpx.Client
) -> None:
    from playwright.sync_api import expect

    seed_customer(api, "wang-fang", "+8613900139000")
    # She called earlier today and hung up while waiting: this is her second contact.
    earlier = api.post(
        "/api/contacts",
        json={"queue": "sales", "site": "hq", "intent": "billing", "attributes": {"phone": "13900139000"}},
    ).json()["id"]
    assert api.post(f"/api/contacts/{earlier}/cancel").status_code == 200

    sign_in(page, server, "agent-001")
    page.wait_for_url("**/agent")
    page.click("#btn-login")
    expect(page.locator("#agent-state")).to_have_text("Ready")
    body = {"queue": "support", "site": "hq", "intent": "plan", "attributes": {"phone": "+86 139 0013 9000"}}
    contact_id = api.post("/api/contacts", json=body).json()["id"]
    expect(page.locator("#offer")).to_be_visible()
    expect(page.locator("#offer-customer .offer-name")).to_contain_text("Wang Fang")
    expect(page.locator("#offer-customer .offer-banner")).to_contain_text("2nd contact today")
    shot(page, "c360-offer")

    page.click("#btn-accept")
    expect(page.locator('[data-panel="repeat-contact"]')).to_contain_text("2nd contact today")
    c360 = page.locator('[data-panel="customer-360"]')
    expect(c360.locator(".customer-name")).to_have_text("Wang Fang")
    expect(c360).to_contain_text("gold")
    expect(c360.locator('[data-product="wang-fang-m"]')).to_contain_text("Mobile · Large 129")
    history = page.locator('[data-panel="interactions"] li')
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("billing")
    expect(history.first).to_contain_text("abandoned")
    expect(page.locator('[data-panel="reminders"] li[data-kind="birthday"]')).to_be_visible()
    offer = page.locator('[data-panel="offers"] li[data-offer="cheaper-plan"]')
    expect(offer).to_contain_text("Basic 39")
    expect(offer.locator(".saving")).to_contain_text("¥90.00")
    fits(page)
    shot(page, "c360-screen-pop")
    offer.locator('button[data-outcome="accepted"]').click()
    expect(offer.locator(".offer-status")).to_have_text("Accepted: recorded.")
    expect(offer.locator('button[data-outcome="declined"]')).to_be_disabled()
    now = SystemClock().now()
    window = {"from": now - 3600, "to": now + 60}

    def conversion() -> dict[str, Any]:
        return {r["offer_id"]: r for r in api.get("/api/care/offers/conversion", params=window).json()}

    offered = len(page.locator('[data-panel="offers"] li[data-offer]').all())
    for _ in range(50):  # "shown" is recorded in the background as the panel appears
        rows = conversion()
        if sum(r["shown"] for r in rows.values()) >= offered and "cheaper-plan" in rows:
            break
        page.wait_for_timeout(100)
    assert (rows["cheaper-plan"]["shown"], rows["cheaper-plan"]["accepted"]) == (1, 1), rows
    assert sum(r["shown"] for r in rows.values()) == offered  # each offer shown once

    page.reload()  # the same contact's offers are not recorded as shown again
    expect(c360.locator(".customer-name")).to_have_text("Wang Fang")
    page.wait_for_timeout(500)
    assert sum(r["shown"] for r in conversion().values()) == offered

    page.click("#btn-complete")
    page.click("#btn-end-wrap-up")
    expect(page.locator("#pop-none")).to_be_visible()
    assert api.get(f"/api/contacts/{contact_id}").json()["phase"] == "completed"

    # An unknown caller: a clear "new customer" state, no customer panels.
    api.post("/api/contacts", json={"queue": "support", "site": "hq", "attributes": {"phone": "13700137000"}})
    expect(page.locator("#offer-customer .new-customer")).to_have_text("New customer")
    page.click("#btn-accept")
    expect(c360.locator(".new-customer")).to_have_text("New customer")
    expect(c360).to_contain_text("No customer on record for +8613700137000.")
    expect(page.locator('[data-panel="offers"]')).to_be_hidden()
    expect(page.locator('[data-panel="interactions"]')).to_be_hidden()
    shot(page, "c360-new-customer")
    page.click("#btn-complete")
    page.click("#btn-end-wrap-up")
    page.click("#btn-logout")
    expect(page.locator("#agent-state")).to_have_text("Logged out")


def test_a_visitor_chats_with_an_agent_from_the_web_page_to_wrap_up(
    browser: Any, page: Any, server: ServerProcess, api: httpx.Client
) -> None:
    """The issue's main scenario: an agent goes ready; a visitor starts a chat on the company's page (in a
    browser of their own); the agent is offered it, sees who it is, accepts, and they talk; the agent
    completes it and the transcript stays with the contact and in the customer's timeline."""
    from playwright.sync_api import expect

    capacity = {"capacity": {"voice": 1, "chat": 1}}
    assert api.patch("/api/agents/agent-001", json=capacity).status_code == 200
    customer = {
        "id": "chen-jing",
        "display_name": "Chen Jing",
        "site": "hq",
        "tier": "silver",
        "contact_points": [{"kind": "email", "value": "chen.jing@example.com"}],
    }
    assert api.post("/api/customers", json=customer).status_code == 201

    sign_in(page, server, "agent-001")
    page.wait_for_url("**/agent")
    page.click("#btn-login")
    expect(page.locator("#agent-state")).to_have_text("Ready")

    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(WAIT_MS)
    visitor = context.new_page()
    errors: list[str] = []
    visitor.on("pageerror", lambda error: errors.append(str(error)))
    try:
        visitor.goto(server.base + f"/chat?tenant={TENANT}&queue=support")
        visitor.fill("#chat-name", "Chen <i>Jing</i>")
        visitor.fill("#chat-email", "Chen.Jing@example.com")
        visitor.fill("#chat-first", "My router <b>blinks</b> red")
        shot(visitor, "chat-visitor-form")
        visitor.click("#chat-start-button")
        expect(visitor.locator("#chat-room")).to_be_visible()
        chat_id = visitor.locator("#chat-room").get_attribute("data-conversation")
        assert chat_id

        # The agent is offered the chat and sees who it is before accepting.
        expect(page.locator("#offer")).to_be_visible()
        expect(page.locator("#offer-customer .offer-name")).to_contain_text("Chen Jing")
        expect(page.locator("#offer-chat .text")).to_have_text("My router <b>blinks</b> red")
        expect(page.locator("#offer-chat .who")).to_have_text("Chen <i>Jing</i> wrote:")
        shot(page, "chat-agent-offer")
        page.click("#btn-accept")
        expect(page.locator("#pop-channel")).to_have_text("Chat")
        expect(page.locator('[data-panel="customer-360"] .customer-name')).to_have_text("Chen Jing")
        panel = page.locator('[data-panel="chat"]')
        expect(panel.locator("h3")).to_have_text("Chat with Chen <i>Jing</i>")
        expect(panel.locator(".msg.visitor .text")).to_have_text("My router <b>blinks</b> red")
        assert panel.locator(".msg b, h3 i").count() == 0  # the visitor's markup is text, not HTML
        expect(visitor.locator("#chat-status")).to_contain_text("You are chatting with")

        page.fill("#agent-chat-text", "Please restart it.")
        page.press("#agent-chat-text", "Enter")
        expect(visitor.locator("#chat-log .msg.agent .text")).to_have_text("Please restart it.")
        visitor.fill("#chat-text", "It works now, thanks!")
        visitor.click("#chat-send-button")
        expect(panel.locator(".msg.visitor .text").last).to_have_text("It works now, thanks!")

        # The server restarts mid-chat: both sides carry on and no message is lost.
        server.kill()
        server.start()
        expect(page.locator("#connection")).to_have_attribute("data-state", "online", timeout=20_000)
        page.fill("#agent-chat-text", "Anything else?")
        page.click("#agent-chat-send")
        expect(visitor.locator("#chat-log .msg.agent .text").last).to_have_text("Anything else?")
        expect(visitor.locator("#chat-log .msg")).to_have_count(4)
        fits(page)
        shot(page, "chat-agent")
        shot(visitor, "chat-visitor")

        page.select_option("#wrap-up-code", "resolved")
        page.click("#btn-complete")
        expect(page.locator("#agent-state")).to_have_text("Wrap-up")
        expect(panel.locator(".chat-status")).to_have_attribute("data-status", "ended")
        expect(page.locator("#agent-chat-send")).to_be_disabled()
        expect(visitor.locator("#chat-status")).to_have_text("The chat has ended. Thank you!")
        expect(visitor.locator("#chat-send-button")).to_be_disabled()
        shot(visitor, "chat-visitor-ended")
        page.click("#btn-end-wrap-up")
        expect(page.locator("#pop-none")).to_be_visible()

        # She calls later: her last interactions list the chat, whose transcript opens in place.
        call = {"queue": "support", "site": "hq", "attributes": {"email": "chen.jing@example.com"}}
        assert api.post("/api/contacts", json=call).status_code == 201
        page.click("#btn-accept")
        earlier = page.locator(f'[data-panel="interactions"] li[data-source="{chat_id}"]')
        expect(earlier).to_contain_text("Chat")
        earlier.locator("button.show-transcript").click()
        expect(earlier.locator(".transcript .line")).to_have_count(4)
        expect(earlier.locator(".transcript .line.agent").first).to_contain_text("Please restart it.")
        shot(page, "chat-transcript-in-timeline")
        page.click("#btn-complete")
        page.click("#btn-end-wrap-up")
        page.click("#btn-logout")
        expect(page.locator("#agent-state")).to_have_text("Logged out")
    finally:
        context.close()
    assert errors == [], errors

    assert api.get(f"/api/contacts/{chat_id}").json()["phase"] == "completed"
    texts = [m["text"] for m in api.get(f"/api/chat/contacts/{chat_id}/messages").json()["messages"]]
    assert texts == [
        "My router <b>blinks</b> red",
        "Please restart it.",
        "It works now, thanks!",
        "Anything else?",
    ]
    engine = make_engine(server.url)
    try:
        with Session(engine) as session:
            stored = session.scalars(select(ContactRow).where(ContactRow.id == chat_id)).one()
            assert [m["text"] for m in stored.attributes["transcript"]] == texts
    finally:
        engine.dispose()
    timeline = api.get("/api/customers/chen-jing/timeline").json()["items"]
    assert [i["channel"] for i in timeline] == ["voice", "chat"]
    assert timeline[1]["source_id"] == chat_id


def test_an_agent_holds_two_chats_and_switches_between_them(
    page: Any, server: ServerProcess, api: httpx.Client
) -> None:
    from playwright.sync_api import expect

    capacity = {"capacity": {"voice": 1, "chat": 2}}
    assert api.patch("/api/agents/agent-001", json=capacity).status_code == 200
    sign_in(page, server, "agent-001")
    page.wait_for_url("**/agent")
    page.click("#btn-login")
    expect(page.locator("#agent-state")).to_have_text("Ready")
    chats = []
    with httpx.Client(base_url=server.base, timeout=10.0) as visitor:
        for name in ("Zhao", "Qian"):
            body = {"queue": "support", "name": name, "message": f"Hello from {name}"}
            started = visitor.post(f"/api/chat/visitor/{TENANT}/conversations", json=body)
            assert started.status_code == 201, started.text
            chats.append(started.json())
            expect(page.locator("#offer")).to_be_visible()
            page.click("#btn-accept")
            expect(page.locator("#offer")).to_be_hidden()

        tabs = page.locator("#pop-tabs .tab")
        expect(tabs).to_have_count(2)
        qian = page.locator(f'#pop-tabs .tab[data-contact="{chats[1]["id"]}"]')
        expect(qian).to_have_attribute("data-unread", "true")  # accepted, not opened yet
        panel = page.locator('[data-panel="chat"]')
        expect(panel.locator("h3")).to_have_text("Chat with Zhao")
        page.click(f'#pop-tabs .tab[data-contact="{chats[1]["id"]}"]')
        expect(panel.locator("h3")).to_have_text("Chat with Qian")
        expect(page.locator('[data-panel="customer-360"]')).to_contain_text(
            "The visitor gave no phone or email."
        )
        expect(panel.locator(".msg.visitor .text")).to_have_text("Hello from Qian")
        page.fill("#agent-chat-text", "Hello Qian")
        page.click("#agent-chat-send")
        expect(panel.locator(".msg.agent .text")).to_have_text("Hello Qian")
        fits(page)
        shot(page, "chat-two-in-hand")

        def said(chat: dict[str, Any]) -> list[str]:
            path = f"/api/chat/visitor/{TENANT}/conversations/{chat['id']}"
            return [
                m["text"]
                for m in visitor.get(path, headers={"X-Chat-Token": chat["token"]}).json()["messages"]
            ]

        assert said(chats[1]) == ["Hello from Qian", "Hello Qian"]
        assert said(chats[0]) == ["Hello from Zhao"]

        # Zhao writes while Qian's chat is on screen: Zhao's tab says so until it is opened.
        zhao = page.locator(f'#pop-tabs .tab[data-contact="{chats[0]["id"]}"]')
        expect(zhao).to_have_attribute("data-unread", "false")
        path = f"/api/chat/visitor/{TENANT}/conversations/{chats[0]['id']}/messages"
        sent = visitor.post(
            path, json={"text": "Are you there?"}, headers={"X-Chat-Token": chats[0]["token"]}
        )
        assert sent.status_code == 201, sent.text
        expect(zhao).to_have_attribute("data-unread", "true")
        shot(page, "chat-unread-tab")
        zhao.click()
        expect(panel.locator(".msg.visitor .text").last).to_have_text("Are you there?")
        expect(zhao).to_have_attribute("data-unread", "false")

        # Each is completed from its own tab.
        page.click(f'#pop-tabs .tab[data-contact="{chats[0]["id"]}"]')
        expect(page.locator("#screen-pop")).to_have_attribute("data-contact", chats[0]["id"])
        page.click("#btn-complete")
        expect(page.locator("#pop-phase")).to_have_text("Wrap-up")
        page.click("#btn-end-wrap-up")
        expect(tabs).to_have_count(0)
        expect(page.locator("#screen-pop")).to_have_attribute("data-contact", chats[1]["id"])
        page.click("#btn-complete")
        page.click("#btn-end-wrap-up")
        expect(page.locator("#pop-none")).to_be_visible()
        for chat in chats:
            assert api.get(f"/api/contacts/{chat['id']}").json()["phase"] == "completed"
    page.click("#btn-logout")
    expect(page.locator("#agent-state")).to_have_text("Logged out")


def test_a_visitor_in_chinese_is_told_what_is_wrong_resumes_after_a_reload_and_leaves(
    browser: Any, server: ServerProcess, api: httpx.Client
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(WAIT_MS)
    visitor = context.new_page()
    errors: list[str] = []
    visitor.on("pageerror", lambda error: errors.append(str(error)))
    try:
        visitor.goto(server.base + f"/chat?tenant={TENANT}&queue=sales")  # nobody takes sales: it waits
        expect(visitor.locator("h1")).to_have_text("在线客服")
        visitor.fill("#chat-name", "小王")
        visitor.fill("#chat-phone", "12")
        visitor.fill("#chat-first", "你好，我想咨询套餐")
        visitor.click("#chat-start-button")
        expect(visitor.locator("#chat-error")).to_contain_text("请检查手机号码或邮箱")
        expect(visitor.locator("#chat-room")).to_be_hidden()
        visitor.fill("#chat-phone", "")
        visitor.click("#chat-start-button")
        expect(visitor.locator("#chat-status")).to_have_text("正在为您接通客服…")
        expect(visitor.locator("#chat-error")).to_be_hidden()
        chat_id = visitor.locator("#chat-room").get_attribute("data-conversation")
        assert api.get(f"/api/contacts/{chat_id}").json()["phase"] == "waiting"

        visitor.reload()  # the tab keeps the conversation
        expect(visitor.locator("#chat-room")).to_have_attribute("data-conversation", str(chat_id))
        expect(visitor.locator("#chat-log .msg.visitor .text")).to_have_text("你好，我想咨询套餐")
        visitor.fill("#chat-text", "x" * 10)
        visitor.press("#chat-text", "Enter")
        expect(visitor.locator("#chat-log .msg.visitor")).to_have_count(2)
        shot(visitor, "chat-visitor-zh")
        visitor.click("#chat-leave")
        expect(visitor.locator("#chat-status")).to_have_text("对话已结束，感谢您的咨询！")
        expect(visitor.locator("#chat-new")).to_be_visible()
        assert api.get(f"/api/contacts/{chat_id}").json()["phase"] == "abandoned"
        visitor.click("#chat-new")
        expect(visitor.locator("#chat-start")).to_be_visible()
    finally:
        context.close()
    assert errors == [], errors
