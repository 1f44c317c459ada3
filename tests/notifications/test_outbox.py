"""The outbox on SQLite and PostgreSQL, sending to real local peers: an SMTP server, an SMS gateway and a
webhook receiver over HTTP."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from baiying.clock import ManualClock
from baiying.events import ContactArrived
from baiying.ids import ContactId, QueueId
from baiying.notifications.dispatch import Dispatcher, Senders, senders_from_environment
from baiying.notifications.model import Channel, DeliveryStatus, InvalidRecipient, Message, Purpose
from baiying.notifications.outbox import Outbox
from baiying.notifications.retry import RetryPolicy
from baiying.notifications.senders import FileSink, HttpSmsGateway, SmtpMailer
from baiying.notifications.signing import SIGNATURE_HEADER, verify
from baiying.storage.engine import make_engine
from baiying.storage.event_log import EventLog
from baiying.storage.notification_tables import OutboxRow, WebhookSubscriptionRow
from baiying.storage.tables import TenantRow
from tests.notifications.receivers import http_receiver, smtp_server

T0 = 1_800_000_000.0
TENANT = "acme"
NO_JITTER = RetryPolicy(
    max_attempts=3, first_delay_seconds=60, factor=2, max_delay_seconds=600, jitter_fraction=0
)


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session:
        session.add(TenantRow(id=TENANT, name="Acme", placement={}, created_at=T0))
        session.commit()
    yield factory
    engine.dispose()


def sms(to: str, purpose: Purpose = Purpose.TRANSACTIONAL, body: str = "您的工单已受理") -> Message:
    return Message(Channel.SMS, to, body, purpose)


def rows(sessions: sessionmaker[Session]) -> list[OutboxRow]:
    with sessions() as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def test_enqueue_is_idempotent_by_cause_and_normalises_the_recipient(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        first = Outbox(session, TENANT).enqueue(sms("138 0013 8000"), cause="ticket:T-1:created", now=T0)
        again = Outbox(session, TENANT).enqueue(sms("13800138000"), cause="ticket:T-1:created", now=T0 + 5)
        session.commit()
    assert first.created
    assert not again.created
    assert again.row.id == first.row.id
    [row] = rows(sessions)
    assert (row.recipient, row.status, row.next_attempt_at) == ("+8613800138000", "pending", T0)


def test_a_bad_recipient_is_refused_and_nothing_is_queued(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, pytest.raises(InvalidRecipient):
        Outbox(session, TENANT).enqueue(sms("not a number"), cause="c", now=T0)
    assert rows(sessions) == []


def test_care_beyond_the_frequency_cap_is_kept_as_suppressed_with_the_reason(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        outbox = Outbox(session, TENANT)
        outbox.enqueue(sms("13800138000", Purpose.CARE), cause="care-1", now=T0, customer_id="c-1")
        # Another number of the same customer: caps follow the person, not the address.
        capped = outbox.enqueue(
            sms("13900139000", Purpose.MARKETING), cause="offer-1", now=T0 + 60, customer_id="c-1"
        )
        owed = outbox.enqueue(sms("13900139000"), cause="dispatch-1", now=T0 + 60, customer_id="c-1")
        next_day = outbox.enqueue(
            sms("13800138000", Purpose.CARE), cause="care-2", now=T0 + 86_401, customer_id="c-1"
        )
        session.commit()
    assert capped.row.status == DeliveryStatus.SUPPRESSED
    assert capped.row.last_error == "contact-frequency cap: at most 1 care/marketing contacts by sms per day"
    assert owed.row.status == next_day.row.status == DeliveryStatus.PENDING


def test_email_goes_out_over_smtp_and_a_refused_mailbox_fails_for_good(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    clock = ManualClock(T0)
    with smtp_server() as (mailbox, port):
        mailbox.refuse.add("gone@example.com")
        senders = Senders(SmtpMailer("127.0.0.1", port, "service@acme.cn"), FileSink(tmp_path / "sms.jsonl"))
        with sessions() as session:
            outbox = Outbox(session, TENANT)
            outbox.enqueue(
                Message(Channel.EMAIL, "li@Example.com", "工程师明天上门", subject="派工通知"),
                cause="a",
                now=T0,
            )
            outbox.enqueue(Message(Channel.EMAIL, "gone@example.com", "x", subject="y"), cause="b", now=T0)
            session.commit()
        report = Dispatcher(sessions, senders, clock, NO_JITTER).run_once()
    assert (report.sent, report.failed, report.retrying) == (1, 1, 0)
    [received] = mailbox.messages
    assert received["To"] == "li@example.com"
    assert received["Subject"] == "派工通知"
    assert received.get_content().strip() == "工程师明天上门"
    sent, refused = rows(sessions)
    assert received["X-Baiying-Reference"] == f"baiying-{TENANT}-{sent.id}"
    assert (sent.status, sent.sent_at, sent.attempts) == ("sent", T0, 1)
    assert refused.status == "failed"
    assert refused.last_error is not None
    assert "550" in refused.last_error


def test_an_unreachable_server_is_retried_on_the_back_off_schedule_until_it_gives_up(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    clock = ManualClock(T0)
    with http_receiver() as gateway:
        gateway.statuses = [503, 503, 503]
        senders = Senders(FileSink(tmp_path / "mail.jsonl"), HttpSmsGateway(gateway.url, "tok"))
        dispatcher = Dispatcher(sessions, senders, clock, NO_JITTER)
        with sessions() as session:
            Outbox(session, TENANT).enqueue(sms("13800138000"), cause="a", now=T0)
            session.commit()
        assert dispatcher.run_once().retrying == 1
        assert rows(sessions)[0].next_attempt_at == T0 + 60
        assert dispatcher.run_once().retrying == 0  # not due yet
        clock.advance(60)
        assert dispatcher.run_once().retrying == 1
        assert rows(sessions)[0].next_attempt_at == T0 + 60 + 120
        clock.advance(120)
        assert dispatcher.run_once().failed == 1  # third attempt of three
    [row] = rows(sessions)
    assert (row.status, row.attempts) == ("failed", 3)
    assert len(gateway.calls) == 3
    assert gateway.calls[0].headers["Authorization"] == "Bearer tok"
    assert gateway.calls[0].json() == {
        "to": "+8613800138000",
        "text": "您的工单已受理",
        "reference": f"baiying-{TENANT}-{row.id}",
    }


def test_events_reach_webhook_subscribers_signed_once_each_and_in_order(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    clock = ManualClock(T0)
    with http_receiver() as erp:
        with sessions() as session:
            session.add(
                WebhookSubscriptionRow(
                    tenant_id=TENANT,
                    id="erp",
                    url=erp.url,
                    secret="k",
                    event_types=["contact-arr*"],
                    active=True,
                    created_at=T0,
                )
            )
            EventLog().append(
                session,
                TENANT,
                [ContactArrived(T0, ContactId(f"c-{n}"), QueueId("billing"), "voice", None) for n in (1, 2)],
            )
            session.commit()
        erp.statuses = [500]  # the first call fails once, then succeeds on its retry
        dispatcher = Dispatcher(
            sessions, Senders(FileSink(tmp_path / "e"), FileSink(tmp_path / "s")), clock, NO_JITTER
        )
        first = dispatcher.run_once()
        again = dispatcher.run_once()  # relays nothing new: the cursor moved
        clock.advance(60)
        last = dispatcher.run_once()
    assert (first.relayed_events, first.sent, first.retrying) == (2, 1, 1)
    assert (again.relayed_events, again.sent) == (0, 0)
    assert last.sent == 1
    bodies = [call.json() for call in erp.calls]
    assert [b["data"]["contact_id"] for b in bodies] == ["c-1", "c-2", "c-1"]
    assert all(b["type"] == "contact-arrived" for b in bodies)
    for call in erp.calls:
        assert verify("k", call.headers[SIGNATURE_HEADER], call.body, clock.now())
        assert call.headers["Baiying-Event"] == "contact-arrived"
    assert [r.status for r in rows(sessions)] == ["sent", "sent"]


def test_without_smtp_or_a_gateway_messages_go_to_local_files(tmp_path: Path) -> None:
    senders = senders_from_environment({"BAIYING_OUTBOX_SINK": str(tmp_path)})
    assert senders.describe() == f"email → {tmp_path / 'email.jsonl'}, SMS → {tmp_path / 'sms.jsonl'}"
    senders.sms.send(sms("+8613800138000"), "ref-1")
    line = json.loads((tmp_path / "sms.jsonl").read_text(encoding="utf-8"))
    assert line == {
        "reference": "ref-1",
        "channel": "sms",
        "to": "+8613800138000",
        "subject": None,
        "body": "您的工单已受理",
    }
    configured = senders_from_environment(
        {"BAIYING_SMTP_HOST": "mail", "BAIYING_SMS_GATEWAY_URL": "http://127.0.0.1:9/sms"}
    )
    assert configured.describe() == "email → SMTP mail:25, SMS → http://127.0.0.1:9/sms"


def test_the_cli_drains_the_outbox_into_the_local_sink(
    sessions: sessionmaker[Session], db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from baiying.cli import app

    with sessions() as session:  # queued in the past, so due for the CLI's real clock
        Outbox(session, TENANT).enqueue(sms("13800138000"), cause="a", now=1_700_000_000.0)
        session.commit()
    monkeypatch.setenv("BAIYING_OUTBOX_SINK", str(tmp_path / "outbox"))
    result = CliRunner().invoke(app, ["notifications", "dispatch", "--url", db_url])
    assert result.exit_code == 0, result.output
    assert "0 event(s) relayed; 1 sent, 0 to retry, 0 failed" in result.output
    [line] = (tmp_path / "outbox" / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["to"] == "+8613800138000"
    assert [r.status for r in rows(sessions)] == ["sent"]
