"""The agent desktop's working panels in a real browser (Debian's Chromium driven by Playwright, against a
real `baiying serve` on a seeded SQLite database, at 1366×768; the fixtures of test_browser.py):

- the issue's scenario end to end: an agent logs in and goes ready, a visitor starts a chat from /chat,
  the agent accepts and replies, sees the screen pop with suggested articles, searches the knowledge base
  (highlights built as nodes, the article's markup shown as text), opens an article, creates a complaint
  ticket (type, level, priority, summary), moves it along its workflow (only the transitions the agent's
  role may take from its state are offered, each asking for the fields it needs), adds an internal note
  and a reply the customer sees, and wraps up;
- a contact transferred to a named colleague rings at that colleague; in Chinese the new panels are Chinese;
- an email contact: the email in the thread, a reply that makes a ticket of it and leaves through the
  notification outbox with the ticket's tag, and the customer's answer threaded back.

Screenshots go to test-artifacts/web/."""

from typing import Any

import httpx
import pytest

from tests.traffic.server import ServerProcess
from tests.web import test_browser
from tests.web.test_browser import TENANT, VIEWPORT, WAIT_MS, fits, shot, sign_in

# The fixtures of test_browser.py: Chromium, a page at 1366×768, the server, the admin's API client.
browser = test_browser.browser
page = test_browser.page
server = test_browser.server
api = test_browser.api

ARTICLES = [
    {
        "id": "router-red",
        "title": "Router light blinks red",
        "body": "When the router light blinks red the line is down.\nRestart the router: unplug it for ten "
        "seconds. Write <b>restart</b> in the ticket if it helps.",
        "visibility": "agent",
    },
    {
        "id": "invoice-copy",
        "title": "Sending a copy of an invoice",
        "body": "Invoices are in the customer portal; we email a copy on request.",
        "visibility": "public",
    },
    # More articles, so that the words above are rare enough to suggest by.
    {
        "id": "plan-change",
        "title": "Changing the mobile plan",
        "body": "Plans change on the first of the month.",
    },
    {
        "id": "bank-transfer",
        "title": "Paying by bank transfer",
        "body": "Give the account number as reference.",
    },
    {"id": "moving-house", "title": "Moving house", "body": "Broadband moves with you; book a visit."},
    {"id": "broadband-zh", "title": "宽带无法上网怎么办", "body": "请先检查光猫指示灯，再重启光猫。"},
]


@pytest.fixture(scope="module")
def knowledge(server: ServerProcess) -> None:
    """The tenant's knowledge base, published (once per server)."""
    from tests.traffic.server import log_in

    with httpx.Client(base_url=server.base, timeout=10.0) as client:
        admin = log_in(client, "boss")
        for article in ARTICLES:
            created = client.post("/api/kb/articles", json=article, headers=admin)
            assert created.status_code == 201, created.text
            published = client.post(f"/api/kb/articles/{article['id']}/publish", headers=admin)
            assert published.status_code == 200, published.text


def ready(page: Any, server: ServerProcess, login: str = "agent-001") -> None:
    from playwright.sync_api import expect

    sign_in(page, server, login)
    page.wait_for_url("**/agent")
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    page.click("#btn-login")
    expect(page.locator("#agent-state")).to_have_text("Ready")


