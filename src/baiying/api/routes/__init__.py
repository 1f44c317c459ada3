"""The API's routers, one module per resource; `ROUTERS` is what `create_app` includes."""

from fastapi import APIRouter

from baiying.api.routes import (
    agents_admin,
    audit,
    auth,
    care,
    chat,
    contact_listing,
    customer_products,
    customer_timeline,
    customers,
    health,
    knowledge,
    live,
    notifications,
    outcome_reports,
    policies,
    queues,
    reports,
    site_holidays,
    sites,
    streams,
    teams,
    tickets,
    users,
    wrap_up_codes,
)

# A request is matched against the routers in this order, one by one (FastAPI: some 20 us a router passed
# over, 300 us before the contacts' routes came first); the contacts' routes, three calls per routed
# contact, come first. No other router serves a path under /api/contacts, so their place changes no answer.
ROUTERS: tuple[APIRouter, ...] = (
    live.contacts,
    health.router,
    auth.router,
    sites.router,
    site_holidays.router,
    wrap_up_codes.router,
    users.router,
    teams.router,
    agents_admin.router,
    queues.router,
    policies.router,
    audit.router,
    reports.router,
    outcome_reports.router,
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
    tickets.router,
    knowledge.router,
    contact_listing.router,
    chat.visitor,
    chat.agent,
)
