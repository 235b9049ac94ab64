"""Management commands: add_tenant and seed_demo."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core.models import AuditEntry
from tenants.management.commands.seed_demo import DEMO_PASSWORD
from tenants.models import Domain, Membership, MembershipStatus, Role, Tenant, User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", [name])
        return cursor.fetchone() is not None


def test_add_tenant_is_the_projects_own_command():
    # django_tenants ships an interactive `create_tenant`; ours has its own name so it is never shadowed.
    from django.core.management import get_commands

    assert get_commands()["add_tenant"] == "tenants"


def test_create_tenant_makes_the_tenant_its_domain_schema_and_owner(db, in_schema):
    out = io.StringIO()

    call_command(
        "add_tenant",
        "initech",
        name="Initech",
        owner_email="Bill@Initech.example",
        owner_name="Bill Lumbergh",
        owner_password="tps-Reports-2026",
        language="en",
        timezone="America/Chicago",
        currency="USD",
        stdout=out,
    )

    tenant = Tenant.objects.get(slug="initech")
    assert (tenant.name, tenant.schema_name, tenant.language, tenant.timezone, tenant.currency) == (
        "Initech",
        "initech",
        "en",
        "America/Chicago",
        "USD",
    )
    assert list(Domain.objects.filter(tenant=tenant).values_list("domain", "is_primary")) == [
        ("initech.localhost", True)
    ]
    assert _schema_exists("initech")
    owner = Membership.objects.get(tenant=tenant)
    assert (owner.user.email, owner.user.full_name, owner.role, owner.status) == (
        "bill@initech.example",
        "Bill Lumbergh",
        Role.OWNER,
        MembershipStatus.ACTIVE,
    )
    assert owner.user.check_password("tps-Reports-2026")
    with in_schema(tenant):
        assert list(AuditEntry.objects.values_list("action", flat=True)) == ["tenant.create"]
    assert out.getvalue().strip() == "Created tenant Initech at initech.localhost (schema initech)"


def test_create_tenant_reuses_an_existing_account_as_owner(owner):
    users = User.objects.count()

    call_command("add_tenant", "initech", name="Initech", owner_email=owner.user.email, stdout=io.StringIO())

    assert User.objects.count() == users
    assert Membership.objects.get(tenant__slug="initech").user == owner.user


def test_the_new_tenants_owner_signs_in_on_its_host(db):
    from django.test import Client

    call_command(
        "add_tenant",
        "initech",
        name="Initech",
        owner_email="bill@initech.example",
        owner_password="tps-Reports-2026",
        stdout=io.StringIO(),
    )
    client = Client(HTTP_HOST="initech.localhost")

    assert client.post("/login/", {"email": "bill@initech.example", "password": "tps-Reports-2026"}).status_code == 302
    assert client.get("/staff/").status_code == 200


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("acme", "That subdomain is already taken."),
        ("www", "The subdomain must be 3-42 lowercase letters, digits or dashes, not reserved."),
        ("Bad_Slug", "The subdomain must be 3-42 lowercase letters, digits or dashes, not reserved."),
        ("x", "The subdomain must be 3-42 lowercase letters, digits or dashes, not reserved."),
    ],
)
def test_create_tenant_refuses_a_bad_or_taken_subdomain(acme, slug, message):
    tenants, users = Tenant.objects.count(), User.objects.count()

    with pytest.raises(CommandError, match=message):
        call_command("add_tenant", slug, name="Nope", owner_email="nope@example.org", stdout=io.StringIO())

    assert (Tenant.objects.count(), User.objects.count()) == (tenants, users)


def _counts() -> dict[str, int]:
    return {
        "tenants": Tenant.objects.count(),
        "domains": Domain.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "superusers": User.objects.filter(is_superuser=True).count(),
    }


def test_seed_demo_creates_the_demo_people_once(acme, globex):
    """The demo people, and nothing more when it runs again (one test: a seed takes seconds)."""
    before = _counts()

    call_command("seed_demo", stdout=io.StringIO())

    after = _counts()
    assert after["tenants"] == before["tenants"]
    assert after["users"] == before["users"] + 13
    assert after["memberships"] == before["memberships"] + 12
    assert after["superusers"] == before["superusers"] + 1
    for slug in ("acme", "globex"):
        rows = set(
            Membership.objects.filter(tenant__slug=slug, user__email__endswith=f"@{slug}.test")
            .exclude(user__email=f"founder@{slug}.test")
            .values_list("user__email", "role", "status")
        )
        assert rows == {
            (f"owner@{slug}.test", "owner", "active"),
            (f"seller1@{slug}.test", "seller", "active"),
            (f"seller2@{slug}.test", "seller", "active"),
            (f"accountant@{slug}.test", "accountant", "active"),
            (f"marketing@{slug}.test", "marketing", "active"),
            (f"pending@{slug}.test", "seller", "pending"),
        }
    assert User.objects.get(email="owner@acme.test").check_password(DEMO_PASSWORD)
    assert User.objects.get(email="admin@demo.test").is_superuser

    call_command("seed_demo", stdout=io.StringIO())

    assert _counts() == after
