"""The public admin (superusers, on localhost) and the owners' admin on each tenant host."""

import pytest
from django.db import connection
from django.test import Client

from core.models import AuditEntry
from tenants.models import Domain, Membership, Tenant, User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PASSWORD = "a-Strong-pass-123"


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser(email="root@platform.test", password=PASSWORD, full_name="Root")


@pytest.fixture
def platform_admin(superuser) -> Client:
    client = Client(HTTP_HOST="localhost")
    client.force_login(superuser)
    return client


def _inline(prefix: str) -> dict[str, str]:
    """An empty inline formset's management form."""
    return {
        f"{prefix}-TOTAL_FORMS": "0",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _tenant_form(**overrides) -> dict[str, str]:
    data = {
        "name": "Initech",
        "slug": "initech",
        "language": "en",
        "timezone": "UTC",
        "currency": "USD",
        "calendar_provider": "local",
        "listed": "on",
        **_inline("domains"),
        **_inline("memberships"),
    }
    data.update(overrides)
    return data


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", [name])
        return cursor.fetchone() is not None


def test_superuser_creates_a_tenant_with_a_default_domain(platform_admin):
    response = platform_admin.post("/admin/tenants/tenant/add/", _tenant_form())

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    tenant = Tenant.objects.get(slug="initech")
    assert (tenant.name, tenant.schema_name, tenant.currency) == ("Initech", "initech", "USD")
    assert list(Domain.objects.filter(tenant=tenant).values_list("domain", "is_primary")) == [
        ("initech.localhost", True)
    ]
    assert _schema_exists("initech")


def test_a_dash_in_the_subdomain_becomes_an_underscore_in_the_schema(platform_admin):
    platform_admin.post("/admin/tenants/tenant/add/", _tenant_form(slug="big-co", name="Big Co"))

    assert Tenant.objects.get(slug="big-co").schema_name == "big_co"
    assert Domain.objects.get(tenant__slug="big-co").domain == "big-co.localhost"


@pytest.mark.parametrize("slug", ["www", "admin", "Initech", "in_itech", "-initech", "ab"])
def test_the_admin_refuses_a_subdomain_the_platform_cannot_serve(platform_admin, slug):
    tenants = Tenant.objects.count()

    response = platform_admin.post("/admin/tenants/tenant/add/", _tenant_form(slug=slug))

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["slug"]
    assert Tenant.objects.count() == tenants


def test_the_admin_tenant_list_and_change_page_open(platform_admin, acme):
    assert platform_admin.get("/admin/tenants/tenant/").status_code == 200
    assert platform_admin.get(f"/admin/tenants/tenant/{acme.pk}/change/").status_code == 200


def test_the_public_admin_is_for_superusers_only(acme, owner):
    staff = User.objects.create_user(email="staff@platform.test", password=PASSWORD, full_name="Staff", is_staff=True)
    for user in (owner.user, staff):
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)

        response = client.get("/admin/tenants/tenant/")

        assert response.status_code == 302
        assert response["Location"] == "/admin/login/?next=/admin/tenants/tenant/"
        assert client.get(response["Location"]).status_code == 403


