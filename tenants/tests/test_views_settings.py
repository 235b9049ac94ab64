"""The owners' Settings page: company settings, and the vault pages that never show a secret back."""

from decimal import Decimal

import pytest
from django.test import Client

from core.models import AuditEntry
from tenants.models import Credential, Tenant, User
from tenants.vault import vault_get, vault_set

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

SECRET = "sk-proj-SUPERSECRET-0123456789-tail"
SETTINGS = {
    "name": "Acme Renamed",
    "language": "fr",
    "timezone": "Europe/Paris",
    "currency": "USD",
    "country": "FR",
    "lead_assignment": "round_robin",
    "calendar_provider": "local",
    "listed": "on",
}


@pytest.fixture
def openai_credential(acme, owner):
    return vault_set(tenant=acme, kind="openai", values={"api_key": SECRET, "model": "gpt-4o-mini"}, actor=owner.user)


def test_settings_page_shows_the_current_settings(acme, owner, client_for):
    response = client_for(owner).get("/settings/")

    assert response.status_code == 200
    assert response.context["form"].initial == {
        "name": "Acme Test",
        "language": "en",
        "timezone": "UTC",
        "currency": "EUR",
        "country": "ES",
        "lead_assignment": "manual",
        "ai_enabled": False,
        "calendar_provider": "local",
        "listed": True,
        "lead_value_confirm_above": Decimal("1000000.00"),
    }


def test_owner_updates_name_language_timezone_and_currency(acme, owner, client_for, in_schema):
    response = client_for(owner).post("/settings/", SETTINGS)

    assert response.status_code == 302
    assert response["Location"] == "/settings/"
    acme.refresh_from_db()
    assert (acme.name, acme.language, acme.timezone, acme.currency) == ("Acme Renamed", "fr", "Europe/Paris", "USD")
    with in_schema(acme):
        entry = AuditEntry.objects.get(action="tenant.settings")
    assert entry.actor_id == owner.user_id
    assert entry.changes == {
        "name": {"before": "Acme Test", "after": "Acme Renamed"},
        "language": {"before": "en", "after": "fr"},
        "timezone": {"before": "UTC", "after": "Europe/Paris"},
        "currency": {"before": "EUR", "after": "USD"},
        "country": {"before": "ES", "after": "FR"},
        "lead_assignment": {"before": "manual", "after": "round_robin"},
    }


def test_codes_are_accepted_in_lower_case(acme, owner, client_for):
    response = client_for(owner).post("/settings/", {**SETTINGS, "currency": " usd", "country": "fr "})

    assert response.status_code == 302
    acme.refresh_from_db()
    assert (acme.currency, acme.country) == ("USD", "FR")


@pytest.mark.parametrize("country", ["ZZ", "XX", "E", "ESP"])
def test_an_unknown_country_is_a_field_error(acme, owner, client_for, country):
    response = client_for(owner).post("/settings/", {**SETTINGS, "country": country})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["country"]
    acme.refresh_from_db()
    assert (acme.name, acme.country) == ("Acme Test", "ES")


@pytest.mark.parametrize("currency", ["EURO", "E1R", "€", "", "XYZ", "ESP", "EU\x00"])
def test_a_bad_currency_is_a_field_error_and_nothing_is_saved(acme, owner, client_for, in_schema, currency):
    response = client_for(owner).post("/settings/", {**SETTINGS, "currency": currency})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["currency"]
    acme.refresh_from_db()
    assert (acme.name, acme.language, acme.currency) == ("Acme Test", "en", "EUR")
    with in_schema(acme):
        assert not AuditEntry.objects.filter(action="tenant.settings").exists()


def test_changing_the_currency_warns_that_amounts_are_not_converted(acme, owner, client_for):
    response = client_for(owner).post("/settings/", SETTINGS, follow=True)

    shown = [(message.level_tag, str(message)) for message in response.context["messages"]]
    assert shown == [
        ("success", "Settings saved."),
        (
            "warning",
            "The currency is now USD instead of EUR. Amounts were not converted: an expected value of 100 EUR "
            "now reads 100 USD.",
        ),
    ]


