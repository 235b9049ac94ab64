import pytest

from core.errors import ApplicationError
from core.models import AuditEntry
from crm.models import TimelineEntry
from crm.services.timeline import call_log, note_add, timeline_add
from crm.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_timeline_add_records_the_actor_by_name_and_accepts_any_kind(tenant, owner):
    lead = LeadFactory()

    entry = timeline_add(lead=lead, kind="odoo_sync", actor=owner.user, data={"invoice": "INV/1"})

    assert (entry.kind, entry.actor_id, entry.actor_label) == ("odoo_sync", owner.user_id, owner.user.full_name)
    assert entry.data == {"invoice": "INV/1"}


def test_timeline_add_without_actor_is_the_system_or_the_given_label(tenant):
    lead = LeadFactory()

    system = timeline_add(lead=lead, kind=TimelineEntry.Kind.UPDATE)
    agent = timeline_add(lead=lead, kind="message", actor_label="AI agent", body="Hola")

    assert (system.actor_id, system.actor_label) == (None, "")
    assert (agent.actor_id, agent.actor_label, agent.body) == (None, "AI agent", "Hola")


def test_note_is_trimmed_written_and_audited_without_touching_last_contact(tenant, seller):
    lead = LeadFactory(seller=seller.user)

    entry = note_add(lead=lead, actor=seller.user, body="  Wants a demo on Monday \n")

    assert (entry.kind, entry.body) == (TimelineEntry.Kind.NOTE, "Wants a demo on Monday")
    lead.refresh_from_db()
    assert lead.last_contact_at is None
    assert AuditEntry.objects.filter(action="lead.note", object_id=str(lead.pk)).count() == 1


@pytest.mark.parametrize("body", ["", "   ", "x" * 10_001])
def test_empty_or_huge_note_is_refused_and_nothing_written(tenant, owner, body):
    lead = LeadFactory()

    with pytest.raises(ApplicationError):
        note_add(lead=lead, actor=owner.user, body=body)

    assert not TimelineEntry.objects.filter(lead=lead).exists()
    assert not AuditEntry.objects.filter(action="lead.note").exists()


def test_call_is_recorded_with_outcome_and_duration_and_updates_last_contact(tenant, owner):
    lead = LeadFactory()

    entry = call_log(lead=lead, actor=owner.user, outcome="answered", duration_seconds=270, body="Send the quote")

    assert (entry.kind, entry.data, entry.body) == ("call", {"outcome": "answered", "duration": 270}, "Send the quote")
    lead.refresh_from_db()
    assert lead.last_contact_at is not None
    assert AuditEntry.objects.get(action="lead.call").changes == {"outcome": {"before": None, "after": "answered"}}


@pytest.mark.parametrize(("outcome", "seconds"), [("shouted", 10), ("answered", -1), ("answered", 24 * 3600 + 1)])
def test_call_with_unknown_outcome_or_impossible_duration_is_refused(tenant, owner, outcome, seconds):
    lead = LeadFactory()

    with pytest.raises(ApplicationError):
        call_log(lead=lead, actor=owner.user, outcome=outcome, duration_seconds=seconds)

    lead.refresh_from_db()
    assert lead.last_contact_at is None
    assert not TimelineEntry.objects.filter(lead=lead).exists()
