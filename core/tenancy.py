"""The company a piece of code works for, stated or checked, never guessed.

Pages get it from the Host; tasks from tenant-schemas-celery; commands, consumers and scripts enter one
with `tenant_context(tenant)`. Under a bare `schema_context`, django-tenants puts a `FakeTenant` stand-in
on the connection, without the company's settings (country, assignment rule, language...): code that
needs those asks `current_tenant()`, which refuses the stand-in loudly instead of using defaults.
"""

from __future__ import annotations

from django.db import connection


class TenantRequired(RuntimeError):
    """Raised when code that works for a company runs outside one (public schema, or a bare
    schema_context). A programming error, never shown to users as such."""


def current_tenant():
    """The real Tenant the connection is set to. Raises TenantRequired in the public schema or under a
    bare `schema_context` (enter the company with `tenant_context(tenant)` instead)."""
    from tenants.models import Tenant

    tenant = getattr(connection, "tenant", None)
    if not isinstance(tenant, Tenant) or tenant.schema_name == "public":
        raise TenantRequired(
            "This needs a company: enter it with django_tenants.utils.tenant_context(tenant), "
            f"not schema_context (connection is on {connection.schema_name!r})."
        )
    return tenant


def check_tenant(tenant) -> None:
    """A service given `tenant` explicitly checks the connection is in that company's schema, so that a
    caller cannot write one company's data while believing it is in another."""
    if tenant is None or getattr(tenant, "schema_name", None) in (None, "public"):
        raise TenantRequired("A company is required.")
    if connection.schema_name != tenant.schema_name:
        raise TenantRequired(
            f"The connection is on {connection.schema_name!r}, not on the company {tenant.schema_name!r}: "
            "enter it with tenant_context(tenant)."
        )
