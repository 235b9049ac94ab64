from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.models import Lead
from crm.selectors.leads import LeadFilters, filter_leads, lead_list, search_leads, sort_leads, visible_leads
from crm.tests.factories import LeadFactory, TagFactory, stage

pytestmark = pytest.mark.django_db


def _phones(leads) -> list[str]:
    return sorted(lead.phone for lead in leads)


@pytest.mark.parametrize("query", ["612 34", "+34 612", "0034612345", "(0034) 612-345-678", "345678"])
def test_search_finds_a_phone_typed_in_any_format(tenant, query):
    LeadFactory(phone="+34612345678")
    LeadFactory(phone="+34699000111")

    found = search_leads(Lead.objects.all(), query)

    assert _phones(found) == ["+34612345678"]


@pytest.mark.parametrize("query", ["jose", "JOSÉ", "José Núñez", "nunez", "núñez jo"])
def test_search_ignores_accents_and_case_in_names(tenant, query):
    LeadFactory(phone="+34612000001", first_name="José", last_name="Núñez")
    LeadFactory(phone="+34612000002", first_name="Josefina", last_name="García")
    LeadFactory(phone="+34612000003", first_name="Ana", last_name="Pérez")

    found = search_leads(Lead.objects.all(), query)

    expected = ["+34612000001"] if "n" in query.lower().replace("jose", "") else ["+34612000001", "+34612000002"]
    assert _phones(found) == expected


def test_search_by_email_and_company(tenant):
    LeadFactory(phone="+34612000001", email="ana@bodegas.es", company="Bodegas Muñoz")
    LeadFactory(phone="+34612000002", email="luis@example.com", company="Acme")

    assert _phones(search_leads(Lead.objects.all(), "ana@bodegas")) == ["+34612000001"]
    assert _phones(search_leads(Lead.objects.all(), "munoz")) == ["+34612000001"]


def test_an_empty_search_keeps_every_lead(tenant):
    LeadFactory.create_batch(3)

    assert search_leads(Lead.objects.all(), "  ").count() == 3


def test_sellers_see_only_their_own_leads_and_owners_all(tenant, owner, seller, make_member):
    other = make_member(tenant)
    mine = LeadFactory(seller_id=seller.user_id)
    LeadFactory(seller_id=other.user_id)
    LeadFactory(seller=None)

    assert list(visible_leads(membership=seller)) == [mine]
    assert visible_leads(membership=owner).count() == 3


def test_filters_by_stage_seller_unassigned_source_tag_and_score(tenant, seller):
    vip = TagFactory(name="vip")
    hot = LeadFactory(phone="+34612000001", stage=stage("interested"), seller_id=seller.user_id, score="hot")
    hot.tags.add(vip)
    LeadFactory(phone="+34612000002", source=Lead.Source.WEBSITE, score="cold")
    LeadFactory(phone="+34612000003", stage=stage("interested"), source=Lead.Source.WEBSITE)
    leads = Lead.objects.all()

    assert _phones(filter_leads(leads, LeadFilters(stage_id=stage("interested").pk))) == [
        "+34612000001",
        "+34612000003",
    ]
    assert _phones(filter_leads(leads, LeadFilters(seller_id=seller.user_id))) == ["+34612000001"]
    assert _phones(filter_leads(leads, LeadFilters(seller_id=0))) == ["+34612000002", "+34612000003"]
    assert _phones(filter_leads(leads, LeadFilters(source="website"))) == ["+34612000002", "+34612000003"]
    assert _phones(filter_leads(leads, LeadFilters(tag_id=vip.pk))) == ["+34612000001"]
    assert _phones(filter_leads(leads, LeadFilters(score="cold"))) == ["+34612000002"]
    assert _phones(filter_leads(leads, LeadFilters(source="website", stage_id=stage("interested").pk))) == [
        "+34612000003"
    ]


def test_filters_by_creation_dates_include_both_days(tenant):
    for phone, day in [("+34612000001", 1), ("+34612000002", 10), ("+34612000003", 20)]:
        lead = LeadFactory(phone=phone)
        at = timezone.make_aware(datetime(2026, 3, day, 23, 30))
        Lead.objects.filter(pk=lead.pk).update(created_at=at)
    leads = Lead.objects.all()

    found = filter_leads(leads, LeadFilters(created_from=date(2026, 3, 10), created_to=date(2026, 3, 20)))

    assert _phones(found) == ["+34612000002", "+34612000003"]


def test_sorts_by_name_and_by_value_both_ways(tenant):
    LeadFactory(phone="+34612000001", first_name="Carla", expected_value=Decimal("50"))
    LeadFactory(phone="+34612000002", first_name="Ana", expected_value=Decimal("900"))
    LeadFactory(phone="+34612000003", first_name="Bruno", expected_value=Decimal("300"))
    leads = Lead.objects.all()

    assert [lead.first_name for lead in sort_leads(leads, "name")] == ["Ana", "Bruno", "Carla"]
    assert [lead.first_name for lead in sort_leads(leads, "-name")] == ["Carla", "Bruno", "Ana"]
    assert [lead.first_name for lead in sort_leads(leads, "-value")] == ["Ana", "Bruno", "Carla"]
    assert [lead.first_name for lead in sort_leads(leads, "unknown")] == ["Carla", "Ana", "Bruno"]


def test_lead_list_combines_visibility_filters_and_sort(tenant, seller):
    LeadFactory(phone="+34612000001", first_name="Zoe", seller_id=seller.user_id, source="website")
    LeadFactory(phone="+34612000002", first_name="Adam", seller_id=seller.user_id, source="website")
    LeadFactory(phone="+34612000003", first_name="Eve", source="website")

    rows = lead_list(membership=seller, filters=LeadFilters(source="website", sort="name"))

    assert [lead.first_name for lead in rows] == ["Adam", "Zoe"]


def test_search_with_a_national_trunk_zero_finds_the_stored_number(tenant):
    LeadFactory(phone="+33612345678")
    LeadFactory(phone="+34699000111")

    assert _phones(search_leads(Lead.objects.all(), "06 12 34")) == ["+33612345678"]


def test_a_search_keeps_a_seller_to_their_own_leads(tenant, owner, make_member):

    ana = make_member(tenant, "seller")
    ben = make_member(tenant, "seller")
    mine = LeadFactory(first_name="Zebulon", seller_id=ana.user_id)
    LeadFactory(first_name="Zebulon", seller_id=ben.user_id)
    LeadFactory(first_name="Zebulon")

    assert list(lead_list(membership=ana, filters=LeadFilters(search="zebu"))) == [mine]
    chosen = lead_list(membership=owner, filters=LeadFilters(search="zebu", seller_id=ana.user_id))
    assert list(chosen) == [mine]
    assert lead_list(membership=owner, filters=LeadFilters(search="zebu")).count() == 3
