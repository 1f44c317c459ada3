"""Every error leaves the API as JSON `{"error": {"code", "message", "details"}}`, its HTTP status
looked up by code in `STATUS_BY_CODE`, the one table of them.

Domain errors carry their code; request validation (422 `invalid-request`, naming each field's path),
malformed JSON (400 `malformed-json`), the framework's own HTTP errors (unknown route, wrong method,
too large a body) and a value the database refuses (422 `unstorable-value`) are given one here. Anything
else is a bug: 500 `internal-error`, without details.
"""

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from baiying.errors import DomainError

log = logging.getLogger(__name__)

STATUS_BY_CODE: Final[Mapping[str, int]] = {
    # the request itself
    "malformed-json": 400,
    "bad-request": 400,
    "invalid-request": 422,
    "invalid-config": 422,
    "invalid-record": 422,
    "weak-password": 422,
    "unstorable-value": 422,
    "invalid-contact": 422,
    "invalid-route-out": 422,
    "unknown-wrap-up-code": 422,  # named in a request body (completing a contact), not in the path
    "unknown-template": 422,  # named in a request body (sending a notification)
    "invalid-recipient": 422,
    "template-variable-missing": 422,
    "template-not-for-channel": 422,
    "body-too-large": 413,
    "method-not-allowed": 405,
    # who is asking
    "unauthenticated": 401,
    "invalid-credentials": 401,
    "token-expired": 401,
    "forbidden": 403,
    "rate-limited": 429,
    # another server (the one the traffic generator and bot agents drive) refused us
    "traffic-refused": 502,
    # the live demo's own server could not be started or reached (a CLI error; listed for completeness)
    "demo-failed": 503,
    # what is asked for
    "not-found": 404,
    "unknown-queue": 404,
    "unknown-agent": 404,
    "unknown-contact": 404,
    "unknown-site": 404,
    # a check inside an accept/complete command found the contact out of the router; the route catches it
    # and answers as the full lookup does (listed in case one ever escapes)
    "not-routed": 404,
    "conflict": 409,
    "invalid-transition": 409,
    # tickets
    "unknown-ticket": 404,
    "unknown-transition": 422,  # named in the request body
    "transition-not-available": 409,
    "transition-forbidden": 403,
    "missing-fields": 422,
    "invalid-ticket": 422,
    "invalid-calendar": 422,
    "unknown-rule": 422,  # named in the request body
    "attachment-too-large": 413,
    "unsupported-attachment-type": 415,
    # the server's state
    "database-unavailable": 503,
    # call control (voice), where the server hosts it
    "voice-unavailable": 503,
    "not-supported-by-switch": 501,
    "database-not-migrated": 503,
    "invalid-database-url": 500,
    "invalid-secret-key": 500,
    "invalid-settings": 500,
    "unreadable-event": 500,
    "internal-error": 500,
    # the planning tools', should an endpoint expose them
    "invalid-call-log": 422,
    "invalid-report-settings": 422,
    "invalid-analytics-settings": 422,
    "invalid-queue-parameters": 422,
    "unstable-queue": 422,
    "cannot-fit": 422,
    # customers (issue 5)
    "invalid-contact-point": 422,
    "invalid-customer-import": 422,
    "invalid-lookup": 422,
    "unknown-customer": 404,
    "unknown-product": 404,
    "contact-point-taken": 409,
    "invalid-merge": 409,
    # the knowledge base
    "invalid-article": 422,
    "empty-search-query": 422,
    "unknown-article-version": 404,
    # customer web chat (issue 6)
    "invalid-chat-message": 422,
    "chat-rate-limited": 429,
    "chat-closed": 409,
    "unknown-conversation": 404,
    "invalid-chat-token": 403,
}
UNLISTED_DOMAIN_ERROR_STATUS = 400  # a domain error is the caller's; a test keeps this table complete

# The framework raises bare HTTP statuses; these are the codes they stand for.
CODE_BY_FRAMEWORK_STATUS: Final[Mapping[int, str]] = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "body-too-large",
}


def status_of(code: str) -> int:
    return STATUS_BY_CODE.get(code, UNLISTED_DOMAIN_ERROR_STATUS)


def error_body(code: str, message: str, details: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": dict(details or {})}}


def error_response(
    code: str,
    message: str,
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status_of(code), headers=headers)


async def domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = {}
    retry_after = exc.details.get("retry_after_seconds")
    if isinstance(retry_after, int | float):
        headers["Retry-After"] = str(int(retry_after))
    if exc.code in ("unauthenticated", "token-expired", "invalid-credentials"):
        headers["WWW-Authenticate"] = "Bearer"
    return error_response(exc.code, exc.message, exc.details, headers)


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        first = errors[0]
        position = first["loc"][-1] if first.get("loc") else None
        reason = str(first.get("ctx", {}).get("error", "not JSON"))
        return error_response(
            "malformed-json",
            f"the request body is not valid JSON: {reason} at character {position}",
            {"position": position, "reason": reason},
        )
    problems = [_problem(error) for error in errors]
    message = "; ".join(f"{p['field']}: {p['reason']}" for p in problems)
    return error_response("invalid-request", message, {"problems": problems})


def _problem(error: Mapping[str, Any]) -> dict[str, Any]:
    location: Sequence[Any] = error.get("loc", ())
    return {
        "field": ".".join(str(part) for part in location),
        "reason": str(error.get("msg", "invalid")),
        "type": str(error.get("type", "invalid")),
    }


async def http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = CODE_BY_FRAMEWORK_STATUS.get(
        exc.status_code, "bad-request" if exc.status_code < 500 else "internal-error"
    )
    message = exc.detail if isinstance(exc.detail, str) else code
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)


async def data_error(request: Request, exc: Exception) -> JSONResponse:
    # The schemas should have refused the value; the database is the last line, not a 500.
    log.warning("the database refused a value on %s %s: %s", request.method, request.url.path, exc)
    return error_response("unstorable-value", "the database cannot store a value of this request")


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response("internal-error", "the server failed to handle the request; it has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(DataError, data_error)
    app.add_exception_handler(Exception, unexpected_error)
