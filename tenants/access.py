"""Who may open a tenant page. Every tenant view declares its roles with `@roles_required(...)`."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from tenants.models import Role

ALL_ROLES = tuple(Role.values)


def roles_required(*roles: str):
    """Anonymous users go to the login page; users without an active membership in this host's tenant,
    or with another role, get the 403 page (which names nothing of the tenant)."""
    allowed = tuple(roles) or ALL_ROLES
    unknown = set(allowed) - set(ALL_ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = getattr(request, "membership", None)
            if membership is None or membership.role not in allowed:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = allowed
        return wrapper

    return decorator


def public_view(view):
    """Marks a tenant-host view that needs no membership (login, hand-off, health, errors)."""
    view.allowed_roles = ()
    view.is_public = True
    return view


def signed_in_view(view):
    """A view any signed-in user may open, member of this tenant or not (switching tenant, the chooser)."""
    from django.contrib.auth.decorators import login_required

    wrapped = login_required(view)
    wrapped.allowed_roles = ()
    wrapped.signed_in_only = True
    return wrapped
