"""Moving between tenant subdomains: the target host gives the browser a state, the source host makes a one-use
token bound to that state and to its session, and the target's page posts it from its own origin."""

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core import signing
from django.test import Client

from tenants.models import Membership, MembershipStatus, Role
from tenants.services import handoff_state_new, handoff_token_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def both(acme, globex, make_member):
    """A person active in acme (seller) and in globex (owner)."""
    membership = make_member(acme, Role.SELLER)
    Membership.objects.create(user=membership.user, tenant=globex, role=Role.OWNER, status=MembershipStatus.ACTIVE)
    return membership.user


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _query(url: str, name: str) -> str:
    return parse_qs(urlsplit(url).query)[name][0]


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


class Browser:
    """One browser: a cookie jar per host, as browsers keep on *.localhost."""

    def __init__(self, **extra):
        self.extra = extra
        self.hosts: dict[str, Client] = {}

    def on(self, host: str) -> Client:
        if host not in self.hosts:
            self.hosts[host] = Client(HTTP_HOST=host, **self.extra)
        return self.hosts[host]

    def get(self, url: str, host: str | None = None):
        parts = urlsplit(url)
        return self.on(host or parts.netloc).get(_local(url))


def _signed_in_browser(user, host="acme.localhost") -> Browser:
    browser = Browser()
    browser.on(host).force_login(user)
    return browser


def _token_for(browser: Browser, *, to="globex", host="acme.localhost") -> str:
    """Follows the switch up to the target's hand-off page and answers the token that page would post."""
    start = browser.on(host).get(f"/switch/{to}/")["Location"]
    back = browser.get(start)["Location"]
    page = browser.get(browser.get(back)["Location"])
    assert page.status_code == 200
    return re.search(r'name="token" value="([^"]+)"', page.content.decode()).group(1)


def _post_token(browser: Browser, token: str, host="globex.localhost"):
    return browser.on(host).post("/auth/handoff/", {"token": token})


def test_switch_goes_first_to_the_other_tenants_start_then_back_with_a_state(both):
    browser = _signed_in_browser(both)

    start = browser.on("acme.localhost").get("/switch/globex/")
    back = browser.get(start["Location"])

    assert start.status_code == 302
    assert start["Location"] == "http://globex.localhost/auth/handoff/start/?from=acme"
    assert back.status_code == 302
    assert back["Location"].startswith("http://acme.localhost/switch/globex/?state=")
    cookie = browser.on("globex.localhost").cookies["crm_handoff"]
    assert (cookie["httponly"], cookie["samesite"], cookie["path"]) == (True, "Lax", "/auth/handoff/")


def test_the_state_comes_back_as_a_token_for_the_handoff_page(both):
    browser = _signed_in_browser(both)
    back = browser.get(browser.on("acme.localhost").get("/switch/globex/")["Location"])["Location"]

    response = browser.get(back)

    assert response["Location"].startswith("http://globex.localhost/auth/handoff/?token=")
    assert len(_query(response["Location"], "token")) > 40


def test_the_handoff_page_posts_the_token_from_a_static_script_and_signs_nobody_in_by_itself(both):
    browser = _signed_in_browser(both)
    start = browser.on("acme.localhost").get("/switch/globex/")["Location"]
    back = browser.get(start)["Location"]
    target = browser.get(back)["Location"]

    page = browser.get(target)

    body = page.content.decode()
    assert page.status_code == 200
    assert '<form method="post" action="/auth/handoff/" data-handoff>' in body
    assert 'src="/static/js/handoff.js"' in body
    assert "<script>" not in body
    assert "no-store" in page["Cache-Control"]
    assert not _signed_in(browser.on("globex.localhost"))


def test_posting_the_token_signs_in_on_the_other_tenant(both):
    browser = _signed_in_browser(both)
    token = _token_for(browser)

    response = _post_token(browser, token)

    globex = browser.on("globex.localhost")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert globex.session["_auth_user_id"] == str(both.pk)
    assert globex.cookies["crm_handoff"].value == ""
    dashboard = globex.get("/")
    assert dashboard.status_code == 200
    assert dashboard.context["membership"].role == Role.OWNER


def test_a_get_with_the_token_signs_nobody_in(both):
    # Finding 6 of issue 6: the hand-off signed in on a plain GET.
    browser = _signed_in_browser(both)
    start = browser.on("acme.localhost").get("/switch/globex/")["Location"]
    target = browser.get(browser.get(start)["Location"])["Location"]

    browser.get(target)
    browser.get(target)

    assert not _signed_in(browser.on("globex.localhost"))


