"""Headers every tenant page carries against framing and content sniffing; cookies scripts cannot read."""

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/leads/", "/admin/", "/audit/"])
def test_tenant_pages_refuse_framing_and_sniffing(acme, owner, client_for, path):
    response = client_for(owner).get(path)

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_the_session_cookie_is_http_only_and_same_site(acme, owner):
    client = Client(HTTP_HOST="acme.localhost")

    client.post("/login/", {"email": owner.user.email, "password": "a-Strong-pass-123"})

    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert (cookie["httponly"], cookie["samesite"]) == (True, "Lax")


def _csrf_client(owner, host: str) -> tuple[Client, str]:
    """A signed-in client that checks CSRF like a browser's server would, and the token its page holds."""
    client = Client(HTTP_HOST=host, enforce_csrf_checks=True)
    client.force_login(owner.user)
    client.get("/profile/")
    return client, client.cookies[settings.CSRF_COOKIE_NAME].value


def test_a_post_from_a_sibling_subdomains_origin_is_refused(acme, owner):
    # Finding 4 of issue 6: a wildcard trusted origin accepted a POST to acme from globex's pages.
    client, token = _csrf_client(owner, "acme.localhost:8000")
    data = {"csrfmiddlewaretoken": token, "full_name": "Renamed", "phone": "", "language": ""}

    response = client.post("/profile/", data, HTTP_ORIGIN="http://globex.localhost:8000")

    assert response.status_code == 403
    owner.user.refresh_from_db()
    assert owner.user.full_name != "Renamed"


def test_a_post_from_the_pages_own_origin_is_accepted(acme, owner):
    client, token = _csrf_client(owner, "acme.localhost:8000")
    data = {"csrfmiddlewaretoken": token, "full_name": "Renamed", "phone": "", "language": ""}

    response = client.post("/profile/", data, HTTP_ORIGIN="http://acme.localhost:8000")

    assert response.status_code == 302
    owner.user.refresh_from_db()
    assert owner.user.full_name == "Renamed"
