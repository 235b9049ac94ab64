"""The dashboard, the user's own profile, and the owners' pending-requests badge."""

import pytest
from django.test import Client

from core.models import AuditEntry
from tenants.models import MembershipStatus, Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_dashboard_greets_the_member_with_their_role(seller, client_for):
    response = client_for(seller).get("/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "You are signed in to Acme Test as Seller." in body
    assert "Pending requests" not in body


def test_owners_see_the_pending_count_and_the_owner_menu(acme, owner, make_member, client_for):
    make_member(acme, Role.SELLER, MembershipStatus.PENDING)
    make_member(acme, Role.SELLER, MembershipStatus.PENDING)

    response = client_for(owner).get("/")

    assert response.context["pending_count"] == 2
    assert [item["name"] for item in response.context["sidebar"]] == [
        "tenants:home",
        "tenants:staff",
        "core:audit-list",
        "tenants:settings",
    ]


def test_sellers_menu_has_no_owner_pages(seller, client_for):
    response = client_for(seller).get("/")

    assert [item["name"] for item in response.context["sidebar"]] == ["tenants:home"]
    assert "pending_count" not in response.context


def test_member_updates_their_profile(acme, seller, client_for, in_schema):
    response = client_for(seller).post(
        "/profile/", {"full_name": " Sam Updated ", "phone": "+34 611", "language": "fr"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/profile/"
    seller.user.refresh_from_db()
    assert (seller.user.full_name, seller.user.phone, seller.user.language) == ("Sam Updated", "+34 611", "fr")
    with in_schema(acme):
        entry = AuditEntry.objects.get(action="user.profile")
    assert entry.changes["language"] == {"before": "", "after": "fr"}


def test_profile_refuses_an_unknown_language(seller, client_for):
    response = client_for(seller).post("/profile/", {"full_name": "Sam", "phone": "", "language": "xx"})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["language"]
    seller.user.refresh_from_db()
    assert seller.user.language == ""


def test_registration_pushes_the_new_pending_count_to_owners_after_commit(
    acme, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        "core.realtime.async_to_sync",
        lambda send: lambda group, message: sent.append((group, message)),
    )
    data = {
        "full_name": "Nora",
        "email": "nora@example.org",
        "tenant": str(acme.pk),
        "password1": "Corr3ct-horse-battery",
        "password2": "Corr3ct-horse-battery",
    }

    with django_capture_on_commit_callbacks(execute=True):
        Client(HTTP_HOST="localhost").post("/register/", data)

    assert [(group, message["event"], message["roles"]) for group, message in sent] == [
        ("acme.notifications", "STAFF_PENDING", ["owner"])
    ]
    assert 'data-count="1"' in sent[0][1]["html"]
