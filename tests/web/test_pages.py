"""The pages through the real app: where `/` sends each user, the login page, the language switch (a
cookie, with no way to redirect off the site), the desktop's and the wallboard's pages for the roles that
may open them (a 403 page for the others), the wallboard's live agent list scoped like the API, and the
static files (Chart.js served from the reports' copy)."""

from pathlib import Path

from baiying.clock import ManualClock
from tests.api.conftest import TestClient
from tests.application.helpers import GZ1, T0
from tests.web.conftest import sign_in

WEB = Path(__file__).resolve().parents[2] / "src" / "baiying" / "web"
REPORTS_CHART = WEB.parent / "reports" / "static" / "chart.umd.min.js"


def location(client: TestClient, path: str, **options: object) -> str:
    response = client.get(path, follow_redirects=False, **options)  # type: ignore[arg-type]
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def test_home_sends_each_user_to_their_page(web: TestClient) -> None:
    assert location(web, "/") == "/login"
    sign_in(web, "boss")
    assert location(web, "/") == "/wallboard"
    assert location(web, "/login") == "/wallboard"
    web.cookies.clear()
    sign_in(web, "agent-gz")
    assert location(web, "/") == "/agent"
    assert location(web, "/login?next=/agent") == "/agent"


def test_pages_need_a_session_and_send_back_after_login(web: TestClient) -> None:
    assert location(web, "/agent") == "/login?next=/agent"
    assert location(web, "/wallboard") == "/login?next=/wallboard"
    page = web.get("/login?next=/wallboard")
    assert page.status_code == 200
    assert '"next": "/wallboard"' in page.text
    assert 'id="login-form"' in page.text
    web.cookies.set("baiying_session", "forged")
    assert location(web, "/agent") == "/login?next=/agent"


def test_login_redirects_only_within_the_site(web: TestClient) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        page = web.get("/login", params={"next": target})
        assert '"next": "/"' in page.text, target
        assert location(web, "/lang/zh", params={"next": target}) == "/"


def test_the_language_is_the_users_choice_else_the_browsers(web: TestClient) -> None:
    assert "<title>Log in · Baiying</title>" in web.get("/login").text
    chinese = web.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}).text
    assert "<title>登录 · 百应</title>" in chinese
    assert '<html lang="zh-CN">' in chinese
    response = web.get("/lang/zh", params={"next": "/login"}, follow_redirects=False)
    assert response.headers["location"] == "/login"
    assert "baiying_lang=zh" in response.headers["set-cookie"]
    assert "<title>登录 · 百应</title>" in web.get("/login").text
    assert "<title>Log in · Baiying</title>" in web.get("/lang/en", params={"next": "/login"}).text
    web.get("/lang/fr", params={"next": "/login"})  # unknown: the choice stays
    assert "<title>Log in · Baiying</title>" in web.get("/login").text


def test_the_tenants_default_language_comes_after_the_users_choice_and_before_the_browsers(
    web: TestClient,
) -> None:
    english = {"Accept-Language": "en-US,en;q=0.9"}
    sign_in(web, "boss")
    assert web.patch("/api/tenant", json={"default_language": "zh"}).status_code == 200
    web.cookies.clear()

    sign_in(web, "agent-gz")  # chose no language
    assert '<html lang="zh-CN">' in web.get("/agent", headers=english).text
    visitor = {"tenant": "national", "queue": "billing"}
    web.cookies.clear()
    assert '<html lang="zh-CN">' in web.get("/chat", params=visitor, headers=english).text  # the tenant's
    assert '<html lang="en">' in web.get("/login", headers=english).text  # no tenant yet: the browser's
    assert '<html lang="en">' in web.get("/chat", params={**visitor, "tenant": "nope"}, headers=english).text
    web.cookies.set("baiying_lang", "en")  # this browser's choice comes first
    assert '<html lang="en">' in web.get("/chat", params=visitor).text
    web.cookies.clear()

    sign_in(web, "sup-gz")
    assert web.patch("/api/me", json={"language": "en"}).status_code == 200
    web.cookies.delete("baiying_lang")
    assert '<html lang="en">' in web.get("/wallboard").text  # the account's choice comes first
    web.cookies.clear()

    sign_in(web, "boss")
    assert web.patch("/api/tenant", json={"default_language": None}).status_code == 200
    assert '<html lang="en">' in web.get("/wallboard", headers=english).text
    assert '<html lang="zh-CN">' in web.get("/wallboard", headers={"Accept-Language": "zh-CN"}).text


