"""Attachments: the size cap and content-type checks (413/415 with precise messages), bytes stored on disk
through the store adapter, listed and downloaded over HTTP, recorded in the history."""

import hashlib
from pathlib import Path

import pytest
from fastapi import FastAPI

from baiying.storage.ticket_attachments import LocalAttachmentStore
from baiying.tickets.attachments import AttachmentPolicy, AttachmentTooLarge, UnsupportedAttachmentType
from baiying.tickets.errors import InvalidTicket
from tests.api.conftest import T0, error_of
from tests.tickets.conftest import TestClient, Users, ok

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
POLICY = AttachmentPolicy(max_bytes=1000)


def test_the_policy_checks_size_type_and_content() -> None:
    assert POLICY.check("photo.png", "image/png", PNG) == "image/png"
    assert POLICY.check("notes.txt", "text/plain; charset=utf-8", "路由器坏了".encode()) == "text/plain"
    with pytest.raises(
        AttachmentTooLarge, match=r"'big\.pdf' is 1001 bytes; attachments may be at most 1000 bytes"
    ):
        POLICY.check("big.pdf", "application/pdf", b"%PDF-" + b"x" * 996)
    with pytest.raises(
        UnsupportedAttachmentType, match="content type 'application/x-msdownload' is not accepted"
    ):
        POLICY.check("setup.exe", "application/x-msdownload", b"MZ")
    with pytest.raises(
        UnsupportedAttachmentType, match=r"'photo\.png' is declared image/png but its content is not"
    ):
        POLICY.check("photo.png", "image/png", b"MZ\x90\x00")
    with pytest.raises(UnsupportedAttachmentType, match="declared text/plain but its content is not"):
        POLICY.check("notes.txt", "text/plain", b"\xff\xfe\x00")
    with pytest.raises(InvalidTicket, match="must be 1 to 200 characters without"):
        POLICY.check("../../etc/passwd", "text/plain", b"x")
    with pytest.raises(InvalidTicket, match=r"'empty\.txt' is empty"):
        POLICY.check("empty.txt", "text/plain", b"")


def test_the_local_store_keeps_keys_inside_its_root(tmp_path: Path) -> None:
    store = LocalAttachmentStore(tmp_path)
    store.put("acme/tk-1/at-1", b"data")
    assert (tmp_path / "acme" / "tk-1" / "at-1").read_bytes() == b"data"
    assert store.get("acme/tk-1/at-1") == b"data"
    with pytest.raises(ValueError, match="leaves the store"):
        store.put("../outside", b"x")
    store.delete("acme/tk-1/at-1")
    assert not (tmp_path / "acme" / "tk-1" / "at-1").exists()


@pytest.fixture
def store(app: FastAPI, tmp_path: Path) -> LocalAttachmentStore:
    app.state.ticket_attachments = LocalAttachmentStore(tmp_path / "attachments")
    app.state.ticket_attachment_policy = POLICY
    return app.state.ticket_attachments  # type: ignore[no-any-return]


def upload(
    client: TestClient, users: Users, tid: str, filename: str, content_type: str, data: bytes
) -> object:
    headers = {**users["lina"], "Content-Type": content_type}
    return client.post(
        f"/api/tickets/{tid}/attachments", params={"filename": filename}, content=data, headers=headers
    )


def test_attach_list_and_download(client: TestClient, users: Users, store: LocalAttachmentStore) -> None:
    tid = ok(
        client.post(
            "/api/tickets", json={"type": "repair", "subject": "Cracked screen"}, headers=users["lina"]
        ),
        201,
    )["id"]
    added = ok(upload(client, users, tid, "屏幕.png", "image/png", PNG), 201)
    assert added["filename"] == "屏幕.png"
    assert (added["content_type"], added["size_bytes"], added["uploaded_by"], added["uploaded_at"]) == (
        "image/png",
        len(PNG),
        "li-na",
        T0,
    )
    assert added["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert (store.root / "acme" / tid / added["id"]).read_bytes() == PNG

    listed = ok(client.get(f"/api/tickets/{tid}/attachments", headers=users["zhangwei"]))
    assert [a["id"] for a in listed] == [added["id"]]
    download = client.get(f"/api/tickets/{tid}/attachments/{added['id']}", headers=users["zhangwei"])
    assert download.status_code == 200
    assert download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert download.headers["content-disposition"] == "attachment; filename*=UTF-8''%E5%B1%8F%E5%B9%95.png"

    history = ok(client.get(f"/api/tickets/{tid}/history", headers=users["lina"]))
    assert history[-1]["kind"] == "attachment-added"
    assert history[-1]["data"]["filename"] == "屏幕.png"
    assert error_of(client.get(f"/api/tickets/{tid}/attachments/at-nope", headers=users["lina"]))[:2] == (
        404,
        "unknown-ticket",
    )


def test_precise_413_and_415(client: TestClient, users: Users, store: LocalAttachmentStore) -> None:
    tid = ok(
        client.post("/api/tickets", json={"type": "repair", "subject": "x"}, headers=users["lina"]), 201
    )["id"]
    assert error_of(upload(client, users, tid, "big.txt", "text/plain", b"x" * 1001)) == (
        413,
        "attachment-too-large",
        "'big.txt' is 1001 bytes; attachments may be at most 1000 bytes",
    )
    status, code, message = error_of(upload(client, users, tid, "run.sh", "application/x-sh", b"#!/bin/sh"))
    assert (status, code) == (415, "unsupported-attachment-type")
    assert message.startswith(
        "content type 'application/x-sh' is not accepted; send one of application/pdf, "
    )
    assert error_of(upload(client, users, tid, "fake.pdf", "application/pdf", b"MZ\x90")) == (
        415,
        "unsupported-attachment-type",
        "'fake.pdf' is declared application/pdf but its content is not",
    )
    assert ok(client.get(f"/api/tickets/{tid}/attachments", headers=users["lina"])) == []
    assert not (store.root / "acme").exists()
