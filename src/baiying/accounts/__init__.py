"""Accounts and access: users' passwords, logging in, session tokens, the failed-login limiter and the
access policy (`can(principal, action, resource)`).

Application-level: it uses the storage repositories and knows no web framework; the HTTP adapter
(`baiying.api`) and the CLI call it.
"""

from baiying.accounts.errors import (
    Forbidden,
    InvalidCredentials,
    InvalidSecretKey,
    RateLimited,
    TokenExpired,
    Unauthenticated,
    WeakPassword,
)
from baiying.accounts.login import Accounts, LoggedIn, authenticate, principal_of
from baiying.accounts.passwords import Passwords, generate_password
from baiying.accounts.policy import POLICY, Action, Kind, Resource, Scope, can, require, resource
from baiying.accounts.principal import Grant, Principal
from baiying.accounts.ratelimit import LoginRateLimiter
from baiying.accounts.secret import secret_key
from baiying.accounts.tokens import RevokedSessions, SessionClaims, SessionTokens, TokenKind

__all__ = [
    "POLICY",
    "Accounts",
    "Action",
    "Forbidden",
    "Grant",
    "InvalidCredentials",
    "InvalidSecretKey",
    "Kind",
    "LoggedIn",
    "LoginRateLimiter",
    "Passwords",
    "Principal",
    "RateLimited",
    "Resource",
    "RevokedSessions",
    "Scope",
    "SessionClaims",
    "SessionTokens",
    "TokenExpired",
    "TokenKind",
    "Unauthenticated",
    "WeakPassword",
    "authenticate",
    "can",
    "generate_password",
    "principal_of",
    "require",
    "resource",
    "secret_key",
]
