"""Odoo's external API behind one interface, `OdooTransport`, with three implementations:

- `XmlRpcTransport`: `/xmlrpc/2/common` and `/xmlrpc/2/object` (stdlib xmlrpc.client), Odoo 8 to 19;
- `JsonRpcTransport`: `/jsonrpc` through `odoorpc` (Odoo 10 to 19);
- `Json2Transport`: Odoo 19's `/json/2/<model>/<method>` with a bearer API key (the successor of both,
  which Odoo 20 keeps when it drops the others).

Every call has a timeout. Every vendor error becomes `TransientClientError` (down, slow, overloaded,
a serialization conflict: retry later) or `PermanentClientError` (refused login, a record Odoo refuses,
a missing app: a person must fix something), carrying Odoo's own message. Facts seen against a real
Odoo 17 that shape this module (see ../shared/contracts/README.md):

- XML-RPC cannot marshal a None result: the method ran (and committed) but the answer is a Fault
  "cannot marshal None unless allow_none is enabled". That Fault is a success whose value is None;
  callers read the record back.
- `read` / `search_read` always name their fields: odoorpc's `browse()` on `account.move` fails on
  frozendict values and keeps stale values, so it is never used (only `execute_kw`).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import PermanentClientError
from odoo_sync.clients.odoo.base import (
    _SESSIONS,
    PROTOCOLS,
    SESSION_TTL,
    OdooConfig,
    OdooTransport,
    ServerVersion,
    forget_session,
)
from odoo_sync.clients.odoo.json2 import Json2Transport
from odoo_sync.clients.odoo.rpc import JsonRpcTransport, XmlRpcTransport

__all__ = [
    "PROTOCOLS",
    "SESSION_TTL",
    "TRANSPORTS",
    "_SESSIONS",
    "Json2Transport",
    "JsonRpcTransport",
    "OdooConfig",
    "OdooNotConfigured",
    "OdooTransport",
    "ServerVersion",
    "XmlRpcTransport",
    "forget_session",
    "get_odoo_client",
    "odoo_config",
    "transport_for",
]

TRANSPORTS = {"xmlrpc": XmlRpcTransport, "jsonrpc": JsonRpcTransport, "json2": Json2Transport}


def transport_for(config: OdooConfig) -> OdooTransport:
    if config.protocol not in TRANSPORTS:
        raise PermanentClientError(_("Unknown Odoo protocol %(protocol)s.") % {"protocol": config.protocol})
    return TRANSPORTS[config.protocol](config)


class OdooNotConfigured(PermanentClientError):
    pass


def odoo_config(tenant) -> OdooConfig:
    """The tenant's Odoo connection from the vault. OdooNotConfigured when a value is missing."""
    from tenants.models import Credential
    from tenants.vault import vault_get

    values = vault_get(tenant=tenant, kind=Credential.Kind.ODOO) or {}
    protocol = values.get("protocol") or "xmlrpc"
    needed = ["url", "api_key"] + ([] if protocol == "json2" else ["database", "username"])
    if any(not values.get(name) for name in needed):
        raise OdooNotConfigured(
            _("The Odoo connection is not configured: an owner sets it in Settings, Credentials."), code="config"
        )
    return OdooConfig(
        url=values["url"],
        database=values.get("database", ""),
        username=values.get("username", ""),
        secret=values["api_key"],
        protocol=protocol,
        timeout=float(settings.ODOO_TIMEOUT),
    )


def get_odoo_client(tenant) -> OdooTransport:
    """The transport the tenant's credentials choose (protocol), ready to call."""
    return transport_for(odoo_config(tenant))