def test_saving_without_changing_the_currency_does_not_warn(acme, owner, client_for):
    response = client_for(owner).post("/settings/", {**SETTINGS, "currency": "eur"}, follow=True)

    assert [message.level_tag for message in response.context["messages"]] == ["success"]


def test_the_currency_is_chosen_from_iso_codes_named_in_the_readers_language(acme, owner, client_for):
    owner.user.language = "fr"
    owner.user.save(update_fields=["language"])

    body = client_for(owner).get("/settings/").content.decode()

    assert '<option value="EUR" selected>EUR · euro</option>' in body
    assert '<option value="MXN">MXN · peso mexicain</option>' in body
    assert "La changer ne convertit pas les montants déjà saisis" in body


def test_an_unknown_timezone_is_a_field_error(acme, owner, client_for):
    response = client_for(owner).post("/settings/", {**SETTINGS, "timezone": "Mars/Olympus"})

    assert list(response.context["form"].errors) == ["timezone"]
    acme.refresh_from_db()
    assert acme.timezone == "UTC"


def test_saving_unchanged_settings_writes_no_audit_entry(acme, owner, client_for, in_schema):
    unchanged = {
        "name": "Acme Test",
        "language": "en",
        "timezone": "UTC",
        "currency": "EUR",
        "country": "ES",
        "lead_assignment": "manual",
    }
    client_for(owner).post("/settings/", {**SETTINGS, **unchanged})

    with in_schema(acme):
        assert not AuditEntry.objects.filter(action="tenant.settings").exists()


def test_the_tenant_language_applies_to_its_pages(acme, owner, seller, client_for):
    client_for(owner).post("/settings/", {**SETTINGS, "language": "fr"})

    response = client_for(seller).get("/")

    assert response["Content-Language"] == "fr"
    assert '<html lang="fr">' in response.content.decode()


def test_the_tenant_language_applies_to_its_login_page(acme):
    Tenant.objects.filter(pk=acme.pk).update(language="fr")

    response = Client(HTTP_HOST="acme.localhost").get("/login/")

    assert response["Content-Language"] == "fr"
    assert '<html lang="fr">' in response.content.decode()


def test_a_users_own_language_overrides_the_tenants(acme, make_member, client_for):
    Tenant.objects.filter(pk=acme.pk).update(language="fr")
    member = make_member(acme, language="es")

    response = client_for(member).get("/")

    assert response["Content-Language"] == "es"
    assert '<html lang="es">' in response.content.decode()


def test_settings_page_never_shows_a_secret_in_full(openai_credential, owner, client_for):
    response = client_for(owner).get("/settings/")

    body = response.content.decode()
    assert SECRET not in body
    assert openai_credential.ciphertext not in body
    assert "••••••••tail" in body
    assert "gpt-4o-mini" in body


def test_credential_edit_page_never_shows_a_secret_in_full(openai_credential, owner, client_for):
    response = client_for(owner).get("/settings/credentials/openai/")

    body = response.content.decode()
    assert response.status_code == 200
    assert SECRET not in body
    assert "••••••••tail" in body
    assert 'value="gpt-4o-mini"' in body


def test_owner_sets_a_credential_from_the_edit_page(acme, owner, client_for):
    response = client_for(owner).post("/settings/credentials/openai/", {"api_key": SECRET, "model": "gpt-4o"})

    assert response.status_code == 302
    assert response["Location"] == "/settings/"
    assert vault_get(tenant=acme, kind="openai") == {"api_key": SECRET, "model": "gpt-4o"}
    assert Credential.objects.get(tenant=acme, kind="openai").updated_by == owner.user


