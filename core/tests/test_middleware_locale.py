"""Which language and time zone a page is served in, and the language switcher."""

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tenants.models import Tenant, User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

COOKIE = django_settings.LANGUAGE_COOKIE_NAME


def test_public_site_speaks_the_default_language(settings):
    settings.LANGUAGE_CODE = "es"

    response = Client(HTTP_HOST="localhost").get("/login/")

    assert response["Content-Language"] == "es"
    assert '<html lang="es">' in response.content.decode()


def test_public_site_speaks_the_browsers_language_to_a_new_visitor(settings):
    settings.LANGUAGE_CODE = "es"

    response = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9,en;q=0.8").get("/login/")

    assert response["Content-Language"] == "fr"
    assert "Accept-Language" in response["Vary"]


def test_public_site_prefers_the_cookie_to_the_browsers_language(settings):
    client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="fr")
    client.cookies[COOKIE] = "en"

    assert client.get("/login/")["Content-Language"] == "en"


def test_a_company_site_ignores_the_browsers_language(acme):
    Tenant.objects.filter(pk=acme.pk).update(language="es")

    response = Client(HTTP_HOST="acme.localhost", HTTP_ACCEPT_LANGUAGE="fr").get("/login/")

    assert response["Content-Language"] == "es"


def test_anonymous_visitor_cookie_wins_over_the_tenant_language(acme):
    client = Client(HTTP_HOST="acme.localhost")
    client.cookies[COOKIE] = "fr"

    response = client.get("/login/")

    assert response["Content-Language"] == "fr"


def test_signed_in_user_without_a_choice_gets_the_tenant_language(acme, seller, client_for):
    Tenant.objects.filter(pk=acme.pk).update(language="fr")
    client = client_for(seller)
    client.cookies[COOKIE] = "es"

    assert client.get("/")["Content-Language"] == "fr"


def test_an_unsupported_user_language_falls_back_to_the_tenants(acme, seller, client_for):
    User.objects.filter(pk=seller.user_id).update(language="de")

    assert client_for(seller).get("/")["Content-Language"] == "en"


def test_set_language_stores_a_signed_in_users_choice(acme, seller, client_for):
    client = client_for(seller)

    response = client.post("/i18n/set-language/", {"language": "fr", "next": "/profile/"})

    assert response.status_code == 302
    assert response["Location"] == "/profile/"
    seller.user.refresh_from_db()
    assert seller.user.language == "fr"
    assert response.cookies[COOKIE].value == "fr"
    assert client.get("/")["Content-Language"] == "fr"


def test_set_language_keeps_an_anonymous_choice_in_a_cookie(acme):
    client = Client(HTTP_HOST="localhost")

    response = client.post("/i18n/set-language/", {"language": "fr", "next": "/login/"})

    assert response.status_code == 302
    assert response.cookies[COOKIE].value == "fr"
    assert client.get("/login/")["Content-Language"] == "fr"


def test_set_language_refuses_an_unsupported_language(acme, seller, client_for):
    response = client_for(seller).post("/i18n/set-language/", {"language": "de", "next": "/"})

    assert response.status_code == 302
    assert COOKIE not in response.cookies
    seller.user.refresh_from_db()
    assert seller.user.language == ""


def test_set_language_never_redirects_to_another_host(acme, seller, client_for):
    response = client_for(seller).post("/i18n/set-language/", {"language": "fr", "next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_set_language_is_post_only(acme):
    assert Client(HTTP_HOST="acme.localhost").get("/i18n/set-language/").status_code == 405


def test_the_profile_language_choice_applies(acme, seller, client_for):
    client = client_for(seller)

    client.post("/profile/", {"full_name": "Sam", "phone": "", "language": "fr"})

    assert client.get("/")["Content-Language"] == "fr"
    client.post("/profile/", {"full_name": "Sam", "phone": "", "language": ""})
    assert client.get("/")["Content-Language"] == "en"
