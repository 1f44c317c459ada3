"""Routing policies, admins only: each one's YAML source, read and replaced as text (`text/yaml`) or as
JSON `{"yaml": ...}`. A policy that does not validate is refused with 422 `invalid-config`, its problems
naming field path and line; a change the live router can take (it is empty) takes effect at once."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.orm import Session

from baiying.accounts.policy import Action, Kind, Resource, require, resource
from baiying.accounts.principal import Principal
from baiying.api import audited
from baiying.api.deps import CenterDep, ClockDep, SessionDep, allowed
from baiying.api.schemas import KeyPath
from baiying.api.schemas.network import PolicyChange, PolicyPublic, PolicySource
from baiying.application.center import LiveCenter
from baiying.errors import DomainError, InvalidTransition
from baiying.storage.repositories import PolicyRepository, routing_spec, snapshot

router = APIRouter(prefix="/api/policies", tags=["routing policies"])
ENTITY = "routing-policy"
YAML_TYPES = frozenset(
    {"", "text/yaml", "application/yaml", "application/x-yaml", "text/x-yaml", "text/plain"}
)


class UnsupportedBody(DomainError):
    code = "bad-request"


def _policy(principal: Principal, policy_id: str | None = None) -> Resource:
    return resource(Kind.ROUTING_POLICY, principal.tenant_id, policy_id)


def check_routing(session: Session, tenant_id: str) -> None:
    """Raise ConfigError (422, naming fields and lines) unless the tenant's routing configuration, with the
    session's pending changes, is one the router would accept."""
    routing_spec(session, tenant_id)


def apply_routing(center: LiveCenter, tenant_id: str) -> bool:
    """Have the live router route by the stored configuration; False while it holds contacts or agents
    (the change then takes effect once it is empty, or at the next start). Call after committing."""
    try:
        center.reconfigure(tenant_id)
    except InvalidTransition:
        return False
    return True


async def policy_text(request: Request) -> str:
    """The policy's YAML from the body: the body itself for a YAML (or text) content type, the `yaml`
    field of a JSON object for `application/json`."""
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    raw = await request.body()
    if media == "application/json" or media.endswith("+json"):
        try:
            data: Any = json.loads(raw)
        except ValueError as exc:
            error = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            position = exc.pos if isinstance(exc, json.JSONDecodeError) else 0
            raise RequestValidationError(
                [
                    {
                        "type": "json_invalid",
                        "loc": ("body", position),
                        "msg": "JSON decode error",
                        "ctx": {"error": error},
                    }
                ]
            ) from None
        try:
            return PolicySource.model_validate(data).yaml
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            raise RequestValidationError(
                [{**error, "loc": ("body", *error["loc"])} for error in errors]
            ) from None
    if media not in YAML_TYPES:
        raise UnsupportedBody(
            f'send the policy as text/yaml or as JSON {{"yaml": ...}}, not {media}', {"content_type": media}
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsupportedBody("the policy's YAML is not UTF-8 text") from None


@router.get("")
def list_policies(
    session: SessionDep, principal: Annotated[Principal, allowed(Action.READ, Kind.ROUTING_POLICY)]
) -> list[PolicyPublic]:
    require(principal, Action.READ, _policy(principal))
    return [PolicyPublic.of(row) for row in PolicyRepository(session, principal.tenant_id).list()]


@router.get("/{policy_id}")
def get_policy(
    policy_id: KeyPath,
    session: SessionDep,
    principal: Annotated[Principal, allowed(Action.READ, Kind.ROUTING_POLICY)],
) -> PolicyPublic:
    require(principal, Action.READ, _policy(principal, policy_id))
    return PolicyPublic.of(PolicyRepository(session, principal.tenant_id).get(policy_id))


@router.put(
    "/{policy_id}",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/yaml": {"schema": {"type": "string"}},
                "application/json": {"schema": PolicySource.model_json_schema()},
            },
        }
    },
)
def put_policy(
    policy_id: KeyPath,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.ROUTING_POLICY)],
    source: Annotated[str, Depends(policy_text)],
    session: SessionDep,
    clock: ClockDep,
    center: CenterDep,
) -> PolicyChange:
    """Create the policy or replace its source (its `id` must be the one in the path; `version` counts
    changes). Refused with 422 and nothing stored when it does not validate, or when the routing
    configuration with it would not (e.g. it names a site that does not exist)."""
    tenant = principal.tenant_id
    require(principal, Action.UPDATE, _policy(principal, policy_id))
    policies = PolicyRepository(session, tenant)
    existing = policies.find(policy_id)
    before = snapshot(existing) if existing is not None else None
    row = policies.put(policy_id, source, at=clock.now())
    session.flush()
    check_routing(session, tenant)
    action = "create" if before is None else "update"
    audited.record(session, principal, clock, action, ENTITY, policy_id, before=before, after=snapshot(row))
    public = PolicyPublic.of(row)
    session.commit()
    return PolicyChange(**public.model_dump(), routing_applied=apply_routing(center, tenant))
