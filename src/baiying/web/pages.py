"""The browser's pages, rendered on the server (Jinja2) and brought to life by small scripts that call
the same HTTP API and WebSocket streams as any client.

- `/`: the user's home (the wallboard for supervisors and admins, the desktop for agents), or `/login`;
- `/login`: the form posts to `POST /api/auth/login`, which sets the session cookie;
- `/lang/{language}?next=/path`: remembers the browser's language (a cookie) and goes back; the page's
  switcher also saves it on the account of a logged-in user first (`PATCH /api/me`);
- `/chat?tenant=...&queue=...`: the customer web chat a company puts on its site (no login; the
  tenant and queue default to `BAIYING_CHAT_TENANT` and `BAIYING_CHAT_QUEUE`);
- `/agent`: the agent desktop; `/wallboard`: the supervisor wallboard (with `/wallboard/agents`, the
  live agents the user may see, and `/wallboard/intraday`, today's intervals, as JSON);
- `/admin`: sites, teams, agents and skills, routing policies, ticket workflows (the ticket configuration
  files), wrap-up codes, users and the audit log
  (each section as the user's roles allow; every change through the admin API);
- `/reports`: KPIs, FCR, ticket SLA attainment and offer conversion over a date range, with charts and
  CSV downloads (`/api/reports/...`);
- `/web/static/...`: the pages' scripts and styles; `/web/vendor/chart.js`: the Chart.js file vendored
  for the HTML reports, served from there.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from baiying.accounts.policy import Action, Kind, can, can_ever, require, resource
from baiying.accounts.principal import Principal
from baiying.accounts.tokens import TokenKind
from baiying.api.deps import (
    LANGUAGE_COOKIE,
    LANGUAGE_COOKIE_MAX_AGE,
    SESSION_COOKIE,
    CenterDep,
    CurrentUser,
    SessionDep,
    StateDep,
    StatsDep,
)
from baiying.api.routes.chat import defaults as chat_defaults
from baiying.api.routes.reports import tenant_timezone
from baiying.api.schemas.reports import KPI_COLUMNS
from baiying.chat.model import MAX_MESSAGE_CHARS
from baiying.errors import DomainError
from baiying.storage.repositories import (
    AgentRepository,
    QueueRepository,
    SiteRepository,
    WrapUpCodeRepository,
)
from baiying.storage.tables import Role, TenantRow
from baiying.web.messages import MESSAGES, Language, catalogue, from_accept_language, parse_language

HERE = Path(__file__).resolve().parent
STATIC_DIR: Final = HERE / "static"
STATIC_PATH: Final = "/web/static"
CHART_JS: Final = HERE.parent / "reports" / "static" / "chart.umd.min.js"
KPI_TABLES: Final = tuple(KPI_COLUMNS)

# Aux reasons an agent picks from (the API takes any short text; these are the desktop's codes, each
# with an "aux.<code>" message).
AUX_REASONS: Final = ("break", "lunch", "meeting", "training", "coaching")

router = APIRouter(include_in_schema=False)

_templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def language_of(request: Request, principal: Principal | None = None) -> Language:
    """The user's language: the one saved on their account, else their cookie, else their tenant's
    default (`request.state.tenant_language`, set by `viewer` or the chat page), else their browser's,
    else English."""
    saved = parse_language(principal.language) if principal is not None else None
    if saved is not None:
        return saved
    chosen = parse_language(request.cookies.get(LANGUAGE_COOKIE))
    if chosen is not None:
        return chosen
    tenant_default = parse_language(getattr(request.state, "tenant_language", None))
    if tenant_default is not None:
        return tenant_default
    return from_accept_language(request.headers.get("accept-language"))


def tenant_language(session: Session, tenant_id: str) -> str | None:
    """The tenant's default page language (None: none set, or no such tenant)."""
    return session.scalar(select(TenantRow.default_language).where(TenantRow.id == tenant_id))


def translator(language: Language) -> Any:
    messages = catalogue(language)

    def t(key: str, **values: object) -> str:
        if key not in MESSAGES:
            raise KeyError(f"no message {key!r} in baiying.web.messages")
        text = messages[key]
        return text.format(**values) if values else text

    return t


def viewer(request: Request, state: StateDep, session: SessionDep) -> Principal | None:
    """Who the session cookie stands for, or None (no cookie, expired, logged out, user deactivated)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        principal, _claims = state.accounts.principal(session, cookie, TokenKind.COOKIE)
        request.state.tenant_language = tenant_language(session, principal.tenant_id)
    except DomainError:
        return None
    finally:
        session.rollback()  # end the read
    return principal


ViewerDep = Annotated[Principal | None, Depends(viewer)]


def may_watch(principal: Principal) -> bool:
    return can_ever(principal, Action.READ, Kind.STATS)


def agent_of(principal: Principal) -> str | None:
    """The agent record the user works as (the first, if several)."""
    return min(principal.agent_ids) if principal.agent_ids else None


def may_administer(principal: Principal) -> bool:
    """Admins, and supervisors (who read their sites, teams, agents and the wrap-up codes there)."""
    return can_ever(principal, Action.READ, Kind.SITE)


def may_report(principal: Principal) -> bool:
    """Admins and supervisors: a site supervisor's KPI report covers their own sites."""
    return can_ever(principal, Action.READ, Kind.STATS)