def test_an_empty_form_for_a_credential_not_set_up_stores_nothing(acme, owner, client_for, in_schema):
    response = client_for(owner).post("/settings/credentials/openai/", {"api_key": "", "model": ""})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["Fill in at least one value, or cancel."]
    assert not Credential.objects.filter(tenant=acme).exists()
    with in_schema(acme):
        assert not AuditEntry.objects.filter(action="credential.set").exists()


def test_keep_the_stored_value_is_said_only_when_a_value_is_stored(acme, owner, client_for):
    first = client_for(owner).get("/settings/credentials/openai/").content.decode()
    vault_set(tenant=acme, kind="openai", values={"api_key": SECRET, "model": ""}, actor=owner.user)
    then = client_for(owner).get("/settings/credentials/openai/").content.decode()

    assert "Leave empty to keep the stored value." not in first
    assert "Leave empty to keep the stored value." in then


def test_an_empty_secret_field_keeps_the_stored_secret(acme, openai_credential, owner, client_for):
    client_for(owner).post("/settings/credentials/openai/", {"api_key": "", "model": "gpt-4.1"})

    assert vault_get(tenant=acme, kind="openai") == {"api_key": SECRET, "model": "gpt-4.1"}


@pytest.mark.parametrize(
    ("kind", "data", "invalid"),
    [
        ("google", {"calendar_id": "x" * 300, "service_account_json": SECRET}, "calendar_id"),
        ("meta", {"ad_account_id": "y" * 300, "access_token": SECRET, "app_secret": SECRET}, "ad_account_id"),
    ],
)
def test_a_credential_form_error_is_shown_without_echoing_the_secret(acme, owner, client_for, kind, data, invalid):
    response = client_for(owner).post(f"/settings/credentials/{kind}/", data)

    body = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [invalid]
    assert "Ensure this value has at most 255 characters (it has 300)." in body
    assert SECRET not in body
    assert vault_get(tenant=acme, kind=kind) is None


def test_unknown_credential_kind_is_404(owner, client_for):
    assert client_for(owner).get("/settings/credentials/myspace/").status_code == 404
    assert client_for(owner).post("/settings/credentials/myspace/delete/").status_code == 404


def test_owner_removes_a_credential(acme, openai_credential, owner, client_for):
    response = client_for(owner).post("/settings/credentials/openai/delete/")

    assert response.status_code == 302
    assert not Credential.objects.filter(tenant=acme).exists()


def test_secrets_never_reach_the_audit_log_page(openai_credential, owner, client_for):
    client_for(owner).post("/settings/credentials/openai/", {"api_key": "sk-second-secret-value-42", "model": ""})

    body = client_for(owner).get("/audit/").content.decode()
    assert "credential.set" in body
    assert SECRET not in body
    assert "sk-second-secret-value-42" not in body


def test_public_admin_credential_pages_show_no_secret(openai_credential, db):
    admin = User.objects.create_superuser(email="root@platform.test", password="x-Strong-pass-1", full_name="Root")
    client = Client(HTTP_HOST="localhost")
    client.force_login(admin)

    listing = client.get("/admin/tenants/credential/")
    detail = client.get(f"/admin/tenants/credential/{openai_credential.pk}/change/")

    assert listing.status_code == 200
    assert detail.status_code == 200
    for response in (listing, detail):
        body = response.content.decode()
        assert SECRET not in body
        assert openai_credential.ciphertext not in body
        assert "••••••••tail" not in body
    assert "Acme Test" in detail.content.decode()


def test_error_reports_hide_what_was_posted_to_the_vault_and_login(acme, owner, client_for):
    vault_response = client_for(owner).post("/settings/credentials/openai/", {"api_key": SECRET, "model": "x"})
    login_response = Client(HTTP_HOST="acme.localhost").post("/login/", {"email": "a@b.c", "password": SECRET})

    assert vault_response.wsgi_request.sensitive_post_parameters == "__ALL__"
    assert login_response.wsgi_request.sensitive_post_parameters == ("password",)
