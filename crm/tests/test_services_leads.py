from decimal import Decimal

import pytest

from core.errors import ApplicationError
from core.models import AuditEntry
from crm.models import Lead, TimelineEntry
from crm.services.leads import DuplicateLead, lead_create, lead_move
from crm.tests.factories import LeadFactory, stage

pytestmark = pytest.mark.django_db


def test_create_normalises_the_phone_and_writes_history_and_audit(tenant, owner):
    lead = lead_create(actor=owner.user, phone="612 34 56 78", first_name="José", last_name="Núñez")

    assert lead.phone == "+34612345678"
    assert lead.stage.key == "new"
    assert lead.search_text.startswith("jose nunez 34612345678 612345678 12345678 ")
    assert list(lead.timeline.values_list("kind", flat=True)) == [TimelineEntry.Kind.CREATED]
    assert AuditEntry.objects.filter(action="lead.create", object_id=str(lead.pk)).count() == 1


def test_duplicate_phone_in_another_format_is_refused_with_the_existing_lead(tenant, owner):
    existing = LeadFactory(phone="+34612345678")

    with pytest.raises(DuplicateLead) as error:
        lead_create(actor=owner.user, phone="0034 612 345 678")

    assert error.value.lead == existing
    assert Lead.objects.count() == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("+54 11 1234 5678", "+54 9 11 1234 5678"),
        ("+54 11 15 1234 5678", "+5491112345678"),
        ("+52 1 55 1234 5678", "+52 55 1234 5678"),
    ],
)
def test_the_forms_of_one_argentine_or_mexican_line_are_one_lead(tenant, owner, first, second):
    existing = lead_create(actor=owner.user, phone=first)

    with pytest.raises(DuplicateLead) as error:
        lead_create(actor=owner.user, phone=second)

    assert error.value.lead == existing
    assert Lead.objects.count() == 1


def test_move_to_lost_needs_a_reason_and_changes_nothing_without_it(tenant, owner):
    lead = LeadFactory(expected_value=Decimal("10"))

    with pytest.raises(ApplicationError):
        lead_move(lead=lead, stage=stage("lost"), actor=owner.user)

    lead.refresh_from_db()
    assert lead.stage.key == "new"
    assert not lead.timeline.filter(kind=TimelineEntry.Kind.STAGE).exists()


def test_move_records_history_audit_and_closes(tenant, owner, english):
    lead = LeadFactory()

    # A reason from the list is recorded in the company's language (English here).
    moved = lead_move(lead=lead, stage=stage("lost"), actor=owner.user, lost_reason="Too expensive")

    assert moved.stage.key == "lost"
    assert moved.closed_at is not None
    assert moved.lost_reason == "Too expensive"
    entry = moved.timeline.get(kind=TimelineEntry.Kind.STAGE)
    assert entry.data["from_id"] == stage("new").pk
    assert entry.data["to_id"] == stage("lost").pk
    assert entry.body == "Too expensive"
    assert AuditEntry.objects.get(action="lead.move").changes["stage"]["after"] == stage("lost").display_name


def test_deleting_a_user_leaves_their_leads_unassigned_and_readable(tenant, seller):
    lead = LeadFactory(seller=seller.user)

    seller.user.delete()

    lead = Lead.objects.select_related("seller").get(pk=lead.pk)
    assert lead.seller is None


def test_round_robin_deals_new_leads_to_active_sellers_in_turn(tenant, owner, make_member):
    from tenants.models import MembershipStatus, Role

    first, second = make_member(tenant, Role.SELLER), make_member(tenant, Role.SELLER)
    make_member(tenant, Role.SELLER, MembershipStatus.DISABLED)
    make_member(tenant, Role.SELLER, MembershipStatus.PENDING)
    tenant.lead_assignment = "round_robin"

    leads = [lead_create(actor=owner.user, phone=f"+3461200000{n}") for n in range(3)]

    assert [lead.seller_id for lead in leads] == [first.user_id, second.user_id, first.user_id]


def test_round_robin_keeps_an_explicit_seller_and_manual_mode_leaves_leads_unassigned(tenant, owner, make_member):
    from tenants.models import Role

    seller = make_member(tenant, Role.SELLER)
    tenant.lead_assignment = "round_robin"
    chosen = lead_create(actor=owner.user, phone="+34612000001", seller_id=owner.user_id)
    tenant.lead_assignment = "manual"
    unassigned = lead_create(actor=owner.user, phone="+34612000002")

    assert chosen.seller_id == owner.user_id
    assert unassigned.seller_id is None
    assert seller.user_id not in {chosen.seller_id, unassigned.seller_id}


def test_round_robin_without_active_sellers_leaves_the_lead_unassigned(tenant, owner):
    tenant.lead_assignment = "round_robin"

    lead = lead_create(actor=owner.user, phone="+34612000003")

    assert lead.seller_id is None