def home_of(principal: Principal) -> str:
    if may_watch(principal):
        return "/wallboard"
    if agent_of(principal) is not None:
        return "/agent"
    return "/docs"


def _safe_next(target: str | None) -> str:
    """A path on this site (never another host) to go back to."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@dataclass(frozen=True)
class NavItem:
    href: str
    key: str


def _nav(principal: Principal | None) -> list[NavItem]:
    if principal is None:
        return []
    items = []
    if agent_of(principal) is not None:
        items.append(NavItem("/agent", "nav.desktop"))
    if may_watch(principal):
        items.append(NavItem("/wallboard", "nav.wallboard"))
    if may_report(principal):
        items.append(NavItem("/reports", "nav.reports"))
    if may_administer(principal):
        items.append(NavItem("/admin", "nav.admin"))
    items.append(NavItem("/docs", "nav.api"))
    return items


def render(
    request: Request,
    template: str,
    principal: Principal | None,
    *,
    status_code: int = 200,
    page: dict[str, Any] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page in the user's language; `page` travels to the page's script as JSON."""
    language = language_of(request, principal)
    body = _templates.get_template(template).render(
        t=translator(language),
        lang=language,
        messages=catalogue(language),
        user=principal,
        nav=_nav(principal),
        path=request.url.path,
        here=quote(request.url.path + (f"?{request.url.query}" if request.url.query else "")),
        static=STATIC_PATH,
        page=page or {},
        **context,
    )
    return HTMLResponse(body, status_code=status_code, headers={"Cache-Control": "no-store"})


def _to_login(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)


@router.get("/")
def home(principal: ViewerDep) -> RedirectResponse:
    return RedirectResponse(home_of(principal) if principal is not None else "/login", status_code=303)


@router.get("/login", response_model=None)
def login_page(request: Request, principal: ViewerDep, next: str | None = None) -> Response:
    if principal is not None:
        return RedirectResponse(_safe_next(next) if next else home_of(principal), status_code=303)
    return render(request, "login.html", None, page={"next": _safe_next(next)})


@router.get("/lang/{language}")
def switch_language(language: str, next: str | None = None) -> RedirectResponse:
    response = RedirectResponse(_safe_next(next), status_code=303)
    chosen = parse_language(language)
    if chosen is not None:
        response.set_cookie(
            LANGUAGE_COOKIE, chosen, max_age=LANGUAGE_COOKIE_MAX_AGE, path="/", samesite="lax"
        )
    return response


def _forbidden(request: Request, principal: Principal, message: str) -> HTMLResponse:
    return render(request, "forbidden.html", principal, status_code=403, message=message)


@router.get("/agent", response_model=None)
def agent_desktop(request: Request, principal: ViewerDep, session: SessionDep) -> Response:
    if principal is None:
        return _to_login(request)
    agent_id = agent_of(principal)
    if agent_id is None:
        return _forbidden(request, principal, "error.forbidden.agent")
    tenant = principal.tenant_id
    codes = [
        {"code": row.code, "label": row.label}
        for row in WrapUpCodeRepository(session, tenant).list()
        if row.active
    ]
    # Agents may transfer to any queue (transferring is an update of their own contact); the API lets
    # them read no queue, so the desktop names the tenant's queues itself.
    queues = [
        {"id": row.id, "name": row.name, "offer_timeout_seconds": row.offer_timeout_seconds}
        for row in QueueRepository(session, tenant).list()
    ]
    # The colleagues a contact may be transferred to by name (the router offers it to them when free).
    colleagues = [
        {"id": row.id, "name": row.display_name}
        for row in AgentRepository(session, tenant).list(active=True)
        if row.id != agent_id
    ]
    session.rollback()
    page = {"agent": agent_id, "codes": codes, "queues": queues, "aux": list(AUX_REASONS)}
    return render(
        request,
        "agent.html",
        principal,
        page=page,
        agent_id=agent_id,
        codes=codes,
        queues=queues,
        colleagues=colleagues,
        aux=AUX_REASONS,
    )


@router.get("/chat")
def chat_page(
    request: Request, session: SessionDep, tenant: str | None = None, queue: str | None = None
) -> HTMLResponse:
    """The visitor's chat: the tenant and queue come from the page's query (the company's embed code),
    else from the server's settings; in the tenant's default language unless the visitor chose one."""
    fallback = chat_defaults()
    tenant_id = (tenant or fallback["tenant"] or "")[:64]
    page = {
        "tenant": tenant_id,
        "queue": (queue or fallback["queue"] or "")[:64],
        "max_chars": MAX_MESSAGE_CHARS,
        "poll_ms": 1000,
    }
    request.state.tenant_language = tenant_language(session, tenant_id) if tenant_id else None
    session.rollback()  # end the read
    return render(request, "chat.html", None, page=page)


