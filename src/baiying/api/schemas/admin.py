"""Sites, wrap-up codes, users and the audit log as the admin API reads and writes them."""

from typing import Any, ClassVar, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from baiying.accounts.principal import Grant
from baiying.api.schemas import Id, Login, Name
from baiying.api.schemas.auth import GrantPublic, PageLanguage
from baiying.routing.model import SiteStatus
from baiying.storage.tables import AuditEntryRow, Role, SiteRow, TenantRow, UserRow, WrapUpCodeRow

MINUTES_PER_DAY = 1440
Minute = Field(default=None, ge=0, le=MINUTES_PER_DAY, description="Minutes after local midnight.")


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Patch(_Input):
    """A partial update: fields left out are kept; `not_null` fields may not be set to null."""

    not_null: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _no_nulls(self) -> Self:
        for name in self.model_fields_set & self.not_null:
            if getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


def _known_timezone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from None
    return value


class SiteCreate(_Input):
    id: Id
    name: Name
    timezone: str = "Asia/Shanghai"
    opens_minute: int | None = Minute
    closes_minute: int | None = Minute
    languages: list[Id] = []
    hq: bool = False

    _timezone = field_validator("timezone")(_known_timezone)

    @model_validator(mode="after")
    def _hours(self) -> Self:
        if (self.opens_minute is None) != (self.closes_minute is None):
            raise ValueError("give both opens_minute and closes_minute, or neither (open 24x7)")
        return self


class SiteUpdate(_Patch):
    not_null: ClassVar[frozenset[str]] = frozenset({"name", "timezone", "languages", "hq"})

    name: Name | None = None
    timezone: str | None = None
    opens_minute: int | None = Minute
    closes_minute: int | None = Minute
    languages: list[Id] | None = None
    hq: bool | None = None

    _timezone = field_validator("timezone")(_known_timezone)


class SiteStatusChange(_Input):
    status: SiteStatus


class SitePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    timezone: str
    opens_minute: int | None
    closes_minute: int | None
    status: SiteStatus
    status_changed_at: float | None
    languages: list[str]
    hq: bool

    @classmethod
    def of(cls, row: SiteRow) -> "SitePublic":
        return cls.model_validate(row)


class WrapUpCodeCreate(_Input):
    code: Id
    label: Name
    active: bool = True


class WrapUpCodeUpdate(_Patch):
    not_null: ClassVar[frozenset[str]] = frozenset({"label", "active"})

    label: Name | None = None
    active: bool | None = None


class WrapUpCodePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    label: str
    active: bool

    @classmethod
    def of(cls, row: WrapUpCodeRow) -> "WrapUpCodePublic":
        return cls.model_validate(row)


class GrantIn(_Input):
    role: Role
    site_id: Id | None = Field(None, description="A supervisor's site; none: every site.")
    agent_id: Id | None = Field(None, description="The agent record an agent-role user works as.")

    def grant(self) -> Grant:
        return Grant(self.role, self.site_id, self.agent_id)


class UserCreate(_Input):
    id: Id
    login: Login
    display_name: Name
    password: str | None = Field(None, description="None: the user cannot log in with a password.")
    active: bool = True
    roles: list[GrantIn] = []


class UserUpdate(_Patch):
    not_null: ClassVar[frozenset[str]] = frozenset({"login", "display_name", "active", "password"})

    login: Login | None = None
    display_name: Name | None = None
    active: bool | None = None
    password: str | None = Field(None, description="A new password; leave out to keep the current one.")


class RolesReplace(_Input):
    roles: list[GrantIn]


class UserPublic(BaseModel):
    id: str
    tenant_id: str
    login: str
    display_name: str
    active: bool
    created_at: float
    has_password: bool
    roles: list[GrantPublic]
    language: str | None = None

    @classmethod
    def of(cls, row: UserRow) -> "UserPublic":
        return cls(
            id=row.id,
            tenant_id=row.tenant_id,
            login=row.login,
            display_name=row.display_name,
            active=row.active,
            created_at=row.created_at,
            has_password=row.password_hash is not None,
            roles=[GrantPublic.model_validate(grant) for grant in row.roles],
            language=row.language,
        )


class AuditEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: float
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def of(cls, row: AuditEntryRow) -> "AuditEntryPublic":
        return cls.model_validate(row)


class TenantUpdate(_Patch):
    default_language: PageLanguage | None = Field(
        default=None,
        description='The page language of the users who chose none, "en" or "zh"; null: each browser\'s.',
    )


class TenantPublic(BaseModel):
    id: str
    name: str
    default_language: PageLanguage | None

    @classmethod
    def of(cls, row: TenantRow) -> "TenantPublic":
        stored = row.default_language
        language: PageLanguage | None = "en" if stored == "en" else "zh" if stored == "zh" else None
        return cls(id=row.id, name=row.name, default_language=language)
