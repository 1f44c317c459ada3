"""The knowledge base through HTTP, on SQLite and PostgreSQL: editors write and publish, every role
searches; Chinese and English queries; channels; versions; suggestions; precise errors."""

from typing import Any

import pytest

from tests.api.conftest import TestClient, error_of, log_in
from tests.knowledge.conftest import CATEGORIES, CORPUS, TAGS


def _publish_corpus(client: TestClient, admin: dict[str, str]) -> None:
    for category, name in CATEGORIES:
        assert (
            client.post("/api/kb/categories", json={"id": category, "name": name}, headers=admin).status_code
            == 201
        )
    for tag, label in TAGS:
        assert client.post("/api/kb/tags", json={"id": tag, "label": label}, headers=admin).status_code == 201
    for article_id, title, body, category, tags, visibility in CORPUS:
        created = client.post(
            "/api/kb/articles",
            json={
                "id": article_id,
                "title": title,
                "body": body,
                "category_id": category,
                "tags": list(tags),
                "visibility": visibility.value,
            },
            headers=admin,
        )
        assert created.status_code == 201, created.text
        assert client.post(f"/api/kb/articles/{article_id}/publish", headers=admin).status_code == 200


@pytest.fixture
def admin(client: TestClient) -> dict[str, str]:
    headers = log_in(client, "wang")
    _publish_corpus(client, headers)
    return headers