def test_a_member_cannot_sign_someone_elses_browser_into_their_account(both):
    # Finding 6 of issue 6: a token minted by its owner, opened in another person's browser, signed them in.
    token = _token_for(_signed_in_browser(both))
    victim = Browser()
    victim.get("http://globex.localhost/auth/handoff/start/?from=acme")  # even with a state of its own

    page = victim.get(f"http://globex.localhost/auth/handoff/?token={token}")
    response = _post_token(victim, token)

    assert page.status_code == 200
    assert response["Location"] == "/login/"
    assert _messages(response) == ["This sign-in link was made for another browser. Please sign in again."]
    assert not _signed_in(victim.on("globex.localhost"))


def test_a_token_dies_when_its_session_signs_out(both):
    # Finding 6 of issue 6: a token minted before signing out signed in after it.
    browser = _signed_in_browser(both)
    token = _token_for(browser)
    browser.on("acme.localhost").post("/logout/")

    response = _post_token(browser, token)

    assert response["Location"] == "/login/"
    assert _messages(response) == ["This sign-in link has expired. Please sign in again."]
    assert not _signed_in(browser.on("globex.localhost"))


def test_a_password_change_voids_tokens_made_before_it(both):
    browser = _signed_in_browser(both)
    token = _token_for(browser)
    both.set_password("a-New-pass-456")
    both.save()

    response = _post_token(browser, token)

    assert response["Location"] == "/login/"
    assert not _signed_in(browser.on("globex.localhost"))


def test_a_password_change_on_the_profile_page_voids_tokens_made_before_it(both):
    browser = _signed_in_browser(both)
    token = _token_for(browser)
    changed = browser.on("acme.localhost").post(
        "/profile/password/",
        {"old_password": "a-Strong-pass-123", "new_password1": "a-New-pass-456", "new_password2": "a-New-pass-456"},
    )
    assert changed.status_code == 302

    response = _post_token(browser, token)

    assert response["Location"] == "/login/"
    assert not _signed_in(browser.on("globex.localhost"))


def test_a_token_works_once(both):
    browser = _signed_in_browser(both)
    token = _token_for(browser)
    _post_token(browser, token)
    browser.on("globex.localhost").logout()

    response = _post_token(browser, token)

    assert response["Location"] == "/login/"
    assert _messages(response) == ["This sign-in link was already used."]
    assert not _signed_in(browser.on("globex.localhost"))


def test_a_token_for_one_tenant_is_refused_on_another(both):
    browser = _signed_in_browser(both, host="localhost")
    token = _token_for(browser, to="globex", host="localhost")

    response = _post_token(browser, token, host="acme.localhost")

    assert response["Location"] == "/login/"
    assert _messages(response) == ["This sign-in link is not for this company."]
    assert not _signed_in(browser.on("acme.localhost"))


def test_an_expired_token_is_refused(both, globex, monkeypatch):
    browser = _signed_in_browser(both)
    start = browser.on("acme.localhost").get("/switch/globex/")["Location"]
    state = _query(browser.get(start)["Location"], "state")
    two_minutes_ago = signing.b62_encode(int(time.time()) - 120)
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: two_minutes_ago)
    token = handoff_token_create(
        user=both, tenant=globex, state=state, session_key=browser.on("acme.localhost").session.session_key
    )
    monkeypatch.undo()

    response = _post_token(browser, token)

    assert response["Location"] == "/login/"
    assert _messages(response) == ["This sign-in link has expired. Please sign in again."]
    assert not _signed_in(browser.on("globex.localhost"))


@pytest.mark.parametrize("token", ["", "garbage", "eyJ1IjoxfQ:1abc:forged"])
def test_a_forged_token_is_refused(both, token):
    browser = Browser()
    browser.get("http://globex.localhost/auth/handoff/start/?from=acme")

    response = _post_token(browser, token)

    assert response["Location"] == "/login/"
    assert not _signed_in(browser.on("globex.localhost"))


def test_a_member_disabled_since_the_token_was_made_is_refused(both, globex):
    browser = _signed_in_browser(both)
    token = _token_for(browser)
    Membership.objects.filter(user=both, tenant=globex).update(status=MembershipStatus.DISABLED)

    response = _post_token(browser, token)

    assert response["Location"] == "/login/"
    assert _messages(response) == ["You do not have access to that company."]


