"""Logging in and out, who is logged in, and what a user changes of their own account."""

from dataclasses import replace

from fastapi import APIRouter, Request, Response, status

from baiying.accounts import users
from baiying.api.deps import (
    LANGUAGE_COOKIE,
    LANGUAGE_COOKIE_MAX_AGE,
    SESSION_COOKIE,
    AccountsDep,
    AuthenticatedDep,
    ClockDep,
    CurrentUser,
    SessionDep,
    StateDep,
)
from baiying.api.schemas.auth import LoginRequest, LoginResponse, Me, MeUpdate

router = APIRouter(prefix="/api", tags=["auth"])


@router.post(
    "/auth/login",
    responses={401: {"description": "Wrong login or password"}, 429: {"description": "Too many failures"}},
)
def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    services: AccountsDep,
    state: StateDep,
) -> LoginResponse:
    """Open a session: a bearer token for API clients, and an HttpOnly cookie for the browser.

    After 5 failures within 5 minutes for a login, or from one client address, attempts are refused
    with 429 (and `Retry-After`) until the oldest failure is 5 minutes old. A user who chose a page
    language gets it as the language cookie too, so a new browser speaks it from the first page.
    """
    address = request.client.host if request.client is not None else "unknown"
    logged_in = services.log_in(session, body.login, body.password, address)
    claims = logged_in.session.claims
    response.set_cookie(
        SESSION_COOKIE,
        logged_in.session.cookie_value,
        max_age=int(claims.expires_at - claims.issued_at),
        path="/",
        httponly=True,
        samesite="lax",  # not sent on cross-site POSTs: with JSON-only bodies, the CSRF defence
        secure=state.settings.cookie_secure,
    )
    me = Me.of(logged_in.principal)
    if me.language is not None:
        response.set_cookie(
            LANGUAGE_COOKIE, me.language, max_age=LANGUAGE_COOKIE_MAX_AGE, path="/", samesite="lax"
        )
    return LoginResponse(token=logged_in.session.bearer_token, expires_at=claims.expires_at, user=me)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(auth: AuthenticatedDep, services: AccountsDep, state: StateDep) -> Response:
    """End the session: its bearer token and its cookie are refused from now on."""
    services.log_out(auth.claims)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=state.settings.cookie_secure
    )
    return response


@router.get("/me")
def me(principal: CurrentUser) -> Me:
    return Me.of(principal)


@router.patch("/me")
def update_me(
    body: MeUpdate,
    response: Response,
    principal: CurrentUser,
    session: SessionDep,
    clock: ClockDep,
    services: AccountsDep,
) -> Me:
    """Change your own account: the page language (audited like any change of a user). The language
    cookie follows, or goes when the language is set back to the browser's."""
    users.update_user(
        session,
        principal.tenant_id,
        principal.user_id,
        changes={"language": body.language},
        password=None,
        actor=principal.user_id,
        at=clock.now(),
        passwords=services.passwords,
    )
    session.commit()
    if body.language is None:
        response.delete_cookie(LANGUAGE_COOKIE, path="/", samesite="lax")
    else:
        response.set_cookie(
            LANGUAGE_COOKIE, body.language, max_age=LANGUAGE_COOKIE_MAX_AGE, path="/", samesite="lax"
        )
    return Me.of(replace(principal, language=body.language))