def test_an_agent_serves_a_chat_with_the_knowledge_base_and_a_complaint_ticket(
    browser: Any, page: Any, server: ServerProcess, api: httpx.Client, knowledge: None
) -> None:
    from playwright.sync_api import expect

    capacity = {"capacity": {"voice": 1, "chat": 1, "email": 1}}
    assert api.patch("/api/agents/agent-001", json=capacity).status_code == 200
    customer = {
        "id": "li-lei",
        "display_name": "Li Lei",
        "site": "hq",
        "tier": "gold",
        "contact_points": [{"kind": "email", "value": "li.lei@example.com"}],
    }
    assert api.post("/api/customers", json=customer).status_code == 201
    ready(page, server)

    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(WAIT_MS)
    visitor = context.new_page()
    errors: list[str] = []
    visitor.on("pageerror", lambda error: errors.append(str(error)))
    try:
        visitor.goto(server.base + f"/chat?tenant={TENANT}&queue=support")
        visitor.fill("#chat-name", "Li Lei")
        visitor.fill("#chat-email", "li.lei@example.com")
        visitor.fill("#chat-first", "The router light blinks red since this morning")
        visitor.click("#chat-start-button")
        expect(visitor.locator("#chat-room")).to_be_visible()
        chat_id = visitor.locator("#chat-room").get_attribute("data-conversation")

        expect(page.locator("#offer")).to_be_visible()
        page.click("#btn-accept")
        expect(page.locator('[data-panel="customer-360"] .customer-name')).to_have_text("Li Lei")
        page.fill("#agent-chat-text", "Sorry to hear that, let me check.")
        page.press("#agent-chat-text", "Enter")
        expect(visitor.locator("#chat-log .msg.agent .text")).to_have_text(
            "Sorry to hear that, let me check."
        )

        # Suggested from what the visitor wrote.
        suggested = page.locator('[data-panel="kb-suggestions"]')
        expect(suggested.locator('li[data-article="router-red"]')).to_have_text("Router light blinks red")

        # The search: highlights are nodes; the article's markup stays text.
        page.fill("#kb-query", "router restart")
        page.click("#kb-search-button")
        result = page.locator('#kb-results li[data-article="router-red"]')
        expect(result.locator(".kb-open")).to_have_text("Router light blinks red")
        expect(result.locator(".kb-open mark")).to_have_text(["Router"])
        expect(result.locator(".kb-snippet mark").first).to_have_text("router")
        expect(page.locator("#kb-status")).to_have_text("Articles found: 1")
        assert result.locator(".kb-snippet b").count() == 0
        assert "<b>restart</b>" in result.locator(".kb-snippet").inner_text()
        fits(page)
        shot(page, "desk-kb-results")
        result.locator(".kb-open").click()
        expect(page.locator("#kb-article-title")).to_have_text("Router light blinks red")
        expect(page.locator("#kb-article-body")).to_contain_text("Write <b>restart</b> in the ticket")
        assert page.locator("#kb-article-body b").count() == 0
        page.click("#kb-back")
        expect(result).to_be_visible()
        page.fill("#kb-query", "the")
        page.click("#kb-search-button")
        expect(page.locator("#kb-status")).to_contain_text("Give a word to search for")

        # A complaint ticket for the customer.
        tickets = page.locator('[data-panel="tickets"]')
        expect(tickets.locator("h3")).to_have_text("Tickets of Li Lei")
        expect(tickets.locator(".ticket-list-status")).to_have_text("No open ticket.")
        tickets.locator(".ticket-new summary").click()
        expect(tickets.locator(".ticket-type option")).to_have_count(4)
        expect(tickets.locator(".ticket-level-label")).to_be_hidden()  # a consultation has no level
        tickets.locator(".ticket-type").select_option("complaint")
        expect(tickets.locator(".ticket-level-label")).to_be_visible()
        tickets.locator(".ticket-level").select_option("2")
        tickets.locator(".ticket-priority").select_option("high")
        tickets.locator(".ticket-subject").fill("Router down, second time this week")
        tickets.locator(".ticket-description").fill("Light blinks red; restarting did not help.")
        shot(page, "desk-ticket-new")
        tickets.locator(".ticket-create").click()
        detail = tickets.locator(".ticket-detail")
        expect(detail.locator(".ticket-state")).to_have_text("Recorded")
        expect(detail.locator(".ticket-state")).to_have_attribute("data-state", "recorded")
        ticket_id = detail.get_attribute("data-ticket")
        assert ticket_id
        expect(tickets.locator(f'.ticket-list li[data-ticket="{ticket_id}"]')).to_be_visible()
        offered = api_transitions(server, ticket_id)
        assert offered == ["resolve", "escalate", "escalate-to-manager", "wait"]
        expect(detail.locator(".ticket-transitions button")).to_have_count(len(offered))
        shown = detail.locator(".ticket-transitions button").evaluate_all(
            "buttons => buttons.map(b => b.dataset.transition)"
        )
        assert shown == offered
        fits(page)
        shot(page, "desk-ticket-open")

        # "wait" asks for its reason (a choice); afterwards only "resume" is possible.
        detail.locator('button[data-transition="wait"]').click()
        reason = detail.locator('.ticket-transition-form select[data-field="waiting_reason"]')
        expect(reason.locator("option")).to_have_text(["The customer", "A third party"])
        reason.select_option("third-party")
        detail.locator(".ticket-transition-form button[type=submit]").click()
        expect(detail.locator(".ticket-state")).to_have_attribute("data-state", "waiting")
        expect(detail.locator(".ticket-transitions button")).to_have_text(["Resume → Recorded"])
        # "resolve" needs a resolution: the form asks for it, and the server refuses an empty one.
        detail.locator('button[data-transition="resume"]').click()
        expect(detail.locator(".ticket-state")).to_have_attribute("data-state", "recorded")
        detail.locator('button[data-transition="resolve"]').click()
        expect(detail.locator('.ticket-transition-form textarea[data-field="resolution"]')).to_be_visible()
        detail.locator(".ticket-transition-form button", has_text="Cancel").click()
        expect(detail.locator(".ticket-transition-form")).to_be_hidden()

        # An internal note, then a reply the customer sees.
        detail.locator(".ticket-comment-text").fill("Line test booked with the exchange.")
        detail.locator(".ticket-comment-form button[type=submit]").click()
        expect(detail.locator(".ticket-comments li.note .text")).to_have_text(
            "Line test booked with the exchange."
        )
        detail.locator(".ticket-comment-text").fill("We are testing your line today.")
        detail.locator(".comment-kinds input[value=reply]").check()
        detail.locator(".ticket-comment-form button[type=submit]").click()
        expect(detail.locator(".ticket-comments li.reply .text")).to_have_text(
            "We are testing your line today."
        )
        shot(page, "desk-ticket-comments")

        # 中文: the panel in Chinese, still on the same contact and ticket.
        page.click("a[data-lang=zh]")
        expect(tickets.locator("h3")).to_have_text("Li Lei 的工单")
        tickets.locator(f'.ticket-list li[data-ticket="{ticket_id}"] .ticket-open').click()
        expect(detail.locator(".ticket-state")).to_have_text("已受理")
        expect(detail.locator('button[data-transition="wait"]')).to_have_text("挂起等待（转为 等待中）")
        expect(detail.locator(".ticket-comments li.note .who")).to_contain_text("内部备注")
        expect(page.locator('[data-panel="kb-suggestions"] h3')).to_have_text("推荐文章")
        fits(page)
        shot(page, "desk-ticket-zh")
        page.click("a[data-lang=en]")
        expect(tickets.locator("h3")).to_have_text("Tickets of Li Lei")

        page.select_option("#wrap-up-code", "resolved")
        page.fill("#notes", "Complaint recorded, line test booked.")
        page.click("#btn-complete")
        expect(page.locator("#agent-state")).to_have_text("Wrap-up")
        page.click("#btn-end-wrap-up")
        expect(page.locator("#pop-none")).to_be_visible()
        page.click("#btn-logout")
        expect(page.locator("#agent-state")).to_have_text("Logged out")
    finally:
        context.close()
    assert errors == [], errors

    ticket = api.get(f"/api/tickets/{ticket_id}").json()
    assert (ticket["type"], ticket["level"], ticket["priority"], ticket["customer_id"]) == (
        "complaint",
        2,
        "high",
        "li-lei",
    )
    assert ticket["subject"] == "Router down, second time this week"
    assert ticket["fields"]["waiting_reason"] == "third-party"
    said = api.get(f"/api/tickets/{ticket_id}/comments").json()
    assert [(c["kind"], c["data"]["body"]) for c in said] == [
        ("note", "Line test booked with the exchange."),
        ("reply", "We are testing your line today."),
    ]
    visible = api.get(f"/api/tickets/{ticket_id}/comments", params={"customer_visible": True}).json()
    assert [c["kind"] for c in visible] == ["reply"]
    assert api.get(f"/api/contacts/{chat_id}").json()["phase"] == "completed"