def test_the_public_admin_login_hands_over_to_the_throttled_sign_in(superuser):
    client = Client(HTTP_HOST="localhost")

    response = client.post("/admin/login/?next=/admin/", {"username": superuser.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/admin/"
    assert "_auth_user_id" not in client.session


def test_a_superuser_signed_in_on_the_public_site_reaches_the_admin(superuser):
    client = Client(HTTP_HOST="localhost")
    client.post("/login/", {"email": superuser.email, "password": PASSWORD, "next": "/admin/"})

    assert client.get("/admin/login/")["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_owners_open_their_tenants_admin(acme, owner, client_for):
    client = client_for(owner)

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/core/auditentry/").status_code == 200


def test_the_owners_admin_shows_only_this_tenants_audit_log(acme, globex, owner, globex_owner, client_for, in_schema):
    from core.audit import audit_log

    with in_schema(globex):
        audit_log(action="globex.only", actor=globex_owner.user, object_repr="Globex private")

    body = client_for(owner).get("/admin/core/auditentry/").content.decode()

    assert "Globex private" not in body


@pytest.mark.parametrize("role", ["seller", "accountant", "marketing"])
def test_the_owners_admin_is_closed_to_other_roles(acme, make_member, client_for, role):
    client = client_for(make_member(acme, role))

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"
    assert client.get(response["Location"]).status_code == 403
    assert client.get("/admin/core/auditentry/").status_code == 302


def test_the_owners_admin_is_closed_to_another_tenants_owner(acme, owner, globex_owner, client_for):
    client = client_for(globex_owner.user, acme)

    response = client.get("/admin/")
    login_page = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"
    assert login_page.status_code == 403
    assert "Acme Test" not in login_page.content.decode()
    assert owner.user.email not in login_page.content.decode()


def test_the_owners_admin_is_closed_to_a_platform_superuser_without_membership(acme, superuser):
    client = Client(HTTP_HOST="acme.localhost")
    client.force_login(superuser)

    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"


def test_the_tenant_admin_login_hands_over_to_the_throttled_sign_in(acme, owner, in_schema):
    client = Client(HTTP_HOST="acme.localhost")

    response = client.post("/admin/login/?next=/admin/", {"username": owner.user.email, "password": PASSWORD})

    assert response["Location"] == "/login/?next=/admin/"
    assert "_auth_user_id" not in client.session
    with in_schema(acme):
        assert not AuditEntry.objects.filter(action="login").exists()


def test_anonymous_tenant_admin_visitors_reach_the_sign_in_page(acme):
    client = Client(HTTP_HOST="acme.localhost")

    first = client.get("/admin/")
    second = client.get(first["Location"])

    assert first["Location"] == "/admin/login/?next=/admin/"
    assert second["Location"] == "/login/?next=/admin/"
    assert client.get(second["Location"]).status_code == 200


def test_a_tenant_created_in_the_admin_can_get_its_first_owner_inline(platform_admin, owner):
    data = _tenant_form(
        **{
            "memberships-TOTAL_FORMS": "1",
            "memberships-0-user": str(owner.user_id),
            "memberships-0-role": "owner",
            "memberships-0-status": "active",
        }
    )

    response = platform_admin.post("/admin/tenants/tenant/add/", data)

    assert response.status_code == 302
    membership = Membership.objects.get(tenant__slug="initech")
    assert (membership.user, membership.role, membership.status) == (owner.user, "owner", "active")


PLATFORM_LISTS = {
    "/admin/tenants/tenant/": ["q"],
    "/admin/tenants/user/": ["q", "is_active__exact"],
    "/admin/tenants/membership/": ["q", "role__exact", "status__exact", "tenant__id__exact"],
    "/admin/tenants/credential/": ["kind__exact"],
    "/admin/tenants/whatsappnumber/": ["q", "provider__exact"],
}


@pytest.mark.parametrize(("path", "name"), [(path, name) for path, names in PLATFORM_LISTS.items() for name in names])
def test_platform_admin_lists_refuse_a_nul_byte_with_a_message(platform_admin, path, name):
    # Issue 6, finding 5: a NUL byte in a filter was a server error.
    response = platform_admin.get(path, {name: "a\x00b"}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(path, 302)]
    assert "Those filters cannot be used. Showing the whole list instead." in response.content.decode()


def test_superuser_edits_and_saves_a_sandbox_whatsapp_number(platform_admin, acme):
    from tenants.models import WhatsAppNumber

    connection.set_schema_to_public()
    number = WhatsAppNumber.objects.create(
        tenant=acme, provider="sandbox", phone_number_id="sandbox-acme", display_phone="+15550001111"
    )
    url = f"/admin/tenants/whatsappnumber/{number.pk}/change/"
    page = platform_admin.get(url)
    assert page.status_code == 200
    assert b'<option value="sandbox" selected>' in page.content
    response = platform_admin.post(
        url,
        {"tenant": acme.pk, "provider": "sandbox", "phone_number_id": "sandbox-acme", "display_phone": "+15550002222"},
    )
    assert response.status_code == 302, response.context["adminform"].errors if response.context else response
    number.refresh_from_db()
    assert (number.provider, number.display_phone) == ("sandbox", "+15550002222")


def test_the_admin_still_refuses_an_unknown_whatsapp_provider(platform_admin, acme):
    from tenants.models import WhatsAppNumber

    connection.set_schema_to_public()
    number = WhatsAppNumber.objects.create(
        tenant=acme, provider="sandbox", phone_number_id="sandbox-acme", display_phone="+15550001111"
    )
    response = platform_admin.post(
        f"/admin/tenants/whatsappnumber/{number.pk}/change/",
        {"tenant": acme.pk, "provider": "twilio", "phone_number_id": "sandbox-acme", "display_phone": "+1555"},
    )
    assert response.status_code == 200
    assert "provider" in response.context["adminform"].errors
    number.refresh_from_db()
    assert (number.provider, number.display_phone) == ("sandbox", "+15550001111")
