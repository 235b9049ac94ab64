"""The owners' "test connection" button on Settings."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from core.models import AuditEntry
from odoo_sync.tests.conftest import connect
from tenants.models import Credential, Role
from tenants.vault import vault_get

pytestmark = pytest.mark.django_db
URL = "/odoo/connection/test/"


def test_settings_show_the_test_button_once_odoo_is_configured(english, owner, client_for, odoo_connected):
    body = client_for(owner).get("/settings/").content.decode()

    assert 'data-testid="odoo-connection-test"' in body


def test_settings_without_odoo_credentials_show_no_test_button(english, owner, client_for):
    body = client_for(owner).get("/settings/").content.decode()

    assert 'data-testid="odoo-connection-test"' not in body


@pytest.mark.parametrize("protocol", ["xmlrpc", "jsonrpc"])
def test_the_test_reports_the_version_and_the_installed_apps(english, acme, owner, client_for, fake_odoo, protocol):
    connect(acme, fake_odoo, protocol=protocol)

    response = client_for(owner).post(URL, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 200
    assert "Odoo 17.0 answered." in body
    assert "The connection works" in body
    assert "<html" not in body  # the fragment only, for htmx
    with schema_context("acme"):
        entry = AuditEntry.objects.get(action="odoo.connection_test")
    assert entry.changes["ok"] is True
    assert fake_odoo.store.secret not in str(entry.changes)


def test_json2_on_odoo_19(english, acme, owner, client_for, fake_odoo19):
    connect(acme, fake_odoo19, protocol="json2")

    body = client_for(owner).post(URL).content.decode()

    assert "Odoo 19.0 answered." in body
    assert "The connection works" in body


def test_a_missing_app_is_named(english, acme, owner, client_for, fake_odoo):
    connect(acme, fake_odoo)
    fake_odoo.store.tables["ir.module.module"] = {
        rid: row for rid, row in fake_odoo.store.tables["ir.module.module"].items() if row["name"] != "stock"
    }

    body = client_for(owner).post(URL).content.decode()

    assert "Install these Odoo apps: stock." in body
    assert "The connection works" not in body


def test_a_wrong_key_is_reported_without_showing_it(english, acme, owner, client_for, fake_odoo):
    connect(acme, fake_odoo, secret="a-wrong-key-1234")

    body = client_for(owner).post(URL).content.decode()

    assert "Odoo refused the login" in body
    assert "a-wrong-key-1234" not in body


def test_a_down_odoo_is_reported(english, acme, owner, client_for, odoo_connected):
    odoo_connected.store.faults.down = True

    body = client_for(owner).post(URL).content.decode()

    assert "Odoo answered HTTP 503" in body


def test_without_credentials_the_test_says_where_to_set_them(english, owner, client_for):
    body = client_for(owner).post(URL).content.decode()

    assert "The Odoo connection is not configured" in body


def test_get_is_not_allowed(owner, client_for):
    assert client_for(owner).get(URL).status_code == 405


@pytest.mark.parametrize("role", [Role.SELLER, Role.ACCOUNTANT, Role.MARKETING])
def test_only_owners_test_the_connection(acme, make_member, client_for, odoo_connected, role):
    response = client_for(make_member(acme, role)).post(URL)

    assert response.status_code == 403
    assert odoo_connected.requests == 0


def test_another_companys_owner_cannot_test_acmes_connection(acme, globex_owner, client_for, odoo_connected):
    response = client_for(globex_owner.user, acme).post(URL)

    assert response.status_code == 403
    assert odoo_connected.requests == 0


def test_each_company_tests_its_own_connection(english, globex, globex_owner, client_for, odoo_connected):
    # acme is connected; globex is not, and its test must not reach acme's Odoo.
    body = client_for(globex_owner).post(URL).content.decode()

    assert "The Odoo connection is not configured" in body
    assert odoo_connected.requests == 0


def test_owner_stores_the_odoo_connection_with_its_protocol(english, acme, owner, client_for):
    data = {
        "url": "https://odoo.example.com",
        "database": "prod",
        "username": "bot@example.com",
        "api_key": "0123456789abcdef-key",
        "protocol": "json2",
    }

    response = client_for(owner).post("/settings/credentials/odoo/", data)

    assert response.status_code == 302

    assert vault_get(tenant=acme, kind="odoo")["protocol"] == "json2"
    page = client_for(owner).get("/settings/").content.decode()
    assert "JSON-2 API with a bearer API key (Odoo 19 and later)" in page


def test_an_unknown_protocol_is_a_field_error_and_nothing_is_stored(english, acme, owner, client_for):
    data = {"url": "https://odoo.example.com", "api_key": "0123456789abcdef-key", "protocol": "soap"}

    response = client_for(owner).post("/settings/credentials/odoo/", data)

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()

    assert not Credential.objects.filter(tenant=acme, kind="odoo").exists()


def test_a_protocol_alone_does_not_store_a_new_odoo_connection(english, acme, owner, client_for):
    response = client_for(owner).post("/settings/credentials/odoo/", {"protocol": "xmlrpc"})

    assert "Fill in at least one value, or cancel." in response.content.decode()

    assert not Credential.objects.filter(tenant=acme, kind="odoo").exists()
