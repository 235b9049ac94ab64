"""Every view of the tenant sites declares who may open it, and the declaration holds for every route.

The routes are read from config.urls_tenants (recursively), so a view added later by any app is
checked without touching this file. The tenant admin (its own permission model) and the views marked
`public_view` / `signed_in_view` are left out of the role checks."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tenants.access import ALL_ROLES
from tenants.models import Role


def _walk(patterns, prefix: str = ""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith("admin/"):
                continue
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def _is_exempt(view) -> bool:
    return bool(getattr(view, "is_public", False) or getattr(view, "signed_in_only", False))


ROUTES = sorted(_walk(get_resolver("config.urls_tenants").url_patterns), key=lambda item: item[0])
GATED = [(route, pattern) for route, pattern in ROUTES if not _is_exempt(pattern.callback)]
PLAIN = [(route, pattern) for route, pattern in GATED if "<" not in route and "(" not in route]


def test_the_route_walk_finds_the_known_tenant_views():
    routes = {route for route, _pattern in ROUTES}

    assert {"", "staff/", "settings/", "audit/", "login/", "staff/<int:pk>/approve/"} <= routes
    assert not any(route.startswith("admin/") for route in routes)


@pytest.mark.parametrize(("route", "pattern"), ROUTES, ids=[route or "/" for route, _ in ROUTES])
def test_every_tenant_view_declares_its_roles(route, pattern):
    view = pattern.callback

    assert hasattr(view, "allowed_roles"), f"/{route} ({pattern.lookup_str}) has no @roles_required"
    assert set(view.allowed_roles) <= set(ALL_ROLES)
    if not _is_exempt(view):
        assert view.allowed_roles, f"/{route} allows no role at all"


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "pattern"), PLAIN, ids=[route or "/" for route, _ in PLAIN])
def test_anonymous_user_is_sent_to_login(acme, route, pattern):
    from django.test import Client

    response = Client(HTTP_HOST="acme.localhost").get(f"/{route}")

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/{route}"


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "pattern"), PLAIN, ids=[route or "/" for route, _ in PLAIN])
def test_another_tenants_owner_gets_403_that_names_nothing(
    acme, globex_owner, owner, seller, client_for, route, pattern
):
    response = client_for(globex_owner.user, acme).get(f"/{route}")

    assert response.status_code == 403
    body = response.content.decode()
    assert "Acme Test" not in body
    for email in ("founder@acme.test", owner.user.email, seller.user.email):
        assert email not in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("route", "pattern", "role"),
    [(route, pattern, role) for route, pattern in PLAIN for role in ALL_ROLES],
    ids=[f"{route or '/'}-{role}" for route, _ in PLAIN for role in ALL_ROLES],
)
def test_each_role_gets_exactly_what_the_view_allows(acme, make_member, client_for, route, pattern, role):
    member = make_member(acme, role)

    response = client_for(member).get(f"/{route}")

    if role in pattern.callback.allowed_roles:
        assert response.status_code != 403
        assert not response.get("Location", "").startswith("/login/")
    else:
        assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["pending", "disabled"])
@pytest.mark.parametrize(("route", "pattern"), PLAIN, ids=[route or "/" for route, _ in PLAIN])
def test_members_without_an_active_membership_get_403(acme, make_member, client_for, status, route, pattern):
    member = make_member(acme, Role.OWNER, status)

    assert client_for(member).get(f"/{route}").status_code == 403


@pytest.mark.django_db
def test_a_deactivated_account_is_treated_as_signed_out(acme, owner, client_for):
    client = client_for(owner)
    owner.user.is_active = False
    owner.user.save(update_fields=["is_active"])

    response = client.get("/staff/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/staff/"
