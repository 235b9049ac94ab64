"""Invitations: owners invite by email with a role; the emailed link lets the person set a password (or
sign in) and join active; the pending list shows what people gave when asking to join."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from core.models import AuditEntry
from tenants.models import Invitation, Membership, MembershipStatus, Role, User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
PASSWORD = "Corr3ct-horse-battery"


@pytest.fixture(autouse=True)
def _mail_on_commit(monkeypatch):
    """The link is emailed once the invitation commits; tests roll back, so send at once."""
    monkeypatch.setattr("tenants.services_invitations._after_commit", lambda work: work())


def _invite(client, email="nina@example.org", role=Role.SELLER):
    return client.post("/staff/invite/", {"email": email, "role": role})


def _link(mailoutbox) -> str:
    match = re.search(r"http://acme\.localhost(?::\d+)?(/invitation/[^/\s]+/)", mailoutbox[-1].body)
    assert match, mailoutbox[-1].body
    return match.group(1)


def test_an_owner_invites_and_the_link_is_emailed(acme, owner, client_for, mailoutbox, in_schema):
    response = _invite(client_for(owner), role=Role.MARKETING)

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.tenant, invitation.invited_by) == (
        "nina@example.org", Role.MARKETING, acme, owner.user,
    )  # fmt: skip
    assert mailoutbox[0].to == ["nina@example.org"]
    assert "Acme Test" in mailoutbox[0].subject
    assert _link(mailoutbox).startswith("/invitation/")
    with in_schema(acme):
        assert AuditEntry.objects.get(action="invitation.create").actor == owner.user


def test_a_new_person_sets_a_password_and_joins_active(acme, owner, client_for, mailoutbox):
    _invite(client_for(owner))
    visitor = Client(HTTP_HOST="acme.localhost")
    link = _link(mailoutbox)

    page = visitor.get(link)
    joined = visitor.post(
        link,
        {"full_name": "Nina New", "phone": "+34 600 1", "language": "fr", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert page.status_code == 200
    assert joined.status_code == 302
    user = User.objects.get(email="nina@example.org")
    assert (user.full_name, user.language, user.check_password(PASSWORD)) == ("Nina New", "fr", True)
    membership = Membership.objects.get(user=user, tenant=acme)
    assert (membership.status, membership.role, membership.decided_by) == ("active", Role.SELLER, owner.user)
    assert visitor.get("/").status_code == 200  # signed in and in
    assert Invitation.objects.get().status == Invitation.Status.ACCEPTED


def test_someone_with_an_account_signs_in_then_joins(acme, globex, owner, make_member, client_for, mailoutbox):
    existing = make_member(globex, Role.SELLER, email="nina@example.org")
    _invite(client_for(owner), role=Role.ACCOUNTANT)
    link = _link(mailoutbox)
    visitor = Client(HTTP_HOST="acme.localhost")

    page = visitor.get(link).content.decode()
    visitor.force_login(existing.user)
    joined = visitor.post(link)

    assert "sign in to accept" in page
    assert f'href="/login/?next={link}"' in page
    assert joined.status_code == 302
    membership = Membership.objects.get(user=existing.user, tenant=acme)
    assert (membership.status, membership.role) == ("active", Role.ACCOUNTANT)


def test_a_pending_request_becomes_active_through_an_invitation(acme, owner, make_member, client_for, mailoutbox):
    pending = make_member(acme, Role.SELLER, MembershipStatus.PENDING, email="nina@example.org")
    _invite(client_for(owner), role=Role.OWNER)
    link = _link(mailoutbox)
    visitor = Client(HTTP_HOST="acme.localhost")
    visitor.force_login(pending.user)

    visitor.post(link)

    pending.refresh_from_db()
    assert (pending.status, pending.role) == ("active", Role.OWNER)


def test_another_signed_in_account_cannot_use_the_link(acme, owner, seller, client_for, mailoutbox):
    _invite(client_for(owner))
    link = _link(mailoutbox)
    intruder = client_for(seller)

    response = intruder.post(link)

    assert response.status_code == 403
    assert Invitation.objects.get().status == Invitation.Status.PENDING
    assert not User.objects.filter(email="nina@example.org").exists()


def test_a_link_works_once(acme, owner, client_for, mailoutbox):
    _invite(client_for(owner))
    link = _link(mailoutbox)
    data = {"full_name": "Nina", "language": "en", "password1": PASSWORD, "password2": PASSWORD}
    Client(HTTP_HOST="acme.localhost").post(link, data)

    again = Client(HTTP_HOST="acme.localhost").get(link)

    assert again.status_code == 410
    assert "already accepted" in again.content.decode()


@pytest.mark.parametrize("how", ["revoked", "resent", "expired", "other company", "damaged"])
def test_a_link_that_no_longer_works_says_why_and_changes_nothing(acme, globex, owner, client_for, mailoutbox, how):
    client = client_for(owner)
    _invite(client)
    link = _link(mailoutbox)
    invitation = Invitation.objects.get()
    host = "acme.localhost"
    if how == "revoked":
        client.post(f"/staff/invitations/{invitation.pk}/revoke/")
    elif how == "resent":
        client.post(f"/staff/invitations/{invitation.pk}/resend/")
        assert _link(mailoutbox) != link
    elif how == "expired":
        Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    elif how == "other company":
        host = "globex.localhost"
    else:
        link = link[:-4] + "xyz/"
    data = {"full_name": "Nina", "language": "en", "password1": PASSWORD, "password2": PASSWORD}

    response = Client(HTTP_HOST=host).post(link, data)

    assert response.status_code == 410
    assert not User.objects.filter(email="nina@example.org").exists()


def test_inviting_an_active_member_is_refused(acme, owner, seller, client_for, mailoutbox):
    response = _invite(client_for(owner), email=seller.user.email.upper())

    assert response.status_code == 200
    assert "already works here" in response.content.decode()
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_inviting_twice_sends_one_fresh_invitation(acme, owner, client_for, mailoutbox):
    client = client_for(owner)
    _invite(client, role=Role.SELLER)
    _invite(client, role=Role.MARKETING)

    assert list(Invitation.objects.values_list("role", "status")) == [(Role.MARKETING, "pending")]
    assert len(mailoutbox) == 2


@pytest.mark.parametrize("role", [Role.SELLER, Role.ACCOUNTANT, Role.MARKETING])
def test_only_owners_invite(acme, make_member, client_for, mailoutbox, role):
    response = _invite(client_for(make_member(acme, role)))

    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_another_companys_owner_cannot_touch_an_invitation(acme, owner, globex_owner, client_for, mailoutbox):
    _invite(client_for(owner))
    invitation = Invitation.objects.get()

    on_acme = client_for(globex_owner.user, acme).post(f"/staff/invitations/{invitation.pk}/revoke/")
    on_globex = client_for(globex_owner).post(f"/staff/invitations/{invitation.pk}/revoke/")

    assert (on_acme.status_code, on_globex.status_code) == (403, 404)
    assert Invitation.objects.get().status == Invitation.Status.PENDING


def test_the_staff_page_lists_invitations_and_what_people_gave(acme, owner, make_member, client_for, mailoutbox):
    pending = make_member(acme, Role.SELLER, MembershipStatus.PENDING, full_name="Pablo Pending", phone="+34 611")
    Membership.objects.filter(pk=pending.pk).update(request_message="Carlos told me to join")
    client = client_for(owner)
    _invite(client)

    body = client.get("/staff/").content.decode()

    assert 'data-invitation="nina@example.org"' in body
    assert '<div class="small muted" data-testid="request-phone">+34 611</div>' in body
    assert "“Carlos told me to join”" in body


def test_a_registration_message_reaches_the_owners(acme):
    Client(HTTP_HOST="localhost").post(
        "/register/",
        {
            "full_name": "Nora",
            "email": "nora@example.org",
            "phone": "",
            "tenant": str(acme.pk),
            "message": "I am the new driver",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert Membership.objects.get(user__email="nora@example.org").request_message == "I am the new driver"
