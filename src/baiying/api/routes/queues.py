"""Queues: admins create, change and delete them; supervisors read them (a wallboard names queues). A
change is checked against the whole routing configuration and taken by the live router when it is empty."""

from typing import Annotated

from fastapi import APIRouter, Response, status

from baiying.accounts.policy import Action, Kind, Resource, require, resource
from baiying.accounts.principal import Principal
from baiying.api import audited
from baiying.api.deps import CenterDep, ClockDep, SessionDep, allowed
from baiying.api.routes.policies import apply_routing, check_routing
from baiying.api.schemas import KeyPath
from baiying.api.schemas.network import QueueCreate, QueuePublic, QueueUpdate
from baiying.storage.repositories import QueueRepository, snapshot
from baiying.storage.tables import QueueRow

router = APIRouter(prefix="/api/queues", tags=["queues"])
ENTITY = "queue"


def _queue(principal: Principal, queue_id: str | None = None) -> Resource:
    return resource(Kind.QUEUE, principal.tenant_id, queue_id)


@router.get("")
def list_queues(
    session: SessionDep, principal: Annotated[Principal, allowed(Action.READ, Kind.QUEUE)]
) -> list[QueuePublic]:
    require(principal, Action.READ, _queue(principal))
    return [QueuePublic.of(row) for row in QueueRepository(session, principal.tenant_id).list()]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_queue(
    body: QueueCreate,
    session: SessionDep,
    clock: ClockDep,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.CREATE, Kind.QUEUE)],
) -> QueuePublic:
    """Create a queue routed by an existing policy (409 if there is none)."""
    require(principal, Action.CREATE, _queue(principal, body.id))
    tenant = principal.tenant_id
    row = QueueRepository(session, tenant).add(QueueRow(**body.model_dump(mode="json")))
    check_routing(session, tenant)
    audited.record(session, principal, clock, "create", ENTITY, row.id, after=snapshot(row))
    public = QueuePublic.of(row)
    session.commit()
    apply_routing(center, tenant)
    return public


@router.get("/{queue_id}")
def get_queue(
    queue_id: KeyPath, session: SessionDep, principal: Annotated[Principal, allowed(Action.READ, Kind.QUEUE)]
) -> QueuePublic:
    require(principal, Action.READ, _queue(principal, queue_id))
    return QueuePublic.of(QueueRepository(session, principal.tenant_id).get(queue_id))


@router.patch("/{queue_id}")
def update_queue(
    queue_id: KeyPath,
    body: QueueUpdate,
    session: SessionDep,
    clock: ClockDep,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.QUEUE)],
) -> QueuePublic:
    require(principal, Action.UPDATE, _queue(principal, queue_id))
    tenant = principal.tenant_id
    queues = QueueRepository(session, tenant)
    before = snapshot(queues.get(queue_id))
    changes = {name: value.value if name == "channel" else value for name, value in body.changes().items()}
    row = queues.update(queue_id, **changes)
    check_routing(session, tenant)
    after = snapshot(row)
    audited.record(session, principal, clock, "update", ENTITY, queue_id, before=before, after=after)
    public = QueuePublic.of(row)
    session.commit()
    if before != after:
        apply_routing(center, tenant)
    return public


@router.delete("/{queue_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_queue(
    queue_id: KeyPath,
    session: SessionDep,
    clock: ClockDep,
    center: CenterDep,
    principal: Annotated[Principal, allowed(Action.DELETE, Kind.QUEUE)],
) -> Response:
    """Delete a queue; 409 while contacts still refer to it."""
    require(principal, Action.DELETE, _queue(principal, queue_id))
    tenant = principal.tenant_id
    queues = QueueRepository(session, tenant)
    before = snapshot(queues.get(queue_id))
    queues.delete(queue_id)
    check_routing(session, tenant)
    audited.record(session, principal, clock, "delete", ENTITY, queue_id, before=before)
    session.commit()
    apply_routing(center, tenant)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
