"""Owners merge duplicates, delete leads and erase a person from pages that ask first."""

from __future__ import annotations

import pytest

from crm.models import Lead, LeadRedirect
from crm.services.timeline import note_add
from crm.tests.factories import LeadFactory
from tenants.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def twins(tenant, owner):
    first = LeadFactory(phone="+34612000001", first_name="Ana", last_name="López", email="ana@example.com")
    second = LeadFactory(phone="+34612000002", first_name="Ana", last_name="Lopez", email="ANA@example.com")
    LeadFactory(phone="+34612000003", first_name="Luis", last_name="Otro", email="luis@example.com")
    note_add(lead=second, actor=owner.user, body="second's note")
    return first, second


def test_the_merge_page_offers_the_leads_with_the_same_email_or_name(english, twins, owner, client_for):
    first, second = twins

    response = client_for(owner).get(f"/leads/{first.pk}/merge/")

    assert [lead.pk for lead in response.context["candidates"]] == [second.pk]


def test_a_search_finds_any_other_lead(english, twins, owner, client_for):
    first, _second = twins

    response = client_for(owner).get(f"/leads/{first.pk}/merge/", {"q": "612000003"})

    assert [lead.phone for lead in response.context["candidates"]] == ["+34612000003"]


def test_the_confirmation_shows_the_result_and_merging_keeps_the_chosen_lead(english, twins, owner, client_for):
    first, second = twins
    client = client_for(owner)

    page = client.get(f"/leads/{first.pk}/merge/{second.pk}/", {"keep": second.pk})
    assert page.context["keep"] == second
    merged = client.post(f"/leads/{first.pk}/merge/{second.pk}/", {"keep": second.pk})

    assert merged.status_code == 302
    assert merged["Location"] == f"/leads/{second.pk}/"
    assert not Lead.objects.filter(pk=first.pk).exists()
    assert client.get(f"/leads/{first.pk}/")["Location"] == f"/leads/{second.pk}/"
    assert LeadRedirect.objects.get(old_id=first.pk).lead_id == second.pk


def test_deleting_asks_to_confirm_first(english, twins, owner, client_for):
    first, _second = twins
    client = client_for(owner)

    unconfirmed = client.post(f"/leads/{first.pk}/delete/", {})
    confirmed = client.post(f"/leads/{first.pk}/delete/", {"confirm": "on"})

    assert unconfirmed.status_code == 422
    assert confirmed["Location"] == "/leads/"
    assert not Lead.objects.filter(pk=first.pk).exists()


def test_erasing_asks_to_confirm_and_names_the_possible_duplicates(english, twins, owner, client_for):
    first, second = twins
    client = client_for(owner)

    page = client.get(f"/leads/{first.pk}/erase/")
    erased = client.post(f"/leads/{first.pk}/erase/", {"confirm": "on"})

    assert [lead.pk for lead in page.context["others"]] == [second.pk]
    assert erased["Location"] == f"/leads/{first.pk}/"
    first.refresh_from_db()
    assert first.erased_at is not None
    body = client.get(f"/leads/{first.pk}/").content.decode()
    assert 'data-testid="erased"' in body
    assert "ana@example.com" not in body


@pytest.mark.parametrize("role", [Role.SELLER, Role.ACCOUNTANT, Role.MARKETING])
def test_only_owners_merge_delete_or_erase(tenant, twins, make_member, client_for, role):
    first, second = twins
    member = make_member(tenant, role)
    Lead.objects.filter(pk__in=[first.pk, second.pk]).update(seller_id=member.user_id)
    client = client_for(member)

    statuses = {
        client.get(f"/leads/{first.pk}/merge/").status_code,
        client.post(f"/leads/{first.pk}/merge/{second.pk}/", {"keep": first.pk}).status_code,
        client.post(f"/leads/{first.pk}/delete/", {"confirm": "on"}).status_code,
        client.post(f"/leads/{first.pk}/erase/", {"confirm": "on"}).status_code,
    }

    assert statuses == {403}
    assert Lead.objects.filter(pk__in=[first.pk, second.pk], erased_at__isnull=True).count() == 2


def test_a_lead_of_another_company_cannot_be_merged_into(tenant, twins, globex_owner, client_for, in_schema):
    first, second = twins

    response = client_for(globex_owner).post(f"/leads/{first.pk}/merge/{second.pk}/", {"keep": first.pk})

    assert response.status_code == 404
    with in_schema(tenant):
        assert Lead.objects.filter(pk__in=[first.pk, second.pk]).count() == 2
