"""Talking to the server as a user does: log in for a bearer token, and the errors worth reporting."""

from typing import Any

import httpx

from baiying.errors import DomainError


class TrafficError(DomainError):
    """The server refused what a traffic generator or bot needs to start (log in, find its agent)."""

    code = "traffic-refused"


def log_in(client: httpx.Client, login: str, password: str) -> dict[str, Any]:
    """Log in and send the bearer token with every later request of `client`; returns the user
    (`/api/me`'s answer). Raises TrafficError when refused."""
    response = client.post("/api/auth/login", json={"login": login, "password": password})
    if response.status_code != 200:
        raise TrafficError(f"log in as {login!r} refused: {response.status_code} {describe(response)}")
    client.cookies.clear()  # the bearer token only, as an API client
    client.headers["Authorization"] = f"Bearer {response.json()['token']}"
    user: dict[str, Any] = response.json()["user"]
    return user


def describe(response: httpx.Response) -> str:
    """The error's machine-readable code and message, else the body."""
    try:
        error = response.json()["error"]
        return f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return response.text[:200]
