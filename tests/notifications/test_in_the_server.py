"""The dispatcher inside a real `baiying serve`: an SMS queued over HTTP is sent within seconds (to the
local sink here), and a webhook subscriber receives the contact's events, signed."""

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from baiying.clock import SystemClock
from baiying.notifications.signing import SIGNATURE_HEADER, verify
from tests.notifications.receivers import http_receiver
from tests.traffic.server import ADMIN, ServerProcess, log_in, one_queue_server

TENANT = "acme"
WAIT_SECONDS = 20.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with one_queue_server(tmp_path, TENANT, "support") as process:
        yield process


def eventually(check: Callable[[], object]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("not within the wait")


def test_queued_sms_and_webhooks_leave_the_running_server(server: ServerProcess, tmp_path: Path) -> None:
    sink = tmp_path / "var" / "outbox" / "sms.jsonl"
    with http_receiver() as erp, httpx.Client(base_url=server.base, timeout=10) as client:
        admin = log_in(client, ADMIN)
        hook = {"id": "erp", "url": erp.url, "event_types": ["contact-*"]}
        created = client.post("/api/webhooks", json=hook, headers=admin)
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]
        sms = {"channel": "sms", "to": "13800138000", "body": "您的工单已受理", "cause": "t-1"}
        assert client.post("/api/notifications", json=sms, headers=admin).status_code == 201
        contact = client.post("/api/contacts", json={"id": "k-1", "queue": "support"}, headers=admin)
        assert contact.status_code == 201, contact.text

        eventually(lambda: sink.exists() and sink.read_text(encoding="utf-8").strip())
        eventually(lambda: any(call.json()["data"]["contact_id"] == "k-1" for call in erp.calls))
        sent = client.get("/api/notifications?channel=sms", headers=admin).json()
    assert json.loads(sink.read_text(encoding="utf-8").splitlines()[0])["to"] == "+8613800138000"
    assert sent[0]["status"] == "sent"
    arrived = next(call for call in erp.calls if call.json()["type"] == "contact-arrived")
    assert verify(secret, arrived.headers[SIGNATURE_HEADER], arrived.body, SystemClock().now())