def search(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = client.get("/api/kb/search", params=params, headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def ids(found: dict[str, Any]) -> list[str]:
    return [r["article_id"] for r in found["results"]]


def test_a_chinese_query_finds_the_broadband_article_with_highlights(
    client: TestClient, admin: dict[str, str]
) -> None:
    agent = log_in(client, "lina")
    found = search(client, agent, q="宽带 故障", channel="public")
    assert found["terms"] == ["宽带", "故障"]
    first = found["results"][0]
    assert first["article_id"] == "broadband-down"
    assert first["title_html"] == "<mark>宽带</mark>无法上网怎么办"
    assert "<mark>宽带</mark>无法上网时" in first["snippet_html"]
    assert "<mark>故障</mark>" in first["snippet_html"]
    assert first["visibility"] == "public"
    assert "outage-escalation" not in ids(found)  # agent-only: not on the public channel
    assert "outage-escalation" in ids(search(client, agent, q="宽带 故障", channel="agent"))


def test_an_english_query_and_a_category_filter(client: TestClient, admin: dict[str, str]) -> None:
    found = search(client, admin, q="reset Routers", channel="public")
    assert ids(found) == ["router-reset"]
    assert found["results"][0]["title_html"] == "How to <mark>reset</mark> your <mark>router</mark>"
    assert ids(search(client, admin, q="宽带 套餐", category="mobile")) == ["plan-change"]


def test_highlighting_escapes_html_in_articles(client: TestClient, admin: dict[str, str]) -> None:
    body = {
        "id": "xss",
        "title": "<b>Modem</b> lights",
        "body": "<script>modem()</script>",
        "visibility": "public",
    }
    assert client.post("/api/kb/articles", json=body, headers=admin).status_code == 201
    client.post("/api/kb/articles/xss/publish", headers=admin)
    result = search(client, admin, q="modem")["results"][0]
    assert result["title_html"] == "&lt;b&gt;<mark>Modem</mark>&lt;/b&gt; lights"
    assert result["snippet_html"] == "&lt;script&gt;<mark>modem</mark>()&lt;/script&gt;"
    # The same, as plain text with the ranges to mark (what the agent desktop builds its nodes from).
    assert (result["title"], result["title_marks"]) == ("<b>Modem</b> lights", [[3, 8]])
    assert (result["snippet"], result["snippet_marks"]) == ("<script>modem()</script>", [[8, 13]])


def test_edits_make_versions_and_only_publishing_changes_what_is_found(
    client: TestClient, admin: dict[str, str]
) -> None:
    supervisor = log_in(client, "chen")
    edited = client.patch(
        "/api/kb/articles/plan-change", json={"title": "手机套餐与流量包变更"}, headers=supervisor
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["latest_version"], body["published_version"], body["shown_version"]) == (2, 1, 2)
    assert body["body"] == "套餐变更次月生效，可通过营业厅或客服热线办理。"  # kept from version 1
    assert search(client, admin, q="流量包")["results"] == []

    published = client.post("/api/kb/articles/plan-change/publish", headers=supervisor)
    assert published.json()["published_version"] == 2
    assert ids(search(client, admin, q="流量包")) == ["plan-change"]

    versions = client.get("/api/kb/articles/plan-change/versions", headers=admin).json()
    assert [(v["version"], v["title"], v["author"]) for v in versions] == [
        (1, "手机套餐变更", "wang"),
        (2, "手机套餐与流量包变更", "chen"),
    ]
    rolled_back = client.post("/api/kb/articles/plan-change/publish", json={"version": 1}, headers=admin)
    assert rolled_back.json()["title"] == "手机套餐变更"
    assert search(client, admin, q="流量包")["results"] == []

    archived = client.post("/api/kb/articles/plan-change/archive", headers=admin)
    assert archived.json()["state"] == "archived"
    assert "plan-change" not in ids(search(client, admin, q="套餐"))
    audit = client.get(
        "/api/audit", params={"entity": "knowledge-article", "entity_id": "plan-change"}, headers=admin
    )
    assert audit.status_code == 200, audit.text
    assert sorted(e["action"] for e in audit.json()) == sorted(
        ["create", "publish", "edit", "publish", "publish", "archive"]
    )


def test_agents_read_published_articles_only_and_may_not_edit(
    client: TestClient, admin: dict[str, str]
) -> None:
    agent = log_in(client, "lina")
    client.post("/api/kb/articles", json={"id": "secret-draft", "title": "草稿"}, headers=admin)
    listed = client.get("/api/kb/articles", headers=agent).json()
    assert [a["id"] for a in listed] == sorted(a[0] for a in CORPUS)
    assert all(a["state"] == "published" for a in listed)
    assert error_of(client.get("/api/kb/articles/secret-draft", headers=agent)) == (
        404,
        "not-found",
        "no knowledge article 'secret-draft'",
    )
    assert client.get("/api/kb/articles/secret-draft", headers=admin).json()["state"] == "draft"
    assert error_of(client.post("/api/kb/articles", json={"id": "x", "title": "X"}, headers=agent)) == (
        403,
        "forbidden",
        "user 'lina' may not change the knowledge base (admins and supervisors do)",
    )
    assert error_of(client.post("/api/kb/articles/router-reset/archive", headers=agent))[0] == 403
    assert error_of(client.get("/api/kb/articles/router-reset/versions", headers=agent))[0] == 403
    assert error_of(client.get("/api/kb/articles", params={"state": "draft"}, headers=agent))[0] == 403
    assert client.get("/api/kb/categories", headers=agent).status_code == 200
    assert error_of(client.delete("/api/kb/tags/broadband", headers=agent))[0] == 403
    assert client.get("/api/kb/search", params={"q": "宽带"}).status_code == 401


def test_suggestions_for_a_ticket_text(client: TestClient, admin: dict[str, str]) -> None:
    agent = log_in(client, "lina")
    ticket = "客户来电：家里宽带从昨晚开始上不了网，光猫上的LOS灯一直闪红灯，已经重启过两次。"
    response = client.post("/api/kb/suggest", json={"text": ticket, "limit": 3}, headers=agent)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["results"][0]["article_id"] == "broadband-down"
    assert "光猫" in body["terms"]
    assert len(body["results"]) <= 3
    english = client.post(
        "/api/kb/suggest",
        json={"text": "Customer asks how to reset the router to factory settings"},
        headers=agent,
    ).json()
    assert ids(english)[0] == "router-reset"
    nothing = client.post("/api/kb/suggest", json={"text": "你好"}, headers=agent).json()
    assert nothing == {"query": "你好", "terms": [], "channel": "agent", "results": []}


def test_errors_are_precise(client: TestClient, admin: dict[str, str]) -> None:
    assert error_of(client.get("/api/kb/search", params={"q": "的 the"}, headers=admin)) == (
        422,
        "empty-search-query",
        "the query '的 the' has no searchable term (only stop words or punctuation)",
    )
    status, code, message = error_of(client.get("/api/kb/search", params={"q": "x" * 201}, headers=admin))
    assert (status, code) == (422, "invalid-request")
    assert message.startswith("query.q:")
    assert error_of(client.get("/api/kb/search", params={"q": "x", "channel": "web"}, headers=admin))[:2] == (
        422,
        "invalid-request",
    )
    bad_category = {"id": "y", "title": "Y", "category_id": "nope"}
    assert error_of(client.post("/api/kb/articles", json=bad_category, headers=admin)) == (
        422,
        "invalid-article",
        "no knowledge category 'nope'",
    )
    assert error_of(
        client.post("/api/kb/articles", json={"id": "z", "title": "Z", "tags": ["a", "a"]}, headers=admin)
    ) == (
        422,
        "invalid-article",
        "tag 'a' is given twice",
    )
    duplicate = {"id": "router-reset", "title": "Again"}
    assert error_of(client.post("/api/kb/articles", json=duplicate, headers=admin)) == (
        409,
        "conflict",
        "knowledge article 'router-reset' already exists",
    )
    assert error_of(
        client.post("/api/kb/articles/router-reset/publish", json={"version": 5}, headers=admin)
    ) == (
        404,
        "unknown-article-version",
        "article 'router-reset' has versions 1 to 1, not 5",
    )
    assert error_of(client.post("/api/kb/articles/router-reset/publish", headers=admin)) == (
        409,
        "invalid-transition",
        "version 1 of article 'router-reset' is already published",
    )
    assert error_of(client.patch("/api/kb/articles/router-reset", json={"title": None}, headers=admin))[
        :2
    ] == (
        422,
        "invalid-request",
    )
    assert error_of(client.delete("/api/kb/tags/broadband", headers=admin)) == (
        409,
        "conflict",
        "knowledge tag 'broadband' is still in use",
    )
    assert error_of(client.get("/api/kb/articles/nope", headers=admin)) == (
        404,
        "not-found",
        "no knowledge article 'nope'",
    )


def test_tenants_see_only_their_own_knowledge_base(client: TestClient, admin: dict[str, str]) -> None:
    smith = log_in(client, "smith")
    assert search(client, smith, q="宽带")["results"] == []
    assert client.get("/api/kb/articles", headers=smith).json() == []
    assert error_of(client.get("/api/kb/articles/router-reset", headers=smith))[0] == 404


# Every knowledge-base endpoint with the status each role gets on the published corpus: editors
# (wang, admin; chen, supervisor) and an agent (lina). Calls run in order, so creations come first.
ROLE_MATRIX: list[tuple[str, str, dict[str, Any] | None, tuple[int, int, int]]] = [
    ("GET", "/api/kb/categories", None, (200, 200, 200)),
    ("POST", "/api/kb/categories", {"id": "tv-{who}", "name": "TV"}, (201, 201, 403)),
    ("GET", "/api/kb/categories/broadband", None, (200, 200, 200)),
    ("PATCH", "/api/kb/categories/tv-{who}", {"name": "电视"}, (200, 200, 403)),
    ("DELETE", "/api/kb/categories/tv-{who}", None, (204, 204, 403)),
    ("GET", "/api/kb/tags", None, (200, 200, 200)),
    ("POST", "/api/kb/tags", {"id": "tv-{who}", "label": "TV"}, (201, 201, 403)),
    ("PATCH", "/api/kb/tags/tv-{who}", {"label": "电视"}, (200, 200, 403)),
    ("DELETE", "/api/kb/tags/tv-{who}", None, (204, 204, 403)),
    ("GET", "/api/kb/articles", None, (200, 200, 200)),
    ("POST", "/api/kb/articles", {"id": "new-{who}", "title": "New"}, (201, 201, 403)),
    ("GET", "/api/kb/articles/router-reset", None, (200, 200, 200)),
    ("PATCH", "/api/kb/articles/new-{who}", {"body": "text"}, (200, 200, 403)),
    ("POST", "/api/kb/articles/new-{who}/publish", None, (200, 200, 403)),
    ("POST", "/api/kb/articles/new-{who}/archive", None, (200, 200, 403)),
    ("GET", "/api/kb/articles/router-reset/versions", None, (200, 200, 403)),
    ("GET", "/api/kb/articles/router-reset/versions/1", None, (200, 200, 403)),
    ("GET", "/api/kb/search?q=router", None, (200, 200, 200)),
    ("POST", "/api/kb/suggest", {"text": "router reset"}, (200, 200, 200)),
]
KB_ROUTES = frozenset(
    {
        ("GET", "/api/kb/categories"),
        ("POST", "/api/kb/categories"),
        ("GET", "/api/kb/categories/{category_id}"),
        ("PATCH", "/api/kb/categories/{category_id}"),
        ("DELETE", "/api/kb/categories/{category_id}"),
        ("GET", "/api/kb/tags"),
        ("POST", "/api/kb/tags"),
        ("PATCH", "/api/kb/tags/{tag_id}"),
        ("DELETE", "/api/kb/tags/{tag_id}"),
        ("GET", "/api/kb/articles"),
        ("POST", "/api/kb/articles"),
        ("GET", "/api/kb/articles/{article_id}"),
        ("PATCH", "/api/kb/articles/{article_id}"),
        ("POST", "/api/kb/articles/{article_id}/publish"),
        ("POST", "/api/kb/articles/{article_id}/archive"),
        ("GET", "/api/kb/articles/{article_id}/versions"),
        ("GET", "/api/kb/articles/{article_id}/versions/{version}"),
        ("GET", "/api/kb/search"),
        ("POST", "/api/kb/suggest"),
    }
)


def test_every_endpoint_checks_roles(client: TestClient, admin: dict[str, str]) -> None:
    users = {"wang": admin, "chen": log_in(client, "chen"), "lina": log_in(client, "lina")}
    for method, path, body, expected in ROLE_MATRIX:
        for who, status in zip(users, expected, strict=True):
            url = path.replace("{who}", who)
            sent = None if body is None else {k: v.replace("{who}", who) for k, v in body.items()}
            response = client.request(method, url, json=sent, headers=users[who])
            assert response.status_code == status, (method, url, who, response.text)


def test_the_matrix_covers_every_knowledge_base_route(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    found = {(m.upper(), p) for p, ops in paths.items() if p.startswith("/api/kb/") for m in ops}
    assert found == KB_ROUTES
    templates = {(m, p.split("?")[0]) for m, p, _, _ in ROLE_MATRIX}
    assert len(templates) == len(KB_ROUTES)
