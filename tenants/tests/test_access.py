"""Who may open which tenant page: anonymous, members of another tenant, each role."""

import pytest
from django.test import Client

from tenants.models import MembershipStatus, Role

pytestmark = pytest.mark.django_db


def test_anonymous_user_is_sent_to_login(acme):
    response = Client(HTTP_HOST="acme.localhost").get("/staff/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/staff/"


def test_member_of_another_tenant_gets_403_that_names_nothing(acme, globex_owner, owner, client_for):
    client = client_for(globex_owner.user, acme)

    response = client.get("/staff/")

    assert response.status_code == 403
    body = response.content.decode()
    assert "Acme Test" not in body
    assert owner.user.email not in body


@pytest.mark.parametrize(
    ("role", "expected"),
    [(Role.OWNER, 200), (Role.SELLER, 403), (Role.ACCOUNTANT, 403), (Role.MARKETING, 403)],
)
def test_staff_page_is_for_owners_only(acme, make_member, client_for, role, expected):
    member = make_member(acme, role)

    assert client_for(member).get("/staff/").status_code == expected


def test_pending_member_cannot_open_the_dashboard(acme, make_member, client_for):
    pending = make_member(acme, Role.SELLER, MembershipStatus.PENDING)

    assert client_for(pending).get("/").status_code == 403