def api_transitions(server: ServerProcess, ticket_id: str) -> list[str]:
    """What the server lets agent-001 do with the ticket now."""
    from tests.traffic.server import log_in

    with httpx.Client(base_url=server.base, timeout=10.0) as client:
        agent = log_in(client, "agent-001")
        response = client.get(f"/api/tickets/{ticket_id}/transitions", headers=agent)
        assert response.status_code == 200, response.text
        return [t["name"] for t in response.json()]


def test_an_agent_transfers_a_contact_to_a_named_colleague(
    page: Any, server: ServerProcess, api: httpx.Client, knowledge: None
) -> None:
    from playwright.sync_api import expect

    ready(page, server)
    contact = {"queue": "support", "site": "hq", "attributes": {"caller_number": "+8613600136000"}}
    contact_id = api.post("/api/contacts", json=contact).json()["id"]
    expect(page.locator("#offer")).to_be_visible()
    page.click("#btn-accept")
    expect(page.locator("#pop-caller")).to_have_text("+8613600136000")
    expect(page.locator("#transfer-agent option")).to_have_count(2)  # "no" and agent-002 (not oneself)
    page.select_option("#transfer-agent", "agent-002")
    page.click("#btn-transfer")  # agent-002 is not logged in: refused, the contact stays
    expect(page.locator("#desktop-error")).to_contain_text("agent-002 is not logged in")
    expect(page.locator("#pop-phase")).to_have_text("In progress")
    assert api.get(f"/api/contacts/{contact_id}").json()["agent"] == "agent-001"
    assert api.post("/api/agents/agent-002/login", json={"ready": True}).status_code == 200
    fits(page)
    shot(page, "desk-transfer-to-agent")
    page.click("#btn-transfer")
    expect(page.locator("#pop-phase")).to_have_text("Wrap-up")
    found = api.get(f"/api/contacts/{contact_id}").json()
    assert (found["agent"], found["phase"]) == ("agent-002", "offered")
    page.click("#btn-end-wrap-up")

    # Highlights count characters as the server does (code points), and a range that makes no sense is
    # left unmarked rather than trusted.
    built = page.evaluate(
        """() => {
            const box = document.createElement("p");
            box.append(Baiying.desktop.kb.marked("😀 router <i>x</i>", [[2, 8], [1, 3], [9, 99]]));
            return [box.innerHTML, box.querySelectorAll("i").length];
        }"""
    )
    assert built == ["😀 <mark>router</mark> &lt;i&gt;x&lt;/i&gt;", 0]

    # 中文: the new panels speak Chinese.
    page.click("a[data-lang=zh]")
    expect(page.locator("#kb-card h2")).to_have_text("知识库")
    expect(page.locator("#kb-search-button")).to_have_text("搜索")
    page.fill("#kb-query", "发票")
    page.click("#kb-search-button")
    expect(page.locator("#kb-status")).to_have_text("没有找到与“发票”相关的文章。")
    fits(page)
    shot(page, "desk-zh")
    assert api.post(f"/api/contacts/{contact_id}/cancel").status_code == 200
    assert api.post("/api/agents/agent-002/logout").status_code == 200
    page.click("#btn-logout")
    expect(page.locator("#agent-state")).to_have_text("已登出")


