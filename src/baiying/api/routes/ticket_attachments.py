"""Ticket attachments: upload (the request body is the file), list, download. The bytes go to an
`AttachmentStore` (`app.state.ticket_attachments`, else files under $BAIYING_ATTACHMENTS_DIR or
var/attachments), checked against an `AttachmentPolicy` (`app.state.ticket_attachment_policy`, else the
default: 1 MiB, images, PDF, audio and text)."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from baiying.api.deps import ClockDep, CurrentUser, SessionDep
from baiying.api.routes.ticket_access import ActorDep, DeskDep, readable_ticket
from baiying.api.schemas import KeyPath
from baiying.api.schemas.tickets import AttachmentPublic
from baiying.storage.ticket_attachments import AttachmentStore, LocalAttachmentStore
from baiying.tickets.attachments import AttachmentPolicy

router = APIRouter(prefix="/api/tickets", tags=["tickets"])


def _attachment_store(request: Request) -> AttachmentStore:
    """The app's store (`app.state.ticket_attachments`), else files under $BAIYING_ATTACHMENTS_DIR or
    var/attachments."""
    store: AttachmentStore | None = getattr(request.app.state, "ticket_attachments", None)
    return store if store is not None else LocalAttachmentStore.from_environment()


def _attachment_policy(request: Request) -> AttachmentPolicy:
    policy: AttachmentPolicy | None = getattr(request.app.state, "ticket_attachment_policy", None)
    return policy if policy is not None else AttachmentPolicy()


async def _raw_body(request: Request) -> bytes:
    return await request.body()


@router.post("/{ticket_id}/attachments", status_code=status.HTTP_201_CREATED)
def add_attachment(
    ticket_id: KeyPath,
    filename: Annotated[str, Query(min_length=1, max_length=200, description="The file's name.")],
    data: Annotated[bytes, Depends(_raw_body)],
    session: SessionDep,
    clock: ClockDep,
    desk: DeskDep,
    principal: CurrentUser,
    actor: ActorDep,
    store: Annotated[AttachmentStore, Depends(_attachment_store)],
    policy: Annotated[AttachmentPolicy, Depends(_attachment_policy)],
    content_type: Annotated[str | None, Header()] = None,
) -> AttachmentPublic:
    """Attach a file: the request body is the file, `Content-Type` its type. 413 over the size cap, 415
    for a type not accepted or content that is not of the declared type."""
    readable_ticket(desk, principal, ticket_id)
    row = desk.attach(actor, ticket_id, filename, content_type, data, clock.now(), store=store, policy=policy)
    session.commit()
    return AttachmentPublic.of(row)


@router.get("/{ticket_id}/attachments")
def list_attachments(ticket_id: KeyPath, desk: DeskDep, principal: CurrentUser) -> list[AttachmentPublic]:
    readable_ticket(desk, principal, ticket_id)
    return [AttachmentPublic.of(row) for row in desk.tickets.attachments(ticket_id)]


@router.get("/{ticket_id}/attachments/{attachment_id}", response_class=Response)
def download_attachment(
    ticket_id: KeyPath,
    attachment_id: KeyPath,
    desk: DeskDep,
    principal: CurrentUser,
    store: Annotated[AttachmentStore, Depends(_attachment_store)],
) -> Response:
    """The file's bytes, with its content type, as a download."""
    readable_ticket(desk, principal, ticket_id)
    row = desk.tickets.attachment(ticket_id, attachment_id)
    disposition = f"attachment; filename*=UTF-8''{quote(row.filename)}"
    return Response(
        store.get(row.storage_key),
        media_type=row.content_type,
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )
