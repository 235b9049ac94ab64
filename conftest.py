"""Shared fixtures: two tenants created once per test database, members per role, logged-in clients.

Tenants `acme` and `globex` are created (committed) once and kept with --reuse-db; everything a test
writes inside them is rolled back with the test's transaction. `tenant` puts the connection in acme.
"""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from tenants.models import Domain, Membership, MembershipStatus, Role, Tenant, User

TEST_TENANTS = {"acme": "Acme Test", "globex": "Globex Test"}
_counter = itertools.count(1)


def _ensure_tenant(slug: str, name: str) -> Tenant:
    from tenants.services import tenant_create

    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        # Both companies have turned public registration on (new companies start without it).
        tenant = tenant_create(
            name=name, slug=slug, owner_email=f"founder@{slug}.test", owner_name=f"{name} Founder", listed=True
        )
    return tenant


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        public, _ = Tenant.objects.get_or_create(
            schema_name="public", defaults={"name": "Public", "slug": "public", "listed": False}
        )
        Domain.objects.get_or_create(domain="localhost", defaults={"tenant": public, "is_primary": True})
        for slug, name in TEST_TENANTS.items():
            _ensure_tenant(slug, name)
        connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _isolated_channels_db(monkeypatch):
    """Channels closes 'old' connections around each database_sync_to_async call, which would close the
    test's transaction. Consumers under test run on the test thread (async_to_sync), so keep it open."""
    import channels.db

    monkeypatch.setattr(channels.db, "close_old_connections", lambda: None)


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """Each test gets its own channel layer. Tests run their scenarios with async_to_sync, one event loop
    each; channels_redis keeps per-channel locks that a loop closed mid-receive (a backup-queue cleaner
    still pending when the scenario returned) leaves held and bound to that dead loop, and the next
    test's receive then fails with "bound to a different event loop"."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _public_schema_first():
    """Every test starts (and ends) in the public schema: a request through the test client leaves the
    connection in the tenant it served, which would otherwise leak into the next test."""
    connection.set_schema_to_public()
    yield
    connection.set_schema_to_public()


def _delete_throttle_keys() -> None:
    from django.conf import settings
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    keys = list(redis.scan_iter(match=f"{settings.CACHE_KEY_PREFIX}:throttle:*", count=500))
    if keys:
        redis.delete(*keys)


@pytest.fixture(autouse=True)
def _clear_throttles():
    """Login, registration and reset throttles live in Redis, outside the rolled-back transaction: every
    test starts and ends with none, so one test's failed sign-ins never throttle another's."""
    _delete_throttle_keys()
    yield
    _delete_throttle_keys()


@pytest.fixture
def acme(db) -> Tenant:
    return Tenant.objects.get(slug="acme")


@pytest.fixture
def globex(db) -> Tenant:
    return Tenant.objects.get(slug="globex")


@pytest.fixture
def english(acme, globex, settings):
    """Pages in English whatever the catalogs say: both test tenants and the public site speak "en"
    (rolled back after the test), so tests can assert on the source strings."""
    settings.LANGUAGE_CODE = "en"
    Tenant.objects.filter(pk__in=[acme.pk, globex.pk]).update(language="en")
    acme.language = globex.language = "en"


@pytest.fixture
def tenant(acme):
    """The connection is inside acme for the test; back to public afterwards."""
    connection.set_tenant(acme)
    yield acme
    connection.set_schema_to_public()


@pytest.fixture
def make_member(db):
    """make_member(tenant, role="seller", status="active", **user_fields) -> Membership"""

    def make(tenant: Tenant, role: str = Role.SELLER, status: str = MembershipStatus.ACTIVE, **fields) -> Membership:
        n = next(_counter)
        email = fields.pop("email", f"{role}{n}@{tenant.slug}.example")
        user = User.objects.create_user(
            email=email,
            password=fields.pop("password", "a-Strong-pass-123"),
            full_name=fields.pop("full_name", f"{role.title()} {n}"),
            **fields,
        )
        return Membership.objects.create(user=user, tenant=tenant, role=role, status=status)

    return make


@pytest.fixture
def client_for():
    """client_for(membership_or_user, tenant=None) -> a Client on the tenant's host, signed in."""

    def make(who, tenant: Tenant | None = None) -> Client:
        user = who.user if isinstance(who, Membership) else who
        tenant = tenant or (who.tenant if isinstance(who, Membership) else None)
        host = f"{tenant.slug}.localhost" if tenant is not None else "localhost"
        client = Client(HTTP_HOST=host)
        client.force_login(user)
        return client

    return make


@pytest.fixture
def owner(acme, make_member) -> Membership:
    return make_member(acme, Role.OWNER)


@pytest.fixture
def seller(acme, make_member) -> Membership:
    return make_member(acme, Role.SELLER)


@pytest.fixture
def globex_owner(globex, make_member) -> Membership:
    return make_member(globex, Role.OWNER)


@pytest.fixture
def in_schema():
    """with in_schema(tenant): ... runs ORM calls inside that tenant's schema."""
    return lambda tenant: schema_context(tenant.schema_name)
