"""Bug 5 of issue 7: who won a deal is recorded when it closes; reassigning it later moves nothing."""

import zoneinfo
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.selectors.analytics import seller_report
from crm.services.leads import lead_assign, lead_move
from crm.tests.factories import LeadFactory, stage
from tenants.models import Role

pytestmark = pytest.mark.django_db
UTC_ZONE = zoneinfo.ZoneInfo("UTC")


def _report(tenant, **kwargs):
    today = timezone.now().date()
    return seller_report(
        tenant=tenant, date_from=today - timedelta(days=1), date_to=today + timedelta(days=1), zone=UTC_ZONE, **kwargs
    )


def test_reassigning_a_won_deal_keeps_its_revenue_with_the_closer(english, tenant, owner, make_member):
    ana = make_member(tenant, Role.SELLER, full_name="Ana Seller")
    ben = make_member(tenant, Role.SELLER, full_name="Ben Seller")
    lead = LeadFactory(seller_id=ana.user_id, expected_value=Decimal("20750"))
    lead_move(lead=lead, stage=stage("won"), actor=owner.user)

    lead_assign(lead=lead, seller_id=ben.user_id, actor=owner.user)

    rows = {row.name: row for row in _report(tenant).rows}
    assert (rows["Ana Seller"].won, rows["Ana Seller"].revenue) == (1, Decimal("20750"))
    assert (rows["Ben Seller"].won, rows["Ben Seller"].revenue) == (0, Decimal("0"))
    assert rows["Ben Seller"].avg_days_to_close is None
    only_ben = _report(tenant, seller_id=ben.user_id)
    assert only_ben.total.won == 0
    assert only_ben.total.revenue == 0
    lead.refresh_from_db()
    assert lead.closed_seller_id == ana.user_id
    assert lead.closed_from_stage == stage("new")


def test_the_closer_is_cleared_when_a_deal_is_reopened_and_set_again_when_it_closes(tenant, owner, make_member):
    ana = make_member(tenant, Role.SELLER, full_name="Ana Seller")
    ben = make_member(tenant, Role.SELLER, full_name="Ben Seller")
    lead = LeadFactory(seller_id=ana.user_id)
    lead_move(lead=lead, stage=stage("negotiation"), actor=owner.user)
    lead_move(lead=lead, stage=stage("lost"), actor=owner.user, lost_reason="price")
    lead.refresh_from_db()
    assert (lead.closed_seller_id, lead.closed_from_stage) == (ana.user_id, stage("negotiation"))

    lead_move(lead=lead, stage=stage("interested"), actor=owner.user)
    lead.refresh_from_db()
    assert (lead.closed_at, lead.closed_seller_id, lead.closed_from_stage) == (None, None, None)

    lead_assign(lead=lead, seller_id=ben.user_id, actor=owner.user)
    lead_move(lead=lead, stage=stage("won"), actor=owner.user)
    lead.refresh_from_db()
    assert (lead.closed_seller_id, lead.closed_from_stage) == (ben.user_id, stage("interested"))


def test_a_move_records_the_time_spent_in_the_stage_it_leaves(tenant, owner):
    lead = LeadFactory()
    type(lead).objects.filter(pk=lead.pk).update(stage_changed_at=timezone.now() - timedelta(days=3))
    lead_move(lead=lead, stage=stage("contacted"), actor=owner.user)
    entry = lead.timeline.get(kind="stage")
    assert 3 * 86400 - 5 <= entry.data["seconds"] <= 3 * 86400 + 60