def test_an_agent_answers_an_email_and_the_customer_answer_threads_back(
    page: Any, server: ServerProcess, api: httpx.Client, knowledge: None
) -> None:
    from playwright.sync_api import expect

    capacity = {"capacity": {"voice": 1, "chat": 1, "email": 1}}
    assert api.patch("/api/agents/agent-001", json=capacity).status_code == 200
    ready(page, server)
    email = {
        "id": "email-test-1",
        "queue": "support",
        "site": "hq",
        "channel": "email",
        "attributes": {
            "email": "han.mei@example.com",
            "name": "Han Mei",
            "subject": "Invoice copy please",
            "text": "Could you send me a copy of my <b>October</b> invoice?",
            "message_id": "<m1@example.com>",
        },
    }
    created = api.post("/api/contacts", json=email)
    assert created.status_code == 201, created.text
    expect(page.locator("#offer")).to_be_visible()
    page.click("#btn-accept")
    panel = page.locator('[data-panel="email"]')
    expect(panel.locator("h3")).to_have_text("Email from Han Mei <han.mei@example.com>")
    first = panel.locator(".email-message").first
    expect(first.locator(".email-subject")).to_have_text("Invoice copy please")
    expect(first.locator(".text")).to_have_text("Could you send me a copy of my <b>October</b> invoice?")
    assert panel.locator(".email-thread b").count() == 0
    expect(page.locator('[data-panel="kb-suggestions"] li[data-article="invoice-copy"]')).to_be_visible()
    expect(panel.locator("#email-ticket")).to_have_value("")

    page.fill("#email-reply-text", "Here it is, attached.")
    page.click("#email-reply-send")
    expect(panel.locator(".email-status")).to_contain_text("Reply to han.mei@example.com queued on ticket")
    expect(panel.locator(".email-message.reply .text")).to_have_text("Here it is, attached.")
    ticket_id = panel.locator("#email-ticket").input_value()
    assert ticket_id
    ticket = api.get(f"/api/tickets/{ticket_id}").json()
    assert (ticket["type"], ticket["subject"]) == ("consultation", "Invoice copy please")
    outbox = api.get("/api/notifications", params={"channel": "email"}).json()
    sent = [n for n in outbox if n["cause"].startswith(f"ticket-reply:{ticket_id}:")]
    assert [(n["recipient"], n["subject"], n["body"]) for n in sent] == [
        ("han.mei@example.com", f"Re: Invoice copy please [#{ticket_id}]", "Here it is, attached.")
    ]

    # The customer answers (email-in records it on the ticket): it shows in the thread.
    answer = {"kind": "customer", "body": "Thanks, got it!"}
    assert api.post(f"/api/tickets/{ticket_id}/comments", json=answer).status_code == 201
    expect(panel.locator(".email-message.customer .text").last).to_have_text("Thanks, got it!")
    fits(page)
    shot(page, "desk-email-thread")
    page.reload()  # the thread keeps following the ticket
    expect(panel.locator("#email-ticket")).to_have_value(ticket_id)
    expect(panel.locator(".email-message")).to_have_count(3)
    page.click("#btn-complete")
    page.click("#btn-end-wrap-up")
    expect(page.locator("#pop-none")).to_be_visible()
    page.click("#btn-logout")
    expect(page.locator("#agent-state")).to_have_text("Logged out")
    assert api.get(f"/api/contacts/{created.json()['id']}").json()["phase"] == "completed"