def test_the_agent_desktop_names_the_agent_their_codes_and_queues(web: TestClient) -> None:
    sign_in(web, "agent-gz")
    page = web.get("/agent")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    text = page.text
    assert f'"agent": "{GZ1}"' in text
    assert '<option value="resolved">Resolved</option>' in text
    assert '<option value="complaints">Complaints</option>' in text  # a queue to transfer to
    assert '<option value="lunch">Lunch</option>' in text  # an aux reason
    for slot in ("customer-360", "repeat-contact", "interactions", "reminders", "offers", "chat", "tickets"):
        assert f'data-panel="{slot}"' in text
    assert "/web/static/desktop.js" in text
    assert "/web/static/customer360.js" in text
    assert 'id="offer-customer"' in text
    assert web.get("/wallboard").status_code == 403


def test_the_wallboard_shows_a_supervisor_their_sites_only(web: TestClient) -> None:
    sign_in(web, "sup-gz")
    page = web.get("/wallboard")
    assert page.status_code == 200
    assert 'data-site="guangzhou"' in page.text
    assert 'data-site="beijing"' not in page.text
    assert 'class="danger evacuate" data-site="guangzhou"' in page.text
    assert '<script src="/web/vendor/chart.js">' in page.text
    forbidden = web.get("/agent")
    assert forbidden.status_code == 403
    assert "not linked to an agent" in forbidden.text


def test_the_wallboard_lists_live_agents_in_the_users_scope(web: TestClient) -> None:
    assert web.get("/wallboard/agents").json()["error"]["code"] == "unauthenticated"
    sign_in(web, "agent-gz")
    assert web.post(f"/api/agents/{GZ1}/login", json={"ready": True}).status_code == 200
    web.cookies.clear()
    sign_in(web, "boss")
    assert web.post("/api/agents/bj-tech-early-001/login", json={"ready": False}).status_code == 200
    everyone = {a["id"]: a for a in web.get("/wallboard/agents").json()}
    assert everyone[GZ1]["state"] == "ready"
    assert everyone[GZ1]["site"] == "guangzhou"
    assert everyone["bj-tech-early-001"]["state"] == "aux"
    assert everyone["bj-tech-early-001"]["reason"] == "login"
    assert all(a["can_force"] for a in everyone.values())
    web.cookies.clear()
    sign_in(web, "sup-gz")
    scoped = web.get("/wallboard/agents").json()
    assert [a["id"] for a in scoped] == [GZ1]


def test_static_files_and_the_reports_chart_js_are_served(web: TestClient) -> None:
    for name in ("common.js", "login.js", "desktop.js", "customer360.js", "wallboard.js", "app.css"):
        response = web.get(f"/web/static/{name}")
        assert response.status_code == 200, name
        assert response.content == (WEB / "static" / name).read_bytes()
    chart = web.get("/web/vendor/chart.js")
    assert chart.status_code == 200
    assert chart.headers["content-type"].startswith("text/javascript")
    assert chart.content == REPORTS_CHART.read_bytes()
    assert web.get("/web/static/nothing.js").status_code == 404


def test_the_intraday_chart_reads_todays_intervals(web: TestClient) -> None:
    sign_in(web, "boss")
    clock: ManualClock = web.app.state.baiying.clock  # type: ignore[attr-defined]
    assert web.get("/wallboard/intraday").json() == []
    for n in range(3):
        body = {"id": f"c{n}", "queue": "billing", "site": "guangzhou", "language": "yue"}
        assert web.post("/api/contacts", json=body).status_code == 201
        clock.advance(600)  # 10 minutes apart: the first two share a 15-minute interval
    points = web.get("/wallboard/intraday").json()
    assert [p["offered"] for p in points] == [2, 1]
    assert points[0]["start"] <= T0 < points[0]["start"] + 900
    assert points[1]["start"] == points[0]["start"] + 900
    assert all(p["service_level"] in (None, 0.0) for p in points)  # nobody answered
    web.cookies.clear()
    sign_in(web, "sup-gz")  # a site's supervisor reads no tenant-wide figures
    assert web.get("/wallboard/intraday").json()["error"]["code"] == "forbidden"
