"""Email in against a real server: an email becomes a contact in the email queue, a reply threads onto its
ticket, a redelivery makes no second contact or reply, a reply to a closed ticket becomes a contact naming
it, and while the server is down the sender is told to retry (451) so nothing is lost."""

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from baiying.channels.email_in import EmailIntake, start_listener
from baiying.channels.email_message import parse_email
from baiying.storage.engine import make_engine
from baiying.storage.tables import ContactRow
from tests.traffic.server import ADMIN, ServerProcess, free_port, log_in, one_queue_server, password

TENANT = "acme"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with one_queue_server(tmp_path, TENANT, "email") as process:
        yield process


def send(port: int, subject: str, body: str, message_id: str = "<m-1@example.cn>") -> None:
    message = EmailMessage()
    message["From"] = "王芳 <wang.fang@example.cn>"
    message["To"] = "service@acme.cn"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(message)


def test_an_email_becomes_one_contact_even_when_redelivered(server: ServerProcess) -> None:
    intake = EmailIntake(server.base, ADMIN, password(ADMIN), "email", "hq")
    port = free_port()
    controller, handler = start_listener(intake, "127.0.0.1", port)
    try:
        send(port, "宽带无法上网", "从昨天开始一直断线。")
        send(port, "宽带无法上网", "从昨天开始一直断线。")  # the sending server retried after a lost 250
    finally:
        controller.stop()
    contact_id = handler.taken[0].removeprefix("contact ")
    assert handler.taken == [f"contact {contact_id}"] * 2
    with httpx.Client(base_url=server.base, timeout=10) as client:
        contact = client.get(f"/api/contacts/{contact_id}", headers=log_in(client, ADMIN)).json()
    assert contact["queue"] == "email"
    engine = make_engine(server.url)
    with Session(engine) as session:
        [row] = session.scalars(select(ContactRow))
    engine.dispose()
    assert (row.id, row.channel) == (contact_id, "email")
    assert row.attributes["email"] == "wang.fang@example.cn"
    assert row.attributes["subject"] == "宽带无法上网"
    assert row.attributes["text"] == "从昨天开始一直断线。"


def test_a_reply_threads_onto_its_ticket_once_and_after_closure_becomes_a_contact(
    server: ServerProcess,
) -> None:
    with httpx.Client(base_url=server.base, timeout=10) as client:
        boss = log_in(client, ADMIN)
        ticket = {"type": "consultation", "subject": "宽带无法上网", "customer_id": "wang-fang"}
        created = client.post("/api/tickets", json=ticket, headers=boss)
        assert created.status_code == 201, created.text
        tid = created.json()["id"]
    intake = EmailIntake(server.base, ADMIN, password(ADMIN), "email", "hq")
    port = free_port()
    controller, handler = start_listener(intake, "127.0.0.1", port)
    reply = "还是断线，路由器灯一直闪。\n\n> 您好，请重启路由器。\n> Baiying 客服"
    try:
        send(port, f"Re: 宽带无法上网 [#{tid}]", reply, "<r-1@example.cn>")
        send(port, f"Re: 宽带无法上网 [#{tid}]", reply, "<r-1@example.cn>")  # redelivered after a lost 250
        with httpx.Client(base_url=server.base, timeout=10) as client:
            boss = log_in(client, ADMIN)
            comments = client.get(f"/api/tickets/{tid}/comments", headers=boss).json()
            for name, fields in (("resolve", {"resolution": "换了路由器"}), ("close", {})):
                moved = client.post(
                    f"/api/tickets/{tid}/transitions", json={"name": name, "fields": fields}, headers=boss
                )
                assert moved.status_code == 200, moved.text
        send(port, f"Re: 宽带无法上网 [#{tid}]", "又断了！", "<r-2@example.cn>")
    finally:
        controller.stop()
    assert [(c["kind"], c["data"]["body"]) for c in comments] == [("customer", "还是断线，路由器灯一直闪。")]
    contact_id = handler.taken[2].removeprefix("contact ")
    assert handler.taken == [f"reply on ticket {tid}"] * 2 + [f"contact {contact_id}"]
    engine = make_engine(server.url)
    with Session(engine) as session:
        row = session.get(ContactRow, (TENANT, contact_id))
        assert row is not None
        assert (row.attributes["ticket"], row.attributes["text"]) == (tid, "又断了！")
    engine.dispose()


def test_while_the_server_is_down_the_sender_is_told_to_retry() -> None:
    intake = EmailIntake(f"http://127.0.0.1:{free_port()}", ADMIN, "x", "email", timeout_seconds=2)
    port = free_port()
    controller, handler = start_listener(intake, "127.0.0.1", port)
    try:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(port, "hello", "anyone there?")
    finally:
        controller.stop()
    assert refused.value.smtp_code == 451
    assert handler.taken == []


def test_the_contact_id_comes_from_the_message_id() -> None:
    message = EmailMessage()
    message["From"] = "a@b.cn"
    message["Message-ID"] = "<m-1@example.cn>"
    message.set_content("x")
    assert parse_email(bytes(message)).contact_id.startswith("email-")


def test_the_cli_wants_the_password_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from baiying.cli import app

    monkeypatch.delenv("BAIYING_EMAIL_IN_PASSWORD", raising=False)
    result = CliRunner().invoke(app, ["email-in", "--queue", "email", "--login", "mailbot"])
    assert result.exit_code == 2
    assert "set BAIYING_EMAIL_IN_PASSWORD to the password of 'mailbot'" in result.output
