"""A seller following a colleague's lead link (issue 7, bug 8) is told the lead is someone else's, and
learns nothing of it; a new seller in a company full of leads is not told to add the first one (bug 6)."""

import pytest

from crm.tests.factories import LeadFactory
from tenants.models import Role

pytestmark = pytest.mark.django_db


def test_a_seller_opening_a_colleagues_lead_is_told_it_is_not_theirs(english, tenant, seller, make_member, client_for):
    colleague = make_member(tenant, Role.SELLER)
    lead = LeadFactory(
        phone="+34612000001", first_name="Zacarías", last_name="Secreto", company="Hidden SL",
        seller_id=colleague.user_id,
    )  # fmt: skip

    response = client_for(seller).get(f"/leads/{lead.pk}/")

    assert response.status_code == 403
    body = response.content.decode()
    assert "This lead belongs to another seller" in body
    for secret in ("Zacarías", "Secreto", "Hidden", "612", colleague.user.full_name, colleague.user.email):
        assert secret not in body


def test_a_lead_that_does_not_exist_is_still_not_found(english, tenant, seller, client_for):
    assert client_for(seller).get("/leads/999999/").status_code == 404


def test_a_lead_of_another_company_is_not_found(english, tenant, globex, make_member, client_for, in_schema):
    lead = LeadFactory(phone="+34612000001")
    globex_seller = make_member(globex, Role.SELLER)

    response = client_for(globex_seller).get(f"/leads/{lead.pk}/")

    assert response.status_code == 404
    assert "belongs to another seller" not in response.content.decode()


def test_a_new_seller_in_a_company_with_leads_is_not_told_to_add_the_first_one(english, tenant, seller, client_for):
    LeadFactory(phone="+34612000001")

    body = client_for(seller).get("/leads/").content.decode()

    assert "Add the first lead" not in body
    assert "No leads are assigned to you yet." in body


def test_a_seller_in_an_empty_company_is_invited_to_add_the_first_lead(english, tenant, seller, client_for):
    body = client_for(seller).get("/leads/").content.decode()

    assert "Add the first lead" in body