@router.get("/wallboard", response_model=None)
def wallboard(request: Request, principal: ViewerDep, session: SessionDep) -> Response:
    if principal is None:
        return _to_login(request)
    if not may_watch(principal):
        return _forbidden(request, principal, "error.forbidden.wallboard")
    tenant = principal.tenant_id
    sites = [
        {
            "id": row.id,
            "name": row.name,
            "status": row.status,
            "can_change": can(
                principal, Action.CHANGE_STATUS, resource(Kind.SITE, tenant, row.id, site=row.id)
            ),
        }
        for row in SiteRepository(session, tenant).list()
        if can(principal, Action.READ, resource(Kind.SITE, tenant, row.id, site=row.id))
    ]
    session.rollback()
    page = {"sites": sites, "aux": list(AUX_REASONS)}
    return render(request, "wallboard.html", principal, page=page, sites=sites)


class LiveAgent(BaseModel):
    id: str
    site: str
    state: str
    reason: str | None
    since: float
    contacts: int
    can_force: bool


@router.get("/wallboard/agents")
def live_agents(principal: CurrentUser, center: CenterDep) -> list[LiveAgent]:
    """The logged-in agents the user may read, with their state and since when (for the wallboard)."""
    tenant = principal.tenant_id
    found = []
    for status in sorted(center.agents(tenant), key=lambda a: a.agent_id):
        target = resource(Kind.AGENT, tenant, status.agent_id, site=status.site_id, agent=status.agent_id)
        if can(principal, Action.READ, target):
            found.append(
                LiveAgent(
                    id=status.agent_id,
                    site=status.site_id,
                    state=status.state,
                    reason=status.reason,
                    since=status.since,
                    contacts=len(status.contacts),
                    can_force=can(principal, Action.FORCE_STATE, target),
                )
            )
    return found


class IntervalPoint(BaseModel):
    start: float  # seconds since the epoch
    offered: int
    answered: int
    abandoned: int
    service_level: float | None


@router.get("/wallboard/intraday")
def intraday(principal: CurrentUser, live: StatsDep) -> list[IntervalPoint]:
    """Today's intervals with activity, tenant-wide (for those who may read tenant-wide statistics): the
    wallboard's volume and service-level chart."""
    tenant = principal.tenant_id
    require(principal, Action.READ, resource(Kind.STATS, tenant))
    return [
        IntervalPoint(
            start=row.start.timestamp(),
            offered=row.kpis.offered,
            answered=row.kpis.answered,
            abandoned=row.kpis.abandoned,
            service_level=row.kpis.service_level,
        )
        for row in live.today(tenant).intervals
    ]


@router.get("/web/vendor/chart.js")
def chart_js() -> FileResponse:
    """Chart.js (MIT), the copy vendored for the HTML reports."""
    return FileResponse(CHART_JS, media_type="text/javascript")


# Admin sections, each shown when the user may read its kind of record; `edit` when they may change it.
ADMIN_SECTIONS: Final = (
    ("sites", Kind.SITE),
    ("teams", Kind.TEAM),
    ("agents", Kind.AGENT),
    ("policies", Kind.ROUTING_POLICY),
    ("codes", Kind.WRAP_UP_CODE),
    ("users", Kind.USER),
    ("tenant", Kind.TENANT),
    ("audit", Kind.AUDIT_LOG),
)


@router.get("/admin", response_model=None)
def admin_page(request: Request, principal: ViewerDep) -> Response:
    if principal is None:
        return _to_login(request)
    if not may_administer(principal):
        return _forbidden(request, principal, "error.forbidden.admin")
    sections = [
        {
            "id": name,
            "edit": can_ever(principal, Action.UPDATE, kind) or can_ever(principal, Action.CREATE, kind),
        }
        for name, kind in ADMIN_SECTIONS
        if can_ever(principal, Action.READ, kind)
    ]
    if principal.roles & {Role.ADMIN, Role.SUPERVISOR}:
        # The ticket configuration is granted by role, as its API does (/api/ticket-config).
        before_codes = next((i for i, s in enumerate(sections) if s["id"] == "codes"), len(sections))
        sections.insert(before_codes, {"id": "workflows", "edit": Role.ADMIN in principal.roles})
    return render(request, "admin.html", principal, page={"sections": sections}, sections=sections)


@router.get("/reports", response_model=None)
def reports_page(request: Request, principal: ViewerDep, session: SessionDep) -> Response:
    if principal is None:
        return _to_login(request)
    if not may_report(principal):
        return _forbidden(request, principal, "error.forbidden.reports")
    timezone = tenant_timezone(session, principal.tenant_id)
    # the sites the user may narrow the reports to (the API refuses any other)
    sites = [
        {"id": row.id, "name": row.name}
        for row in SiteRepository(session, principal.tenant_id).list()
        if can(principal, Action.READ, resource(Kind.STATS, principal.tenant_id, row.id, site=row.id))
    ]
    session.rollback()
    page = {"timezone": timezone, "tables": list(KPI_TABLES)}
    return render(
        request, "reports.html", principal, page=page, timezone=timezone, tables=KPI_TABLES, sites=sites
    )
