"""A request finds its company without a database query once the host is cached; changes to a company or
its domains are seen at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tenants.host_cache import tenant_for_host
from tenants.models import Domain

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def cached(settings):
    from django.core.cache import cache

    settings.TENANT_HOST_CACHE_SECONDS = 300
    cache.delete_many(
        ["tenant-by-host:acme.localhost", "tenant-by-host:acme2.localhost", "tenant-by-host:nobody.localhost"]
    )
    yield
    cache.delete_many(
        ["tenant-by-host:acme.localhost", "tenant-by-host:acme2.localhost", "tenant-by-host:nobody.localhost"]
    )


def test_the_tenant_of_a_host_is_read_once_then_cached(acme):
    tenant_for_host("acme.localhost")
    with CaptureQueriesContext(connection) as queries:
        tenant = tenant_for_host("acme.localhost")
        missing = tenant_for_host("nobody.localhost")
        missing_again = tenant_for_host("nobody.localhost")

    assert tenant.pk == acme.pk
    assert (missing, missing_again) == (None, None)
    assert len(queries) == 1  # only the first look-up of the unknown host


def test_a_changed_company_or_domain_is_seen_at_once(acme):
    assert tenant_for_host("acme.localhost").name == acme.name
    acme.name = "Acme Renamed"
    acme.save()
    assert tenant_for_host("acme.localhost").name == "Acme Renamed"

    domain = Domain.objects.get(domain="acme.localhost")
    domain.domain = "acme2.localhost"
    domain.save()
    assert tenant_for_host("acme.localhost") is None
    assert tenant_for_host("acme2.localhost").pk == acme.pk


def test_requests_to_an_unknown_host_are_not_found(acme):
    assert Client(HTTP_HOST="ghost.localhost").get("/health").status_code == 404
