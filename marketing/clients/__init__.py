"""Clients of external systems used by the marketing hub. `get_meta_client(tenant)` picks the one for a
company: the sandbox (in-memory fake Graph) for the demo's sandbox connection, else the real Graph client
with the company's token from the vault."""

from __future__ import annotations

from functools import lru_cache

from django.utils import timezone

from core.errors import PermanentClientError


@lru_cache(maxsize=2)
def _sandbox_graph(today):
    from marketing.clients.fakes import sandbox_graph

    return sandbox_graph(today=today)


def get_meta_client(tenant, *, connection=None):
    from marketing.clients.fakes import SandboxMetaClient
    from marketing.clients.meta import GraphMetaClient
    from marketing.models import MetaConnection
    from tenants.models import Credential
    from tenants.vault import vault_get

    connection = connection or MetaConnection.objects.first()
    if connection is not None and connection.sandbox:
        return SandboxMetaClient(_sandbox_graph(timezone.localdate()))
    values = vault_get(tenant=tenant, kind=Credential.Kind.META) or {}
    token = values.get("access_token", "")
    if not token:
        raise PermanentClientError("No Meta token is stored for this company.")
    return GraphMetaClient(access_token=token)


def get_oauth_client():
    """A client without a company token, for the OAuth code exchange."""
    from marketing.clients.meta import GraphMetaClient

    return GraphMetaClient()