def test_a_reply_in_the_tickets_panel_of_an_email_contact_is_emailed(
    page: Any, server: ServerProcess, api: httpx.Client
) -> None:
    from playwright.sync_api import expect

    capacity = {"capacity": {"voice": 1, "chat": 1, "email": 1}}
    assert api.patch("/api/agents/agent-001", json=capacity).status_code == 200
    customer = {
        "id": "zhao-lei",
        "display_name": "Zhao Lei",
        "site": "hq",
        "contact_points": [
            {"kind": "email", "value": "zhao.lei@work.example.com"},
            {"kind": "email", "value": "zhao.lei@example.com"},
            {"kind": "phone", "value": "13700137000"},
        ],
    }
    assert api.post("/api/customers", json=customer).status_code == 201
    ready(page, server)
    email = {
        "id": "email-test-2",
        "queue": "support",
        "site": "hq",
        "channel": "email",
        "attributes": {
            "email": "zhao.lei@example.com",
            "name": "Zhao Lei",
            "subject": "Broadband keeps dropping",
            "text": "The line drops every evening.",
        },
    }
    created = api.post("/api/contacts", json=email)
    assert created.status_code == 201, created.text
    expect(page.locator("#offer")).to_be_visible()
    page.click("#btn-accept")

    tickets = page.locator('[data-panel="tickets"]')
    tickets.locator(".ticket-new summary").click()
    tickets.locator(".ticket-type").select_option("consultation")
    tickets.locator(".ticket-subject").fill("Broadband keeps dropping")
    tickets.locator(".ticket-create").click()
    detail = tickets.locator(".ticket-detail")
    expect(detail.locator(".ticket-state")).to_have_attribute("data-state", "recorded")
    ticket_id = detail.get_attribute("data-ticket")
    assert ticket_id

    # An internal note stays on the ticket; a reply is emailed to the sender.
    detail.locator(".ticket-comment-text").fill("Checked the line: noisy in the evening.")
    detail.locator(".ticket-comment-form button[type=submit]").click()
    expect(detail.locator(".ticket-comments li.note .text")).to_have_text(
        "Checked the line: noisy in the evening."
    )
    reply = detail.locator(".comment-kinds label", has_text="Reply by email")
    expect(reply).to_be_visible()
    reply.locator("input").check()
    detail.locator(".ticket-comment-text").fill("An engineer will call you tomorrow morning.")
    detail.locator(".ticket-comment-form button[type=submit]").click()
    expect(detail.locator(".ticket-comment-status")).to_have_text(
        f"Reply to zhao.lei@example.com queued on ticket {ticket_id}."
    )
    expect(detail.locator(".ticket-comments li.reply .text")).to_have_text(
        "An engineer will call you tomorrow morning."
    )
    outbox = api.get("/api/notifications", params={"channel": "email"}).json()
    sent = [n for n in outbox if n["cause"].startswith(f"ticket-reply:{ticket_id}:")]
    assert [(n["recipient"], n["subject"], n["body"]) for n in sent] == [
        (
            "zhao.lei@example.com",
            f"Re: Broadband keeps dropping [#{ticket_id}]",
            "An engineer will call you tomorrow morning.",
        )
    ]  # the note was not sent
    fits(page)
    shot(page, "desk-ticket-email-reply")

    page.click("#btn-complete")
    page.click("#btn-end-wrap-up")
    expect(page.locator("#pop-none")).to_be_visible()

    # He calls the next day: on the call, a reply on the ticket he emailed about goes to his address too
    # (the one he wrote from, not the work address listed first on his record).
    call = {"id": "call-zhao-1", "queue": "support", "site": "hq", "attributes": {"phone": "13700137000"}}
    assert api.post("/api/contacts", json=call).status_code == 201
    expect(page.locator("#offer")).to_be_visible()
    page.click("#btn-accept")
    expect(tickets.locator("h3")).to_have_text("Tickets of Zhao Lei")
    tickets.locator(f'.ticket-list li[data-ticket="{ticket_id}"] .ticket-open').click()
    expect(detail.locator(".comment-kinds label", has_text="Reply by email")).to_have_count(0)  # a call
    detail.locator(".comment-kinds input[value=reply]").check()
    detail.locator(".ticket-comment-text").fill("As promised on the phone: the engineer comes at 9.")
    detail.locator(".ticket-comment-form button[type=submit]").click()
    expect(detail.locator(".ticket-comment-status")).to_have_text(
        f"Reply to zhao.lei@example.com queued on ticket {ticket_id}."
    )
    expect(detail.locator(".ticket-comments li.reply .text")).to_have_text(
        ["An engineer will call you tomorrow morning.", "As promised on the phone: the engineer comes at 9."]
    )
    outbox = api.get("/api/notifications", params={"channel": "email"}).json()
    sent = [n for n in outbox if n["cause"].startswith(f"ticket-reply:{ticket_id}:")]
    assert sorted((n["recipient"], n["body"]) for n in sent) == [
        ("zhao.lei@example.com", "An engineer will call you tomorrow morning."),
        ("zhao.lei@example.com", "As promised on the phone: the engineer comes at 9."),
    ]
    shot(page, "desk-ticket-reply-on-a-call")
    page.click("#btn-complete")
    page.click("#btn-end-wrap-up")
    expect(page.locator("#pop-none")).to_be_visible()
    page.click("#btn-logout")
    expect(page.locator("#agent-state")).to_have_text("Logged out")
