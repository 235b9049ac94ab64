"""Throttles on signing in, registering and password resets (Redis counters, cleared around each test)."""

import pytest
from django.conf import settings as django_settings
from django.test import Client

from core.models import AuditEntry
from tenants.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

PASSWORD = "a-Strong-pass-123"
LOGIN_LIMITED = "Too many sign-in attempts. Please wait a few minutes and try again."


def _login(client, email, password):
    return client.post("/login/", {"email": email, "password": password})


def _fail(client, email, times):
    for _ in range(times):
        assert _login(client, email, "wrong-password").status_code == 200


def _errors(response) -> list[str]:
    return list(response.context["form"].non_field_errors())


def test_too_many_wrong_passwords_lock_the_account_even_for_the_right_one(acme, seller, in_schema):
    client = Client(HTTP_HOST="acme.localhost")
    _fail(client, seller.user.email, django_settings.THROTTLE_LOGIN_ACCOUNT[0])

    response = _login(client, seller.user.email, PASSWORD)

    assert response.status_code == 429
    assert _errors(response) == [LOGIN_LIMITED]
    assert LOGIN_LIMITED in response.content.decode()
    assert "_auth_user_id" not in client.session
    with in_schema(acme):
        entry = AuditEntry.objects.get(action="login.throttled")
    assert entry.object_repr == seller.user.email
    assert entry.ip == "127.0.0.1"


def test_the_attempt_before_the_limit_still_signs_in(acme, seller):
    client = Client(HTTP_HOST="acme.localhost")
    _fail(client, seller.user.email, django_settings.THROTTLE_LOGIN_ACCOUNT[0] - 1)

    assert _login(client, seller.user.email, PASSWORD).status_code == 302


def test_the_account_lock_counts_across_hosts_and_letter_case(acme, seller):
    limit = django_settings.THROTTLE_LOGIN_ACCOUNT[0]
    _fail(Client(HTTP_HOST="localhost"), seller.user.email.upper(), limit - 1)
    _fail(Client(HTTP_HOST="globex.localhost"), seller.user.email, 1)

    assert _login(Client(HTTP_HOST="acme.localhost"), seller.user.email, PASSWORD).status_code == 429


def test_a_locked_account_does_not_lock_another(acme, seller, make_member):
    other = make_member(acme)
    client = Client(HTTP_HOST="acme.localhost")
    _fail(client, seller.user.email, django_settings.THROTTLE_LOGIN_ACCOUNT[0])

    assert _login(client, other.user.email, PASSWORD).status_code == 302


def test_a_successful_sign_in_resets_the_account_counter(acme, seller):
    limit = django_settings.THROTTLE_LOGIN_ACCOUNT[0]
    client = Client(HTTP_HOST="acme.localhost")
    _fail(client, seller.user.email, limit - 1)
    assert _login(client, seller.user.email, PASSWORD).status_code == 302

    _fail(Client(HTTP_HOST="acme.localhost"), seller.user.email, limit - 1)

    assert _login(Client(HTTP_HOST="acme.localhost"), seller.user.email, PASSWORD).status_code == 302


def test_throttled_attempts_are_audited_once_per_window(acme, seller, in_schema):
    client = Client(HTTP_HOST="acme.localhost")
    _fail(client, seller.user.email, django_settings.THROTTLE_LOGIN_ACCOUNT[0])

    for _ in range(3):
        assert _login(client, seller.user.email, PASSWORD).status_code == 429

    with in_schema(acme):
        assert AuditEntry.objects.filter(action="login.throttled").count() == 1


def test_too_many_failures_from_one_address_lock_every_account(acme, seller, make_member, settings):
    settings.THROTTLE_LOGIN_IP = (3, 900)
    client = Client(HTTP_HOST="acme.localhost")
    for number in range(3):
        _fail(client, f"guess{number}@example.org", 1)

    response = _login(client, seller.user.email, PASSWORD)

    assert response.status_code == 429
    assert _errors(response) == [LOGIN_LIMITED]


def test_the_address_limit_does_not_touch_other_addresses(acme, seller, settings):
    settings.THROTTLE_LOGIN_IP = (3, 900)
    for number in range(3):
        _fail(Client(HTTP_HOST="acme.localhost"), f"guess{number}@example.org", 1)

    response = Client(HTTP_HOST="acme.localhost", REMOTE_ADDR="10.0.0.9").post(
        "/login/", {"email": seller.user.email, "password": PASSWORD}
    )

    assert response.status_code == 302


def test_password_reset_is_throttled_per_account(acme, seller, mailoutbox, in_schema):
    limit = django_settings.THROTTLE_PASSWORD_RESET_ACCOUNT[0]
    client = Client(HTTP_HOST="acme.localhost")
    for _ in range(limit):
        assert client.post("/password-reset/", {"email": seller.user.email}).status_code == 302

    response = client.post("/password-reset/", {"email": seller.user.email})

    assert response.status_code == 429
    assert _errors(response) == ["Too many reset requests. Please wait an hour and try again."]
    assert len(mailoutbox) == limit
    with in_schema(acme):
        assert AuditEntry.objects.filter(action="password_reset.throttled").count() == 1
        assert AuditEntry.objects.filter(action="password_reset.request").count() == limit


def test_password_reset_is_throttled_per_address(acme, make_member, mailoutbox, settings):
    settings.THROTTLE_PASSWORD_RESET_IP = (2, 3600)
    people = [make_member(acme).user.email for _ in range(3)]
    client = Client(HTTP_HOST="localhost")

    statuses = [client.post("/password-reset/", {"email": email}).status_code for email in people]

    assert statuses == [302, 302, 429]
    assert [message.to for message in mailoutbox] == [[people[0]], [people[1]]]


def _registration(tenant, number):
    return {
        "full_name": f"Person {number}",
        "email": f"person{number}@example.org",
        "tenant": str(tenant.pk),
        "password1": "Corr3ct-horse-battery",
        "password2": "Corr3ct-horse-battery",
    }


def test_registration_is_throttled_per_address(acme, settings, in_schema):
    settings.THROTTLE_REGISTER_IP = (2, 3600)
    client = Client(HTTP_HOST="localhost")
    assert client.post("/register/", _registration(acme, 1)).status_code == 200
    assert client.post("/register/", _registration(acme, 2)).status_code == 200

    response = client.post("/register/", _registration(acme, 3))

    assert response.status_code == 429
    assert _errors(response) == ["Too many registrations from your network. Please try again later."]
    assert list(User.objects.filter(email__startswith="person").values_list("email", flat=True).order_by("email")) == [
        "person1@example.org",
        "person2@example.org",
    ]
    assert AuditEntry.objects.filter(action="register.throttled").count() == 1


def test_an_invalid_registration_does_not_count(acme, settings):
    settings.THROTTLE_REGISTER_IP = (1, 3600)
    client = Client(HTTP_HOST="localhost")
    client.post("/register/", {**_registration(acme, 1), "password2": "different-Pass-1"})

    assert client.post("/register/", _registration(acme, 2)).status_code == 200
    assert User.objects.filter(email="person2@example.org").exists()