def test_the_post_must_come_from_the_target_hosts_own_origin(both):
    browser = Browser(enforce_csrf_checks=True)
    browser.on("acme.localhost").force_login(both)
    token = _token_for(browser)
    globex = browser.on("globex.localhost")
    csrf = globex.cookies[settings.CSRF_COOKIE_NAME].value

    foreign = globex.post(
        "/auth/handoff/", {"token": token, "csrfmiddlewaretoken": csrf}, HTTP_ORIGIN="http://acme.localhost"
    )
    own = globex.post(
        "/auth/handoff/", {"token": token, "csrfmiddlewaretoken": csrf}, HTTP_ORIGIN="http://globex.localhost"
    )

    assert foreign.status_code == 403
    assert own.status_code == 302
    assert own["Location"] == "/"


def test_the_start_only_returns_to_a_known_host(acme, globex):
    browser = Browser()

    assert browser.get("http://globex.localhost/auth/handoff/start/?from=evil.example")["Location"] == "/login/"
    assert browser.get("http://globex.localhost/auth/handoff/start/?from=")["Location"] == "/login/"
    public = browser.get("http://globex.localhost/auth/handoff/start/?from=public")["Location"]
    assert public.startswith("http://localhost/switch/globex/?state=")


def test_a_state_that_is_not_one_starts_over(both):
    response = _signed_in_browser(both).on("acme.localhost").get("/switch/globex/", {"state": "short"})

    assert response["Location"] == "http://globex.localhost/auth/handoff/start/?from=acme"


def test_the_header_offers_the_other_company(both, acme):
    client = Client(HTTP_HOST="acme.localhost")
    client.force_login(both)

    body = client.get("/").content.decode()

    assert '<a href="/switch/globex/">Globex Test</a>' in body


def test_switching_to_a_tenant_without_active_membership_is_refused(acme, globex, seller):
    response = _signed_in_browser(seller.user).on("acme.localhost").get("/switch/globex/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert _messages(response) == ["You do not have access to that company."]


@pytest.mark.parametrize("status", [MembershipStatus.PENDING, MembershipStatus.DISABLED])
def test_switching_needs_an_active_membership(acme, globex, seller, status):
    Membership.objects.create(user=seller.user, tenant=globex, role=Role.SELLER, status=status)

    response = _signed_in_browser(seller.user).on("acme.localhost").get("/switch/globex/")

    assert response["Location"] == "/"


def test_switching_to_an_unknown_or_the_public_tenant_is_404(both):
    client = _signed_in_browser(both).on("acme.localhost")

    assert client.get("/switch/nowhere/").status_code == 404
    assert client.get("/switch/public/").status_code == 404


def test_switch_from_the_public_site_signs_in_on_the_tenant(both):
    browser = _signed_in_browser(both, host="localhost")
    token = _token_for(browser, to="acme", host="localhost")

    assert _post_token(browser, token, host="acme.localhost")["Location"] == "/"
    assert browser.on("acme.localhost").get("/").status_code == 200


def test_switch_keeps_the_port_the_user_came_in_on(both):
    browser = _signed_in_browser(both, host="acme.localhost:8000")

    start = browser.on("acme.localhost:8000").get("/switch/globex/")["Location"]
    back = browser.get(start)["Location"]

    assert start == "http://globex.localhost:8000/auth/handoff/start/?from=acme"
    assert back.startswith("http://acme.localhost:8000/switch/globex/?state=")
    assert browser.get(back)["Location"].startswith("http://globex.localhost:8000/auth/handoff/?token=")


def test_anonymous_switch_goes_to_login(acme):
    response = Client(HTTP_HOST="acme.localhost").get("/switch/globex/")

    assert response["Location"] == "/login/?next=/switch/globex/"


def test_handoff_on_the_public_site_signs_nobody_in(both, globex):
    client = Client(HTTP_HOST="localhost")
    client.force_login(both)
    token = handoff_token_create(
        user=both, tenant=globex, state=handoff_state_new(), session_key=client.session.session_key
    )
    anonymous = Client(HTTP_HOST="localhost")

    assert anonymous.post("/auth/handoff/", {"token": token}).status_code == 404
    assert anonymous.get("/auth/handoff/start/").status_code == 404
    assert not _signed_in(anonymous)
