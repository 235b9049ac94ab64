"""Headers every tenant page carries against framing and content sniffing; cookies scripts cannot read."""

import json
import re
from pathlib import Path

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


# Issue 6, finding 8: a Content-Security-Policy that forbids inline script, on every page, which every page
# keeps to (the browser tests run with it on and fail on any violation the browser reports).
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self' ws://acme.localhost; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
OWNER_PAGES = [
    "/", "/leads/", "/leads/new/", "/leads/import/", "/pipeline/", "/pipeline/stages/", "/analytics/", "/staff/",
    "/audit/", "/settings/", "/profile/", "/no-such-page/",
]  # fmt: skip
ADMIN_PAGES = ["/admin/", "/admin/core/auditentry/", "/admin/crm/lead/", "/admin/crm/tag/add/"]
ANONYMOUS_PAGES = [
    ("localhost", "/"), ("localhost", "/login/"), ("localhost", "/register/"), ("localhost", "/password-reset/"),
    ("acme.localhost", "/login/"), ("acme.localhost", "/auth/handoff/?token=x"),
]  # fmt: skip
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]*\s(on[a-z]+|hx-on[:-][^=\s]*)\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|<[^>]*\sstyle\s*=", re.IGNORECASE)


def _inline_code(body: str, patterns=(INLINE_SCRIPT, INLINE_HANDLER, INLINE_STYLE)) -> list[str]:
    return [match.group(0) for pattern in patterns for match in pattern.finditer(body)]


@pytest.mark.parametrize("path", OWNER_PAGES)
def test_every_owner_page_sends_the_policy_and_keeps_to_it(acme, owner, client_for, path):
    client = client_for(owner)
    client.raise_request_exception = False

    response = client.get(path)

    assert response.status_code in {200, 404}
    assert response["Content-Security-Policy"] == POLICY
    assert _inline_code(response.content.decode()) == []


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_the_admin_allows_its_inline_styles_but_no_inline_script(acme, owner, client_for, path):
    response = client_for(owner).get(path)

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == POLICY.replace(
        "style-src 'self';", "style-src 'self' 'unsafe-inline';"
    )
    assert _inline_code(response.content.decode(), patterns=(INLINE_SCRIPT, INLINE_HANDLER)) == []


@pytest.mark.parametrize(("host", "path"), ANONYMOUS_PAGES)
def test_public_pages_send_the_policy_and_keep_to_it(acme, host, path):
    response = Client(HTTP_HOST=host).get(path)

    assert response.status_code == 200
    assert response["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self'; style-src 'self';")
    assert f"connect-src 'self' ws://{host};" in response["Content-Security-Policy"]
    assert _inline_code(response.content.decode()) == []


def test_behind_tls_the_socket_origin_is_wss(acme, owner, client_for, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    response = client_for(owner).get("/", HTTP_X_FORWARDED_PROTO="https")

    assert "connect-src 'self' wss://acme.localhost;" in response["Content-Security-Policy"]


def test_no_template_holds_inline_script_handlers_or_styles():
    found = {}
    for template in sorted(Path(settings.BASE_DIR).glob("**/templates/**/*.html")):
        if ".venv" in template.parts or "var" in template.parts:
            continue
        inline = _inline_code(template.read_text())
        if inline:
            found[str(template.relative_to(settings.BASE_DIR))] = inline
    assert found == {}


def test_htmx_adds_no_inline_style_and_evaluates_nothing(acme, owner, client_for):
    body = client_for(owner).get("/").content.decode()

    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", body).group(1)
    assert json.loads(config) == {
        "includeIndicatorStyles": False,
        "allowEval": False,
        "attributesToSettle": ["class", "width", "height"],
    }
