"""Logging in and who is logged in."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from baiying.accounts.passwords import MAX_PASSWORD_LENGTH
from baiying.accounts.principal import Principal
from baiying.storage.tables import Role

# The languages of the pages (baiying.web.messages.LANGUAGES; not imported: the web package imports the API).
PageLanguage = Literal["en", "zh"]


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login: Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]{1,200}$")]
    password: Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD_LENGTH)]


class GrantPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    role: Role
    site_id: str | None = None
    agent_id: str | None = None


class Me(BaseModel):
    id: str
    tenant_id: str
    login: str
    display_name: str
    roles: list[GrantPublic]
    language: str | None = None  # the page language the user chose; None: the browser's

    @classmethod
    def of(cls, principal: Principal) -> "Me":
        return cls(
            id=principal.user_id,
            tenant_id=principal.tenant_id,
            login=principal.login,
            display_name=principal.display_name,
            roles=[GrantPublic.model_validate(grant) for grant in principal.grants],
            language=principal.language,
        )


class MeUpdate(BaseModel):
    """What a user may change of their own account."""

    model_config = ConfigDict(extra="forbid")

    language: PageLanguage | None = Field(
        description='The page language, "en" or "zh"; null: follow the browser.'
    )


class LoginResponse(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: float  # seconds since the epoch, UTC
    user: Me
