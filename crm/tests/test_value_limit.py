"""A lead value above the company's sanity limit asks to be confirmed (issue 7, settings that guide)."""

import re
from decimal import Decimal

import pytest

from crm.models import Lead
from crm.tests.factories import LeadFactory, stage

pytestmark = pytest.mark.django_db


def _form(**overrides):
    data = {"phone": "612000001", "first_name": "Ana", "stage": stage("new").pk, "source": "manual"}
    data.update(overrides)
    return data


def test_a_value_above_the_limit_asks_to_be_confirmed(english, tenant, owner, client_for):
    tenant.lead_value_confirm_above = Decimal("100000")
    tenant.save(update_fields=["lead_value_confirm_above"])
    client = client_for(owner)

    asked = client.post("/leads/new/", _form(expected_value="1500000"))
    confirmed = client.post("/leads/new/", _form(expected_value="1500000", confirm_value="on"))

    assert asked.status_code == 200
    body = asked.content.decode()
    assert "This is above 100,000 EUR." in body
    assert 'name="confirm_value"' in body
    assert confirmed.status_code == 302
    assert Lead.objects.get().expected_value == Decimal("1500000")


def test_a_value_within_the_limit_needs_no_confirmation(english, tenant, owner, client_for):
    response = client_for(owner).post("/leads/new/", _form(expected_value="2500"))

    assert response.status_code == 302
    assert 'name="confirm_value"' not in client_for(owner).get("/leads/new/").content.decode()


def test_editing_a_lead_to_a_huge_value_asks_too(english, tenant, owner, client_for):
    lead = LeadFactory(phone="+34612000001")

    response = client_for(owner).post(
        f"/leads/{lead.pk}/edit/", _form(expected_value="99999999", first_name="Ana", phone="+34612000001")
    )

    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.expected_value == Decimal("1000.00")


def test_owners_set_the_limit_in_the_settings(english, tenant, owner, client_for):
    data = {
        "name": "Acme Test", "language": "en", "timezone": "Europe/Madrid", "currency": "EUR", "country": "ES",
        "lead_assignment": "manual", "calendar_provider": "local", "lead_value_confirm_above": "50000",
    }  # fmt: skip

    response = client_for(owner).post("/settings/", data)

    assert response.status_code == 302
    tenant.refresh_from_db()
    assert (tenant.lead_value_confirm_above, tenant.listed) == (Decimal("50000"), False)


def test_the_settings_offer_grouped_time_zones_and_named_countries(english, tenant, owner, client_for):
    body = client_for(owner).get("/settings/").content.decode()

    assert '<optgroup label="Europe">' in body
    assert re.search(r'<option value="Europe/Madrid"( selected)?>\(UTC\+0[12]:00\) Madrid</option>', body)
    assert '<option value="ES" selected>Spain (ES)</option>' in body
    assert "data-searchable" in body


def test_country_names_follow_the_readers_language(tenant, owner, client_for):
    owner.user.language = "es"
    owner.user.save(update_fields=["language"])

    body = client_for(owner).get("/settings/").content.decode()

    assert '<option value="DE">Alemania (DE)</option>' in body
