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
    assert "You are signed in to Acme Test as seller." in body
    assert "Pending requests" not in body


def test_owners_see_the_pending_count_and_the_owner_menu(acme, owner, make_member, client_for):
    make_member(acme, Role.SELLER, MembershipStatus.PENDING)
    make_member(acme, Role.SELLER, MembershipStatus.PENDING)

    response = client_for(owner).get("/")

    assert response.context["pending_count"] == 2
    names = [item["name"] for item in response.context["sidebar"]]
    assert names[0] == "crm:dashboard"
    assert names[-3:] == ["tenants:staff", "core:audit-list", "tenants:settings"]


def test_sellers_menu_has_no_owner_pages(seller, client_for):
    response = client_for(seller).get("/")

    names = [item["name"] for item in response.context["sidebar"]]
    assert names[0] == "crm:dashboard"
    assert not {"crm:analytics", "tenants:staff", "core:audit-list", "tenants:settings"} & set(names)
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


@pytest.mark.parametrize("role", [Role.OWNER, Role.SELLER, Role.ACCOUNTANT, Role.MARKETING])
def test_every_menu_entry_opens_for_the_role_that_sees_it(acme, make_member, client_for, role):
    client = client_for(make_member(acme, role))

    sidebar = client.get("/").context["sidebar"]

    assert sidebar[0]["name"] == "crm:dashboard"
    assert {item["url"]: client.get(item["url"]).status_code for item in sidebar} == {
        item["url"]: 200 for item in sidebar
    }


def test_accountants_and_marketers_are_not_shown_the_lead_list(acme, make_member, client_for):
    sidebars = {
        Role.ACCOUNTANT: ["crm:dashboard", "crm:document-list", "odoo_sync:overview", "crm:analytics"],
        Role.MARKETING: ["crm:dashboard", "marketing:hub", "crm:analytics"],
    }
    for role, sidebar in sidebars.items():
        response = client_for(make_member(acme, role)).get("/")

        assert [item["name"] for item in response.context["sidebar"]] == sidebar
        assert 'data-nav="crm:lead-list"' not in response.content.decode()


def test_member_changes_their_password_and_stays_signed_in(acme, seller, client_for, in_schema):
    client = client_for(seller)

    response = client.post(
        "/profile/password/",
        {"old_password": "a-Strong-pass-123", "new_password1": "a-Newer-pass-456", "new_password2": "a-Newer-pass-456"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/profile/"
    seller.user.refresh_from_db()
    assert seller.user.check_password("a-Newer-pass-456")
    assert client.get("/profile/").status_code == 200  # this session survives the change
    with in_schema(acme):
        entry = AuditEntry.objects.get(action="user.password")
    assert (entry.actor_id, entry.changes) == (seller.user_id, {})


@pytest.mark.parametrize(
    ("old", "new1", "new2", "field"),
    [
        ("wrong-old-pass", "a-Newer-pass-456", "a-Newer-pass-456", "old_password"),
        ("a-Strong-pass-123", "a-Newer-pass-456", "a-Different-789", "new_password2"),
        ("a-Strong-pass-123", "123", "123", "new_password2"),
    ],
)
def test_a_refused_password_change_changes_nothing(acme, seller, client_for, in_schema, old, new1, new2, field):
    response = client_for(seller).post(
        "/profile/password/", {"old_password": old, "new_password1": new1, "new_password2": new2}
    )

    assert response.status_code == 422
    assert list(response.context["password_form"].errors) == [field]
    seller.user.refresh_from_db()
    assert seller.user.check_password("a-Strong-pass-123")
    with in_schema(acme):
        assert not AuditEntry.objects.filter(action="user.password").exists()


@pytest.mark.parametrize(("url", "title"), [("/", "Dashboard"), ("/leads/", "Leads"), ("/profile/", "My profile")])
def test_page_titles_name_the_page_and_the_company(owner, client_for, url, title):
    body = client_for(owner).get(url).content.decode()

    assert f"<title>{title} · Acme Test</title>" in body


def test_the_public_landing_page_has_the_products_name_as_its_title(settings):
    settings.LANGUAGE_CODE = "en"

    body = Client(HTTP_HOST="localhost").get("/").content.decode()

    assert "<title>Sales CRM</title>" in body
