"""Signing in and out on the public and tenant hosts, and where a signed-in user is sent."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from core.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PASSWORD = "a-Strong-pass-123"  # what make_member gives everyone


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_member_signs_in_on_the_tenant_host_and_lands_on_the_dashboard(acme, seller, in_schema):
    client = Client(HTTP_HOST="acme.localhost")

    response = client.post("/login/", {"email": seller.user.email.upper(), "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    with in_schema(acme):
        entry = AuditEntry.objects.get(action="login")
    assert entry.actor_id == seller.user_id


def test_a_wrong_password_is_refused_and_audited(acme, seller, in_schema):
    client = Client(HTTP_HOST="acme.localhost")

    response = client.post("/login/", {"email": seller.user.email, "password": "wrong-password"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["That email and password do not match an account."]
    assert not _signed_in(client)
    with in_schema(acme):
        entry = AuditEntry.objects.get(action="login.failed")
    assert (entry.actor_id, entry.object_repr, entry.actor_kind) == (None, seller.user.email, "system")


def test_login_follows_a_local_next(acme, seller):
    response = Client(HTTP_HOST="acme.localhost").post(
        "/login/", {"email": seller.user.email, "password": PASSWORD, "next": "/profile/"}
    )

    assert response["Location"] == "/profile/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "http://globex.localhost/"])
def test_login_never_redirects_to_another_host(acme, seller, target):
    response = Client(HTTP_HOST="acme.localhost").post(
        "/login/", {"email": seller.user.email, "password": PASSWORD, "next": target}
    )

    assert response["Location"] == "/"


def test_signed_in_user_opening_login_goes_on(seller, client_for):
    response = client_for(seller).get("/login/", {"next": "/profile/"})

    assert response["Location"] == "/profile/"


def test_sign_in_on_the_public_host_shows_the_users_companies(acme, globex, seller, make_member):
    make_member(globex, "seller", "pending", email="other@globex.example")
    client = Client(HTTP_HOST="localhost")

    client.post("/login/", {"email": seller.user.email, "password": PASSWORD})
    client.get("/")  # right after signing in, their only company opens (see test_first_steps)
    response = client.get("/")

    assert response.status_code == 200
    assert [m.tenant.slug for m in response.context["memberships"]] == ["acme"]
    assert 'href="/switch/acme/"' in response.content.decode()


def test_signed_in_user_asks_to_join_another_company(acme, globex, seller, in_schema):
    client = Client(HTTP_HOST="localhost")
    client.force_login(seller.user)

    response = client.post("/", {"tenant": str(globex.pk)})

    assert response.status_code == 302
    assert seller.user.memberships.get(tenant=globex).status == "pending"
    assert _messages(response) == ["Your request was sent. An owner of Globex Test will review it."]
    with in_schema(globex):
        assert AuditEntry.objects.filter(action="membership.request", actor=seller.user).count() == 1


def test_logout_is_post_only_and_audited(acme, seller, client_for, in_schema):
    client = client_for(seller)

    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")

    assert response["Location"] == "/login/"
    assert not _signed_in(client)
    with in_schema(acme):
        assert AuditEntry.objects.filter(action="logout", actor=seller.user).count() == 1


def test_a_disabled_member_can_sign_in_but_not_open_the_tenant(acme, make_member):
    member = make_member(acme, "seller", "disabled")
    client = Client(HTTP_HOST="acme.localhost")

    client.post("/login/", {"email": member.user.email, "password": PASSWORD})

    assert client.get("/").status_code == 403


def test_a_deactivated_account_cannot_sign_in(acme, seller):
    seller.user.is_active = False
    seller.user.save(update_fields=["is_active"])
    client = Client(HTTP_HOST="acme.localhost")

    response = client.post("/login/", {"email": seller.user.email, "password": PASSWORD})

    assert response.status_code == 200
    assert not _signed_in(client)


def test_password_reset_mails_a_link_on_the_same_host(acme, seller, mailoutbox):
    response = Client(HTTP_HOST="acme.localhost").post("/password-reset/", {"email": seller.user.email})

    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [seller.user.email]
    assert "http://acme.localhost/password-reset/" in mailoutbox[0].body


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(acme, mailoutbox):
    response = Client(HTTP_HOST="acme.localhost").post("/password-reset/", {"email": "nobody@nowhere.example"})

    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"
    assert mailoutbox == []
