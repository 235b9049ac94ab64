"""What the base layout needs: the tenant, the user's membership and other tenants, the sidebar."""

from __future__ import annotations

from django.conf import settings
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.translation import gettext_lazy as _

from tenants.models import Role

# (url name, label, icon, roles). An entry appears only once its URL exists, so capabilities not
# built yet stay hidden instead of being dead links, and only to the roles its view admits, so nobody
# is shown a link that answers 403.
SIDEBAR = [
    ("tenants:home", _("Dashboard"), "home", None),
    ("crm:lead-list", _("Leads"), "users", (Role.OWNER, Role.SELLER)),
    ("crm:board", _("Pipeline"), "columns", (Role.OWNER, Role.SELLER)),
    ("agenda:calendar", _("Agenda"), "calendar", (Role.OWNER, Role.SELLER)),
    ("chats:inbox", _("Chats"), "chat", (Role.OWNER, Role.SELLER)),
    ("marketing:hub", _("Marketing"), "megaphone", (Role.OWNER, Role.MARKETING)),
    ("crm:document-list", _("Documents"), "file", (Role.OWNER, Role.ACCOUNTANT)),
    ("crm:analytics", _("Analytics"), "chart", (Role.OWNER,)),
    ("tenants:staff", _("Staff"), "badge", (Role.OWNER,)),
    ("core:audit-list", _("Audit log"), "list", (Role.OWNER,)),
    ("tenants:settings", _("Settings"), "gear", (Role.OWNER,)),
]


def _sidebar(request, membership):
    items = []
    for name, label, icon, roles in SIDEBAR:
        if roles is not None and membership.role not in roles:
            continue
        try:
            url = reverse(name)
            view = resolve(url).func
        except (NoReverseMatch, Resolver404):
            continue
        allowed = getattr(view, "allowed_roles", ())
        if allowed and membership.role not in allowed:
            continue
        active = request.path == url if url == "/" else request.path.startswith(url)
        items.append({"name": name, "url": url, "label": label, "icon": icon, "active": active})
    return items


def layout(request):
    tenant = getattr(request, "tenant", None)
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    in_tenant = tenant is not None and tenant.schema_name != "public"
    context = {
        # A signed-in user without a membership here learns nothing of the tenant, not even its name.
        "current_tenant": tenant if in_tenant and (membership is not None or not signed_in) else None,
        "membership": membership,
        "languages": settings.LANGUAGES,
        "sidebar": [],
        "other_memberships": [],
    }
    if not signed_in:
        return context
    from tenants.selectors import pending_count, user_active_memberships

    context["other_memberships"] = [
        m for m in user_active_memberships(user=user) if tenant is None or m.tenant_id != tenant.pk
    ]
    if membership is not None:
        context["sidebar"] = _sidebar(request, membership)
        if membership.role == Role.OWNER:
            context["pending_count"] = pending_count(tenant=tenant)
    return context
