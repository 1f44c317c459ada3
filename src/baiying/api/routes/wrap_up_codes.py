"""Wrap-up codes: every role reads them (an agent completes a contact with one); admins change them."""

from typing import Annotated

from fastapi import APIRouter, Response, status

from baiying.accounts.policy import Action, Kind, Resource, require, resource
from baiying.accounts.principal import Principal
from baiying.api import audited
from baiying.api.deps import ClockDep, SessionDep, allowed
from baiying.api.schemas import KeyPath
from baiying.api.schemas.admin import WrapUpCodeCreate, WrapUpCodePublic, WrapUpCodeUpdate
from baiying.storage.repositories import WrapUpCodeRepository, snapshot
from baiying.storage.tables import WrapUpCodeRow

router = APIRouter(prefix="/api/wrap-up-codes", tags=["wrap-up codes"])
ENTITY = "wrap-up-code"


def _code(principal: Principal, code: str | None = None) -> Resource:
    return resource(Kind.WRAP_UP_CODE, principal.tenant_id, code)


@router.get("")
def list_codes(
    session: SessionDep, principal: Annotated[Principal, allowed(Action.READ, Kind.WRAP_UP_CODE)]
) -> list[WrapUpCodePublic]:
    require(principal, Action.READ, _code(principal))
    return [WrapUpCodePublic.of(row) for row in WrapUpCodeRepository(session, principal.tenant_id).list()]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_code(
    body: WrapUpCodeCreate,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.CREATE, Kind.WRAP_UP_CODE)],
) -> WrapUpCodePublic:
    require(principal, Action.CREATE, _code(principal, body.code))
    row = WrapUpCodeRepository(session, principal.tenant_id).add(WrapUpCodeRow(**body.model_dump()))
    audited.record(session, principal, clock, "create", ENTITY, row.code, after=snapshot(row))
    session.commit()
    return WrapUpCodePublic.of(row)


@router.get("/{code}")
def get_code(
    code: KeyPath,
    session: SessionDep,
    principal: Annotated[Principal, allowed(Action.READ, Kind.WRAP_UP_CODE)],
) -> WrapUpCodePublic:
    require(principal, Action.READ, _code(principal, code))
    return WrapUpCodePublic.of(WrapUpCodeRepository(session, principal.tenant_id).get(code))


@router.patch("/{code}")
def update_code(
    code: KeyPath,
    body: WrapUpCodeUpdate,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.WRAP_UP_CODE)],
) -> WrapUpCodePublic:
    require(principal, Action.UPDATE, _code(principal, code))
    codes = WrapUpCodeRepository(session, principal.tenant_id)
    before = snapshot(codes.get(code))
    row = codes.update(code, **body.changes())
    audited.record(session, principal, clock, "update", ENTITY, code, before=before, after=snapshot(row))
    session.commit()
    return WrapUpCodePublic.of(row)


@router.delete("/{code}", status_code=status.HTTP_204_NO_CONTENT)
def delete_code(
    code: KeyPath,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.DELETE, Kind.WRAP_UP_CODE)],
) -> Response:
    require(principal, Action.DELETE, _code(principal, code))
    codes = WrapUpCodeRepository(session, principal.tenant_id)
    before = snapshot(codes.get(code))
    codes.delete(code)
    audited.record(session, principal, clock, "delete", ENTITY, code, before=before)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
