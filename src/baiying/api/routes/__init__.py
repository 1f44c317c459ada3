"""The API's routers, one module per resource; `ROUTERS` is what `create_app` includes."""

from fastapi import APIRouter

from baiying.api.routes import (
    agents_admin,
    audit,
    auth,
    care,
    chat,
    customer_products,
    customer_timeline,
    customers,
    health,
    live,
    notifications,
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
    notifications.notifications,
    notifications.templates,
    notifications.webhooks,
    care.router,
    customer_timeline.router,  # before customers.router: /api/customers/fcr is not a customer id
    customers.router,
    customer_products.router,
    customers.settings_router,
    customer_timeline.screen_pop_router,
    chat.visitor,
    chat.agent,
)
