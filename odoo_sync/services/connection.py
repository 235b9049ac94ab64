"""The owners' "test connection" button: which Odoo answers, and whether the apps the sync needs are
installed there."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import ClientError
from core.tenancy import check_tenant
from odoo_sync.clients.odoo import get_odoo_client

# What pushing orders, deliveries and invoices needs on the Odoo side.
REQUIRED_APPS = ("sale", "stock", "account")


@dataclass(frozen=True)
class ConnectionReport:
    ok: bool
    protocol: str = ""
    version: str = ""
    installed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    error: str = ""
    calls: int = 0
    apps: dict = field(default_factory=dict)


def connection_test(*, tenant, actor) -> ConnectionReport:
    """Asks the tenant's Odoo its version (unauthenticated) and, signed in with the stored credentials,
    which of REQUIRED_APPS are installed. Never raises for Odoo's answers: a failure is in the report,
    with Odoo's message. Audited with the outcome (never a credential)."""
    check_tenant(tenant)
    protocol = ""
    try:
        client = get_odoo_client(tenant)
        protocol = client.protocol
        version = client.version()
        rows = client.search_read(
            "ir.module.module", [("name", "in", list(REQUIRED_APPS)), ("state", "=", "installed")], ["name"]
        )
    except ClientError as error:
        report = ConnectionReport(ok=False, protocol=protocol, error=error.message)
    else:
        installed = tuple(sorted({row["name"] for row in rows} & set(REQUIRED_APPS)))
        missing = tuple(app for app in REQUIRED_APPS if app not in installed)
        report = ConnectionReport(
            ok=not missing,
            protocol=protocol,
            version=version.version,
            installed=installed,
            missing=missing,
            error=_("Install these Odoo apps: %(apps)s.") % {"apps": ", ".join(missing)} if missing else "",
            calls=client.calls,
            apps={app: app in installed for app in REQUIRED_APPS},
        )
    audit_log(
        action="odoo.connection_test",
        actor=actor,
        object_type="odoo_sync.connection",
        object_repr="Odoo",
        changes={"ok": report.ok, "version": report.version, "missing": list(report.missing), "error": report.error},
    )
    return report
