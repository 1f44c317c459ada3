"""Users and their roles: admins only. An admin cannot lock themselves out (deactivate or delete
themselves, or drop their own admin role)."""

from typing import Annotated

from fastapi import APIRouter, Response, status

from baiying.accounts import users
from baiying.accounts.policy import Action, Kind, Resource, require, resource
from baiying.accounts.principal import Principal
from baiying.api.deps import AccountsDep, ClockDep, SessionDep, allowed
from baiying.api.schemas import KeyPath
from baiying.api.schemas.admin import RolesReplace, UserCreate, UserPublic, UserUpdate
from baiying.storage.repositories import Conflict, UserRepository
from baiying.storage.tables import Role

router = APIRouter(prefix="/api/users", tags=["users"])


def _user(principal: Principal, user_id: str | None = None) -> Resource:
    return resource(Kind.USER, principal.tenant_id, user_id)


def _not_yourself(principal: Principal, user_id: str, what: str) -> None:
    if user_id == principal.user_id:
        raise Conflict(f"you cannot {what} yourself: ask another admin", {"id": user_id})


@router.get("")
def list_users(
    session: SessionDep, principal: Annotated[Principal, allowed(Action.READ, Kind.USER)]
) -> list[UserPublic]:
    require(principal, Action.READ, _user(principal))
    return [UserPublic.of(row) for row in UserRepository(session, principal.tenant_id).list()]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_user(
    body: UserCreate,
    session: SessionDep,
    clock: ClockDep,
    services: AccountsDep,
    principal: Annotated[Principal, allowed(Action.CREATE, Kind.USER)],
) -> UserPublic:
    require(principal, Action.CREATE, _user(principal, body.id))
    row = users.create_user(
        session,
        principal.tenant_id,
        user_id=body.id,
        login=body.login,
        display_name=body.display_name,
        password=body.password,
        grants=[grant.grant() for grant in body.roles],
        active=body.active,
        actor=principal.user_id,
        at=clock.now(),
        passwords=services.passwords,
    )
    session.commit()
    return UserPublic.of(row)


@router.get("/{user_id}")
def get_user(
    user_id: KeyPath, session: SessionDep, principal: Annotated[Principal, allowed(Action.READ, Kind.USER)]
) -> UserPublic:
    require(principal, Action.READ, _user(principal, user_id))
    return UserPublic.of(UserRepository(session, principal.tenant_id).get(user_id))


@router.patch("/{user_id}")
def update_user(
    user_id: KeyPath,
    body: UserUpdate,
    session: SessionDep,
    clock: ClockDep,
    services: AccountsDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.USER)],
) -> UserPublic:
    """Change a user; a new password ends the user's open sessions."""
    require(principal, Action.UPDATE, _user(principal, user_id))
    changes = body.changes()
    password = changes.pop("password", None)
    if changes.get("active") is False:
        _not_yourself(principal, user_id, "deactivate")
    row = users.update_user(
        session,
        principal.tenant_id,
        user_id,
        changes=changes,
        password=password,
        actor=principal.user_id,
        at=clock.now(),
        passwords=services.passwords,
    )
    session.commit()
    return UserPublic.of(row)


@router.put("/{user_id}/roles")
def replace_roles(
    user_id: KeyPath,
    body: RolesReplace,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.USER)],
) -> UserPublic:
    """Give the user exactly these roles."""
    require(principal, Action.UPDATE, _user(principal, user_id))
    grants = [grant.grant() for grant in body.roles]
    if all(grant.role is not Role.ADMIN for grant in grants):
        _not_yourself(principal, user_id, "take the admin role from")
    row = users.replace_grants(
        session, principal.tenant_id, user_id, grants, actor=principal.user_id, at=clock.now()
    )
    session.commit()
    return UserPublic.of(row)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_user(
    user_id: KeyPath,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.DELETE, Kind.USER)],
) -> Response:
    require(principal, Action.DELETE, _user(principal, user_id))
    _not_yourself(principal, user_id, "delete")
    users.delete_user(session, principal.tenant_id, user_id, actor=principal.user_id, at=clock.now())
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
