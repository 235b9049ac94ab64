"""Receivers of Django's own signals (connected in TenantsConfig.ready)."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in

JUST_SIGNED_IN = "tenants.just_signed_in"


def _remember_sign_in(sender, request, user, **kwargs) -> None:
    """Marks a sign-in on the public site, so its start page can take a person with one company straight
    into it (once: later visits show the list of companies)."""
    tenant = getattr(request, "tenant", None)
    if request is not None and hasattr(request, "session") and (tenant is None or tenant.schema_name == "public"):
        request.session[JUST_SIGNED_IN] = True


def connect() -> None:
    user_logged_in.connect(_remember_sign_in, dispatch_uid="tenants.remember_sign_in")
