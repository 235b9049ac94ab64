"""`manage.py add_tenant`: how an operator adds a company from the command line."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command, get_commands
from django.utils import translation

from tenants.models import Domain, Membership, Tenant, User

pytestmark = pytest.mark.django_db


def test_the_command_is_the_projects_own():
    # django_tenants' generic `create_tenant` would shadow a project command of that name
    assert get_commands()["add_tenant"] == "tenants"


def test_it_creates_the_tenant_with_its_domain_and_active_owner():
    out = StringIO()

    call_command(
        "add_tenant",
        "initech",
        name="Initech",
        owner_email="Bill@Initech.test",
        owner_password="a-Strong-pass-123",
        language="en",
        timezone="Europe/Paris",
        currency="USD",
        stdout=out,
    )

    tenant = Tenant.objects.get(slug="initech")
    assert (tenant.name, tenant.schema_name, tenant.language, tenant.timezone, tenant.currency) == (
        "Initech",
        "initech",
        "en",
        "Europe/Paris",
        "USD",
    )
    assert list(Domain.objects.filter(tenant=tenant).values_list("domain", "is_primary")) == [
        ("initech.localhost", True)
    ]
    owner = User.objects.get(email="bill@initech.test")
    assert owner.check_password("a-Strong-pass-123")
    membership = Membership.objects.get(tenant=tenant)
    assert (membership.user, membership.role, membership.status) == (owner, "owner", "active")
    assert out.getvalue() == "Created tenant Initech at initech.localhost (schema initech)\n"


def test_a_taken_subdomain_is_refused_and_nothing_is_created():
    tenants = Tenant.objects.count()
    users = User.objects.count()

    with translation.override("en"), pytest.raises(CommandError, match=r"That subdomain is already taken\."):
        call_command("add_tenant", "acme", name="Another Acme", owner_email="new@acme.test")

    assert Tenant.objects.count() == tenants
    assert User.objects.count() == users
