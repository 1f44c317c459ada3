"""The API's routers, one module per resource; `ROUTERS` is what `create_app` includes."""

from fastapi import APIRouter

from baiying.api.routes import (
    agents_admin,
    audit,
    auth,
    contact_listing,
    health,
    live,
    policies,
    queues,
    sites,
    streams,
    teams,
    users,
    wrap_up_codes,
)

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    auth.router,
    sites.router,
    wrap_up_codes.router,
    users.router,
    teams.router,
    agents_admin.router,
    queues.router,
    policies.router,
    audit.router,
    live.contacts,
    live.queues,
    live.agents,
    live.stats,
    streams.router,
    contact_listing.router,
)
