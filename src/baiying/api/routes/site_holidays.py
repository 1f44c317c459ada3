"""A site's holidays (local dates on which it is closed all day; ticket SLA clocks pause on them): read by
whoever may read the site, replaced as a whole by admins, audited as "site-holidays"."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from baiying.accounts.policy import Action, Kind, Resource, require, resource
from baiying.accounts.principal import Principal
from baiying.api import audited
from baiying.api.deps import ClockDep, SessionDep, allowed
from baiying.api.schemas import KeyPath, Name
from baiying.storage.repositories import InvalidRecord, SiteRepository

router = APIRouter(prefix="/api/sites", tags=["sites"])
ENTITY = "site-holidays"
MAX_HOLIDAYS = 366


class Holiday(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: date = Field(description="A local date (YYYY-MM-DD) in the site's time zone.")
    name: Name


class HolidaysReplace(BaseModel):
    model_config = ConfigDict(extra="forbid")

    holidays: list[Holiday] = Field(max_length=MAX_HOLIDAYS)


def _site(principal: Principal, site_id: str) -> Resource:
    return resource(Kind.SITE, principal.tenant_id, site_id, site=site_id)


def _listed(session: Session, principal: Principal, site_id: str) -> list[Holiday]:
    row = SiteRepository(session, principal.tenant_id).get(site_id)
    return [Holiday(day=holiday.day, name=holiday.name) for holiday in row.holidays]


def _as_audit(holidays: list[Holiday]) -> dict[str, str]:
    return {holiday.day.isoformat(): holiday.name for holiday in holidays}


@router.get("/{site_id}/holidays")
def list_holidays(
    site_id: KeyPath, session: SessionDep, principal: Annotated[Principal, allowed(Action.READ, Kind.SITE)]
) -> list[Holiday]:
    """The site's holidays, by date."""
    require(principal, Action.READ, _site(principal, site_id))
    return _listed(session, principal, site_id)


@router.put("/{site_id}/holidays")
def replace_holidays(
    site_id: KeyPath,
    body: HolidaysReplace,
    session: SessionDep,
    clock: ClockDep,
    principal: Annotated[Principal, allowed(Action.UPDATE, Kind.SITE)],
) -> list[Holiday]:
    """Make these the site's holidays (an empty list clears them); a date given twice is refused (422)."""
    require(principal, Action.UPDATE, _site(principal, site_id))
    days = [holiday.day for holiday in body.holidays]
    repeated = sorted({day.isoformat() for day in days if days.count(day) > 1})
    if repeated:
        raise InvalidRecord(f"holidays: {', '.join(repeated)} given more than once", {"field": "holidays"})
    before = _listed(session, principal, site_id)
    SiteRepository(session, principal.tenant_id).set_holidays(
        site_id, {holiday.day: holiday.name for holiday in sorted(body.holidays, key=lambda h: h.day)}
    )
    session.flush()
    after = _listed(session, principal, site_id)
    audited.record(
        session, principal, clock, "update", ENTITY, site_id, before=_as_audit(before), after=_as_audit(after)
    )
    session.commit()
    return after
