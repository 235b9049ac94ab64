"""Every Odoo sync URL, probed from another company and from the roles it does not admit: a 403 on
acme's host, and acme's ids mean nothing on globex's own host. The URL walk fails when a new URL has
no probe here."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from odoo_sync.models import SyncExternal
from odoo_sync.services.push import document_push
from tenants.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@dataclass(frozen=True)
class Probe:
    method: str
    url: str  # {doc} the order's id, {row} a sync row's id
    data: tuple = ()
    senders_only: bool = True  # owners and accountants; False: owners only


PROBES = {
    "odoo_sync:overview": Probe("get", "/odoo/"),
    "odoo_sync:reconciliation": Probe("get", "/odoo/reconciliation/"),
    "odoo_sync:reconciliation-note": Probe("post", "/odoo/reconciliation/{row}/note/", (("note", "x"),)),
    "odoo_sync:pull": Probe("post", "/odoo/pull/"),
    "odoo_sync:documents-send": Probe("post", "/odoo/send/", (("ids", "{doc}"),)),
    "odoo_sync:document-sync": Probe("get", "/odoo/documents/{doc}/sync/"),
    "odoo_sync:document-send": Probe("post", "/odoo/documents/{doc}/send/"),
    "odoo_sync:document-refresh": Probe("post", "/odoo/documents/{doc}/refresh/"),
    "odoo_sync:connection-test": Probe("post", "/odoo/connection/test/", senders_only=False),
}


def _names() -> set[str]:
    def walk(patterns, namespace=None):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and namespace == "odoo_sync":
                yield f"odoo_sync:{entry.name}"

    return set(walk(get_resolver("config.urls_tenants").url_patterns))


def test_every_odoo_sync_url_is_probed():
    assert _names() == set(PROBES)


@pytest.fixture
def acme_ids(world, odoo_connected, send, enqueued):
    """acme's order in Odoo, with a reconciliation difference noted on its row."""
    send([world.order], world.accountant.user)
    for sync_id, token in enqueued:
        document_push(sync_id=sync_id, token=token)
    enqueued.clear()
    row = SyncExternal.objects.get(local_type="crm.salesdocument", local_id=world.order.pk)
    SyncExternal.objects.filter(pk=row.pk).update(mismatch="Total differs.", note="acme secret note")
    return {"doc": world.order.pk, "row": row.pk}


def _send(client, probe: Probe, ids: dict):
    url = probe.url.format(**ids)
    data = {key: value.format(**ids) for key, value in probe.data}
    return client.get(url) if probe.method == "get" else client.post(url, data)


@pytest.mark.parametrize("name", sorted(PROBES))
@pytest.mark.parametrize("role", [Role.OWNER, Role.ACCOUNTANT])
def test_another_companys_member_gets_403_on_acmes_host(
    name, role, acme, acme_ids, globex, make_member, client_for, odoo_connected
):
    requests_before = odoo_connected.requests
    outsider = make_member(globex, role)

    response = _send(client_for(outsider.user, acme), PROBES[name], acme_ids)

    assert response.status_code == 403
    assert "Hooli" not in response.content.decode()
    assert odoo_connected.requests == requests_before


# Accountants send documents to Odoo: the URLs for senders admit them (tested with them elsewhere), so
# they are probed here only on the owners' URLs.
REFUSED = [
    (name, role)
    for name in sorted(PROBES)
    for role in (Role.SELLER, Role.MARKETING, Role.ACCOUNTANT)
    if not (role == Role.ACCOUNTANT and PROBES[name].senders_only)
]


@pytest.mark.parametrize(("name", "role"), REFUSED)
def test_roles_the_url_does_not_admit_get_403(name, role, acme, acme_ids, make_member, client_for, odoo_connected):
    probe = PROBES[name]
    requests_before = odoo_connected.requests

    response = _send(client_for(make_member(acme, role)), probe, acme_ids)

    assert response.status_code == 403
    assert odoo_connected.requests == requests_before


@pytest.mark.parametrize("name", sorted(PROBES))
def test_acmes_ids_mean_nothing_on_globexs_own_host(name, acme_ids, globex, make_member, client_for, odoo_connected):
    requests_before = odoo_connected.requests
    outsider = client_for(make_member(globex, Role.OWNER))

    response = _send(outsider, PROBES[name], acme_ids)

    body = response.content.decode() if response.status_code != 302 else ""
    assert response.status_code in (200, 302, 404)
    for secret in ("Hooli", "acme secret note", "SO-", "S00001"):
        assert secret not in body
    assert odoo_connected.requests == requests_before
