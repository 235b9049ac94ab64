"""`manage.py ensure_public_tenant`: the deploy step that makes BASE_DOMAIN serve the public site."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tenants.models import Domain, Tenant

pytestmark = pytest.mark.django_db


def run() -> str:
    out = StringIO()
    call_command("ensure_public_tenant", stdout=out)
    return out.getvalue()


def test_on_a_fresh_database_it_creates_the_public_tenant_and_its_domain(settings):
    # given a database where nothing serves the public site
    settings.BASE_DOMAIN = "crm.example.com"
    Domain.objects.filter(tenant__schema_name="public").delete()
    Tenant.objects.filter(schema_name="public").delete()

    # when the deploy step runs
    output = run()

    # then the public tenant exists with BASE_DOMAIN as its primary domain
    public = Tenant.objects.get(schema_name="public")
    assert (public.slug, public.listed) == ("public", False)
    assert list(public.domains.values_list("domain", "is_primary")) == [("crm.example.com", True)]
    assert output == "The public site now answers on crm.example.com.\n"


def test_the_public_site_then_answers_on_base_domain(settings):
    settings.BASE_DOMAIN = "crm.example.com"
    settings.ALLOWED_HOSTS = ["crm.example.com", ".crm.example.com"]
    run()

    response = Client(HTTP_HOST="crm.example.com").get("/login/")

    assert response.status_code == 200


def test_running_it_again_changes_nothing():
    # given the test database's public tenant on localhost (BASE_DOMAIN in tests)
    before = list(Domain.objects.order_by("pk").values_list("domain", "tenant_id", "is_primary"))
    tenants = Tenant.objects.count()

    output = run()

    assert list(Domain.objects.order_by("pk").values_list("domain", "tenant_id", "is_primary")) == before
    assert Tenant.objects.count() == tenants
    assert output == "The public site already answers on localhost.\n"


def test_a_new_base_domain_is_added_beside_the_primary_one(settings):
    settings.BASE_DOMAIN = "crm.example.com"

    run()

    public = Tenant.objects.get(schema_name="public")
    assert sorted(public.domains.values_list("domain", "is_primary")) == [
        ("crm.example.com", False),
        ("localhost", True),
    ]


def test_it_refuses_a_base_domain_that_belongs_to_a_company(settings, acme):
    # given BASE_DOMAIN set, by mistake, to a company's host
    settings.BASE_DOMAIN = "acme.localhost"
    domains = Domain.objects.count()

    with pytest.raises(CommandError, match=r"acme\.localhost already belongs to the tenant 'acme'"):
        run()

    assert Domain.objects.count() == domains
    assert Domain.objects.get(domain="acme.localhost").tenant == acme
