"""A person's first steps (issue 7, bug 6): the language chosen while registering is kept; someone whose
request is pending is told it is pending, not to ask again; a person with one company goes straight into
it after signing in."""

import pytest
from django.conf import settings
from django.test import Client

from tenants.models import MembershipStatus, Role, Tenant, User
from tenants.services import tenant_create

pytestmark = pytest.mark.django_db

PASSWORD = "a-Strong-pass-123"


@pytest.fixture
def listed(acme):
    acme.listed = True
    acme.save(update_fields=["listed"])
    return acme


@pytest.mark.parametrize("language", ["fr", "es", "en"])
def test_the_language_a_person_registers_in_is_theirs(listed, language):
    client = Client(HTTP_HOST="localhost")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    client.post(
        "/register/",
        {
            "full_name": "Nora Newcomer",
            "email": "nora@example.org",
            "phone": "",
            "tenant": str(listed.pk),
            "password1": "Corr3ct-horse-battery",
            "password2": "Corr3ct-horse-battery",
        },
    )

    assert User.objects.get(email="nora@example.org").language == language


def test_a_pending_person_who_signs_in_is_told_their_request_is_waiting(english, acme, make_member):
    member = make_member(acme, Role.SELLER, MembershipStatus.PENDING)
    client = Client(HTTP_HOST="acme.localhost")

    client.post("/login/", {"email": member.user.email, "password": PASSWORD})
    response = client.get("/")

    assert response.status_code == 403
    body = response.content.decode()
    assert "Your request to join Acme Test is waiting for an owner’s approval." in body
    assert "ask an owner" not in body


def test_a_disabled_member_is_told_their_access_was_turned_off(english, acme, make_member):
    member = make_member(acme, Role.SELLER, MembershipStatus.DISABLED)
    client = Client(HTTP_HOST="acme.localhost")
    client.force_login(member.user)

    body = client.get("/").content.decode()

    assert "Your access to Acme Test was turned off by an owner." in body


def test_a_stranger_learns_nothing_of_the_company(english, acme, globex_owner):
    client = Client(HTTP_HOST="acme.localhost")
    client.force_login(globex_owner.user)

    body = client.get("/").content.decode()

    assert "Acme" not in body
    assert "ask an owner of the company to give you access" in body


def test_a_person_with_one_company_goes_straight_in_after_signing_in(acme, seller):
    client = Client(HTTP_HOST="localhost")

    signed_in = client.post("/login/", {"email": seller.user.email, "password": PASSWORD}, follow=False)
    landing = client.get(signed_in["Location"])

    assert landing.status_code == 302
    assert landing["Location"] == "/switch/acme/"
    # Later visits show the list again, with the form to ask to join another company.
    assert client.get("/").status_code == 200


def test_a_person_with_two_companies_chooses(acme, globex, seller, make_member):
    from tenants.models import Membership

    Membership.objects.create(user=seller.user, tenant=globex, role=Role.SELLER, status=MembershipStatus.ACTIVE)
    client = Client(HTTP_HOST="localhost")

    client.post("/login/", {"email": seller.user.email, "password": PASSWORD})

    assert client.get("/").status_code == 200


def test_a_person_whose_only_company_is_pending_sees_the_list(acme, make_member):
    member = make_member(acme, Role.SELLER, MembershipStatus.PENDING)
    client = Client(HTTP_HOST="localhost")

    client.post("/login/", {"email": member.user.email, "password": PASSWORD})

    assert client.get("/").status_code == 200


def test_a_new_company_is_not_listed_for_public_registration_until_its_owner_says_so(db):
    tenant = tenant_create(name="Initech", slug="initech-test", owner_email="ceo@initech.example")

    assert Tenant.objects.get(pk=tenant.pk).listed is False
