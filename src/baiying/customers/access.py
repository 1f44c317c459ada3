"""Who sees which customers, and who sees their personal data in lists.

- An admin sees and changes every customer of the tenant and always sees PII.
- A supervisor sees and changes the customers of their site (all, with a grant for every site); a
  customer without a site is tenant-wide, visible to every supervisor.
- An agent sees (and may correct the profile of) every customer of the tenant, unless the tenant's
  `agents_see_own_site_only` is set: then only the customers of the agent's own site.
- Lists mask PII (names, contact points, birthdays) unless one of the viewer's roles is in the tenant's
  `pii_roles`; a single customer opened by id or by screen pop is shown in full to whoever may see it.

Deleting, merging, importing and the settings are an admin's.
"""

from collections.abc import Iterable
from dataclasses import dataclass

ADMIN, SUPERVISOR, AGENT = "admin", "supervisor", "agent"


@dataclass(frozen=True, slots=True)
class Viewer:
    user: str
    roles: frozenset[str]
    sites: frozenset[str] | None  # customers of these sites only; None: every customer
    sees_siteless: bool  # customers without a site
    sees_pii_in_lists: bool
    writes: bool  # may create customers and products (admin, supervisor)

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles

    def sees(self, site_id: str | None) -> bool:
        if self.sites is None:
            return True
        if site_id is None:
            return self.sees_siteless
        return site_id in self.sites

    def may_update(self, site_id: str | None) -> bool:
        return self.sees(site_id)


@dataclass(frozen=True, slots=True)
class Grant:
    role: str
    site_id: str | None = None  # a supervisor's site (None: every site); an agent's own site


def viewer(
    user: str,
    grants: Iterable[Grant],
    *,
    agents_see_own_site_only: bool,
    pii_roles: Iterable[str],
) -> Viewer:
    """The viewer a user's grants make, under the tenant's settings (see the module docstring)."""
    grants = list(grants)
    roles = frozenset(g.role for g in grants)
    sites: set[str] = set()
    everything = False
    siteless = False
    for grant in grants:
        if grant.role == ADMIN:
            everything = True
        elif grant.role == SUPERVISOR:
            siteless = True
            if grant.site_id is None:
                everything = True
            else:
                sites.add(grant.site_id)
        elif grant.role == AGENT:
            if not agents_see_own_site_only:
                everything = True
            elif grant.site_id is not None:
                sites.add(grant.site_id)
    return Viewer(
        user=user,
        roles=roles,
        sites=None if everything else frozenset(sites),
        sees_siteless=everything or siteless,
        sees_pii_in_lists=ADMIN in roles or bool(roles & set(pii_roles)),
        writes=bool(roles & {ADMIN, SUPERVISOR}),
    )


def mask_name(name: str) -> str:
    """ "李娜" -> "李*", "Li Na" -> "L****": the first character kept, as receipts print names."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else name


def mask_point(kind: str, value: str) -> str:
    """+8613800138000 -> +86138****8000; li.na@example.com -> l***@example.com; a chat id's first 4."""
    if kind == "phone":
        return value[:6] + "****" + value[-4:] if len(value) > 10 else value[:3] + "****"
    if kind == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    return value[:4] + "***"
