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
