"""Logging in and out, and who is logged in."""

from fastapi import APIRouter, Request, Response, status

from baiying.api.deps import SESSION_COOKIE, AccountsDep, AuthenticatedDep, CurrentUser, SessionDep, StateDep
from baiying.api.schemas.auth import LoginRequest, LoginResponse, Me

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
    with 429 (and `Retry-After`) until the oldest failure is 5 minutes old.
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
    return LoginResponse(
        token=logged_in.session.bearer_token, expires_at=claims.expires_at, user=Me.of(logged_in.principal)
    )


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
