"""What the base layout needs: the tenant, the user's membership and other tenants, the sidebar."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, Resolver404, get_script_prefix, get_urlconf, resolve, reverse

from core.registry import resolve_callable, sidebar_entries


@lru_cache(maxsize=256)
def _target(url_name: str, urlconf: str | None, prefix: str) -> tuple[str, tuple] | None:
    """An entry's URL and the roles its view admits (None: no such URL), found once per URL
    configuration: reversing and resolving a dozen entries on every page cost a few milliseconds."""
    try:
        url = reverse(url_name, urlconf=urlconf)
        view = resolve(url, urlconf=urlconf).func
    except (NoReverseMatch, Resolver404):
        return None
    return url, tuple(getattr(view, "allowed_roles", ()) or ())


@receiver(setting_changed)
def _forget_targets(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _target.cache_clear()


def sidebar(request, membership):
    """The sidebar the apps declared (core.registry), for this member: an entry appears only once its URL
    exists, so capabilities not built yet stay hidden instead of being dead links, and only to the roles
    its view admits, so nobody is shown a link that answers 403."""
    items = []
    for entry in sidebar_entries():
        if entry.roles is not None and membership.role not in entry.roles:
            continue
        target = _target(entry.url_name, get_urlconf(), get_script_prefix())
        if target is None:
            continue
        url, allowed = target
        if allowed and membership.role not in allowed:
            continue
        badge = ""
        if entry.badge_template:
            badge_context = resolve_callable(entry.badge_context)(request, membership) if entry.badge_context else {}
            if badge_context is not None:
                badge = render_to_string(entry.badge_template, badge_context)
        active = request.path == url if url == "/" else request.path.startswith(url)
        items.append(
            {
                "name": entry.url_name,
                "url": url,
                "label": entry.label,
                "icon": entry.icon,
                "active": active,
                "badge": badge,
            }
        )
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
    from tenants.selectors import user_active_memberships

    context["other_memberships"] = [
        m for m in user_active_memberships(user=user) if tenant is None or m.tenant_id != tenant.pk
    ]
    if membership is not None:
        context["sidebar"] = sidebar(request, membership)
        from core.notifications import unread_count

        context["unread_notifications"] = unread_count(user_id=user.pk)
    return context
