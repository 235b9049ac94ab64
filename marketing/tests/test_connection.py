"""Connecting Meta: the signed OAuth state (tampered, expired, another company or user), the code exchange
into a long-lived token in the vault, the manual token, ad accounts, banners and disconnecting."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.core import signing
from django.db import connection as db
from django.test import TestCase
from django.utils import timezone

from core.errors import ApplicationError
from marketing.models import AdAccount, MetaConnection
from marketing.services.connection import (
    STATE_SALT,
    connection_complete_oauth,
    oauth_state_check,
    oauth_state_make,
)
from marketing.tests.conftest import TOKEN
from tenants.models import Credential, Role
from tenants.vault import vault_get

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_the_state_is_bound_to_the_company_and_the_user(acme, globex, owner, make_member):
    state = oauth_state_make(tenant=acme, user=owner.user)
    oauth_state_check(state=state, tenant=acme, user=owner.user)  # accepted
    with pytest.raises(ApplicationError, match="someone else or for another company"):
        oauth_state_check(state=state, tenant=globex, user=owner.user)
    other = make_member(acme, Role.OWNER)
    with pytest.raises(ApplicationError, match="someone else or for another company"):
        oauth_state_check(state=state, tenant=acme, user=other.user)


def test_a_tampered_state_is_refused(acme, owner):
    state = oauth_state_make(tenant=acme, user=owner.user)
    forged = signing.dumps({"t": "acme", "u": owner.user.pk, "n": "x"}, salt="another-salt")
    for bad in (state[:-2] + "xx", forged, "", "not-a-state"):
        with pytest.raises(ApplicationError, match="could not be verified"):
            oauth_state_check(state=bad, tenant=acme, user=owner.user)


def test_an_expired_state_is_refused(acme, owner, monkeypatch):
    import django.core.signing as signing_module

    real = signing_module.time.time
    monkeypatch.setattr(signing_module.time, "time", lambda: real() - 11 * 60)
    state = signing.dumps({"t": acme.schema_name, "u": owner.user.pk, "n": "n"}, salt=STATE_SALT)
    monkeypatch.setattr(signing_module.time, "time", real)
    with pytest.raises(ApplicationError, match="took too long"):
        oauth_state_check(state=state, tenant=acme, user=owner.user)


def test_oauth_round_trip_stores_a_long_lived_token(acme, owner, client_for, graph_server):
    client = client_for(owner)
    response = client.post("/marketing/meta/connect/")
    assert response.status_code == 302
    dialog = urlparse(response["Location"])
    query = parse_qs(dialog.query)
    assert dialog.path.endswith("/dialog/oauth")
    assert query["client_id"] == ["4242"]
    assert query["redirect_uri"] == ["http://localhost/meta/oauth/callback/"]
    state = query["state"][0]

    # Meta sends the browser to the bare domain, which relays to acme's host.
    code = graph_server.issue_code("the-code")
    relay = client_for(owner.user).get("/meta/oauth/callback/", {"code": code, "state": state})
    assert relay.status_code == 302
    assert relay["Location"].startswith("http://acme.localhost/marketing/meta/callback/?")

    done = client.get("/marketing/meta/callback/", {"code": code, "state": state})
    assert done.status_code == 302
    db.set_tenant(acme)
    stored = vault_get(tenant=acme, kind=Credential.Kind.META)
    assert stored["access_token"] == "long-short-the-code"
    connection = MetaConnection.objects.get()
    assert connection.method == MetaConnection.Method.OAUTH
    assert connection.meta_user_name == "Fake Meta User"
    assert timedelta(days=59) < connection.token_expires_at - timezone.now() < timedelta(days=61)
    assert list(AdAccount.objects.values_list("meta_id", "currency", "selected")) == [("act_111", "EUR", False)]
    # The code was exchanged with the same redirect URI, then for a long-lived token.
    paths = [path for path, _params in graph_server.requests]
    assert paths[:2] == ["/v25.0/oauth/access_token", "/v25.0/oauth/access_token"]
    assert graph_server.requests[0][1]["redirect_uri"] == "http://localhost/meta/oauth/callback/"


def test_a_callback_with_another_users_state_stores_nothing(acme, owner, make_member, client_for, graph_server):
    state = oauth_state_make(tenant=acme, user=owner.user)
    intruder = make_member(acme, Role.MARKETING)
    code = graph_server.issue_code("c2")
    response = client_for(intruder).get("/marketing/meta/callback/", {"code": code, "state": state}, follow=True)
    assert b"someone else or for another company" in response.content
    db.set_tenant(acme)
    assert vault_get(tenant=acme, kind=Credential.Kind.META) is None
    assert not MetaConnection.objects.exists()
    assert graph_server.requests == []  # the code was never exchanged


def test_a_state_for_acme_is_refused_on_globex(acme, globex, owner, make_member, client_for, graph_server):
    globex_member = make_member(globex, Role.OWNER, email=f"x{owner.pk}@example.com")
    state = oauth_state_make(tenant=acme, user=globex_member.user)
    code = graph_server.issue_code("c3")
    response = client_for(globex_member).get("/marketing/meta/callback/", {"code": code, "state": state}, follow=True)
    assert b"someone else or for another company" in response.content
    db.set_tenant(globex)
    assert not MetaConnection.objects.exists()
    assert vault_get(tenant=globex, kind=Credential.Kind.META) is None


def test_a_bad_code_is_reported_and_stores_nothing(tenant, owner, graph_server):
    state = oauth_state_make(tenant=tenant, user=owner.user)
    with pytest.raises(ApplicationError, match="Meta refused the sign-in"):
        connection_complete_oauth(tenant=tenant, actor=owner.user, state=state, code="wrong", redirect_uri="x")
    assert vault_get(tenant=tenant, kind=Credential.Kind.META) is None


def test_manual_token_is_checked_then_kept_in_the_vault(acme, owner, client_for, graph_server):
    client = client_for(owner)
    refused = client.post("/marketing/meta/token/", {"token": "not-valid"})
    assert refused.status_code == 400
    assert b"Meta refused the token" in refused.content
    assert client.post("/marketing/meta/token/", {"token": TOKEN}).status_code == 302
    db.set_tenant(acme)
    assert vault_get(tenant=acme, kind=Credential.Kind.META)["access_token"] == TOKEN
    connection = MetaConnection.objects.get()
    assert connection.method == MetaConnection.Method.MANUAL
    assert connection.token_expires_at is None
    page = client.get("/marketing/meta/")
    assert TOKEN.encode() not in page.content  # never shown back


def test_choosing_accounts_and_disconnecting(acme, owner, client_for, connected, monkeypatch):
    from marketing import tasks

    queued = []
    monkeypatch.setattr(tasks.meta_sync_task, "delay", lambda *args: queued.append(args))
    AdAccount.objects.create(meta_id="act_222", name="Other", currency="USD")
    client = client_for(owner)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert client.post("/marketing/meta/accounts/", {"accounts": ["act_222"]}).status_code == 302
    db.set_tenant(acme)
    assert list(AdAccount.objects.filter(selected=True).values_list("meta_id", flat=True)) == ["act_222"]
    assert queued == [(True,)]
    assert client.get("/marketing/meta/disconnect/").status_code == 200  # asks first
    assert client.post("/marketing/meta/disconnect/").status_code == 302
    db.set_tenant(acme)
    assert vault_get(tenant=acme, kind=Credential.Kind.META) is None
    assert not MetaConnection.objects.exists()


def test_banners_before_expiry_and_when_revoked(acme, owner, client_for, connected):
    client = client_for(owner)
    assert b"meta-banner" not in client.get("/marketing/").content
    db.set_tenant(acme)
    MetaConnection.objects.update(token_expires_at=timezone.now() + timedelta(days=3))
    assert b'data-testid="meta-banner-expiring"' in client.get("/marketing/").content
    db.set_tenant(acme)
    MetaConnection.objects.update(token_expires_at=timezone.now() - timedelta(minutes=1))
    assert b'data-testid="meta-banner-expired"' in client.get("/marketing/").content
    db.set_tenant(acme)
    MetaConnection.objects.update(revoked_at=timezone.now())
    assert b'data-testid="meta-banner-revoked"' in client.get("/marketing/meta/").content
