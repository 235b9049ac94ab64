"""Moving between tenant subdomains with a signed, one-use hand-off token."""

import time
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client

from tenants.models import Membership, MembershipStatus, Role
from tenants.services import handoff_token_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

HANDOFF_PREFIX = "http://globex.localhost/auth/handoff/?token="


@pytest.fixture
def both(acme, globex, make_member):
    """A person active in acme (seller) and in globex (owner)."""
    membership = make_member(acme, Role.SELLER)
    Membership.objects.create(user=membership.user, tenant=globex, role=Role.OWNER, status=MembershipStatus.ACTIVE)
    return membership.user


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _switch(user, *, to="globex", host="acme.localhost"):
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client.get(f"/switch/{to}/")


def _messages(response) -> list[str]:
    from django.contrib.messages import get_messages

    return [str(message) for message in get_messages(response.wsgi_request)]


def test_switch_redirects_to_the_other_tenants_handoff(both):
    response = _switch(both)

    assert response.status_code == 302
    assert response["Location"].startswith(HANDOFF_PREFIX)
    assert len(response["Location"]) > len(HANDOFF_PREFIX) + 20


def test_the_header_offers_the_other_company(both, acme):
    client = Client(HTTP_HOST="acme.localhost")
    client.force_login(both)

    body = client.get("/").content.decode()

    assert '<a href="/switch/globex/">Globex Test</a>' in body


def test_consuming_the_token_signs_in_on_the_other_tenant(both):
    target = _switch(both)["Location"]
    globex_client = Client(HTTP_HOST="globex.localhost")

    response = globex_client.get(_local(target))

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert globex_client.session["_auth_user_id"] == str(both.pk)
    dashboard = globex_client.get("/")
    assert dashboard.status_code == 200
    assert dashboard.context["membership"].role == Role.OWNER


def test_a_token_works_once(both):
    target = _local(_switch(both)["Location"])
    Client(HTTP_HOST="globex.localhost").get(target)
    replay = Client(HTTP_HOST="globex.localhost")

    response = replay.get(target)

    assert response["Location"] == "/login/"
    assert _messages(response) == ["This sign-in link was already used."]
    assert "_auth_user_id" not in replay.session


def test_a_token_for_one_tenant_is_refused_on_another(both):
    target = _local(_switch(both)["Location"])
    acme_client = Client(HTTP_HOST="acme.localhost")

    response = acme_client.get(target)

    assert response["Location"] == "/login/"
    assert _messages(response) == ["This sign-in link is not for this company."]
    assert "_auth_user_id" not in acme_client.session


def test_an_expired_token_is_refused(both, globex, monkeypatch):
    two_minutes_ago = signing.b62_encode(int(time.time()) - 120)
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: two_minutes_ago)
    token = handoff_token_create(user=both, tenant=globex)
    monkeypatch.undo()
    client = Client(HTTP_HOST="globex.localhost")

    response = client.get("/auth/handoff/", {"token": token})

    assert response["Location"] == "/login/"
    assert _messages(response) == ["This sign-in link has expired. Please sign in again."]
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("token", ["", "garbage", "eyJ1IjoxfQ:1abc:forged"])
def test_a_forged_token_is_refused(both, token):
    client = Client(HTTP_HOST="globex.localhost")

    response = client.get("/auth/handoff/", {"token": token})

    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_a_password_change_voids_tokens_issued_before_it(both, globex):
    token = handoff_token_create(user=both, tenant=globex)
    both.set_password("a-New-pass-456")
    both.save()
    client = Client(HTTP_HOST="globex.localhost")

    response = client.get("/auth/handoff/", {"token": token})

    assert response["Location"] == "/login/"
    assert "_auth_user_id" not in client.session


def test_switching_to_a_tenant_without_active_membership_is_refused(acme, globex, seller):
    response = _switch(seller.user)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _messages(response) == ["You do not have access to that company."]


@pytest.mark.parametrize("status", [MembershipStatus.PENDING, MembershipStatus.DISABLED])
def test_switching_needs_an_active_membership(acme, globex, seller, status):
    Membership.objects.create(user=seller.user, tenant=globex, role=Role.SELLER, status=status)

    response = _switch(seller.user)

    assert response["Location"] == "/"


def test_switching_to_an_unknown_or_the_public_tenant_is_404(both):
    assert _switch(both, to="nowhere").status_code == 404
    assert _switch(both, to="public").status_code == 404


def test_switch_from_the_public_site_signs_in_on_the_tenant(both):
    response = _switch(both, to="acme", host="localhost")

    assert response["Location"].startswith("http://acme.localhost/auth/handoff/?token=")
    acme_client = Client(HTTP_HOST="acme.localhost")
    assert acme_client.get(_local(response["Location"]))["Location"] == "/"
    assert acme_client.get("/").status_code == 200


def test_switch_keeps_the_port_the_user_came_in_on(both):
    client = Client(HTTP_HOST="acme.localhost:8000")
    client.force_login(both)

    response = client.get("/switch/globex/")

    assert response["Location"].startswith("http://globex.localhost:8000/auth/handoff/?token=")


def test_anonymous_switch_goes_to_login(acme):
    response = Client(HTTP_HOST="acme.localhost").get("/switch/globex/")

    assert response["Location"] == "/login/?next=/switch/globex/"


def test_handoff_on_the_public_site_signs_nobody_in(both, globex):
    token = handoff_token_create(user=both, tenant=globex)
    client = Client(HTTP_HOST="localhost")

    response = client.get("/auth/handoff/", {"token": token})

    assert response.status_code == 404
    assert "_auth_user_id" not in client.session
