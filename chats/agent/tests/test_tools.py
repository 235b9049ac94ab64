"""The agent's tools against the real agenda and CRM: what they read, what they book, how they refuse."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agenda.models import Appointment
from agenda.services import appointment_book
from agenda.tests.factories import make_service
from chats.agent.tools import TOOLS, AgentContext, run_tool, tool_specs
from core.actors import AGENT
from core.models import AuditEntry
from crm.models import TimelineEntry
from crm.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx(madrid, lead, clock):
    return AgentContext(tenant=madrid, conversation=None, lead=lead, language="es")


def test_specs_name_every_tool_with_a_json_schema():
    names = [spec["function"]["name"] for spec in tool_specs()]
    assert names == [
        "list_services", "list_professionals", "check_availability", "book_appointment", "list_my_appointments",
        "cancel_appointment", "reschedule_appointment", "triage_urgency", "derivhumano",
    ]  # fmt: skip
    assert all(spec["function"]["parameters"]["type"] == "object" for spec in tool_specs())
    assert len(TOOLS) == 9


def test_list_services_gives_prices_in_the_company_currency(ctx, service):
    make_service(name="Inactive", active=False)
    result, error = run_tool(ctx, "list_services", {})
    assert error == ""
    assert result == {
        "currency": ctx.tenant.currency,
        "services": [
            {"id": service.pk, "name": "First visit", "price": "50.00", "duration_minutes": 30, "description": ""}
        ],
    }


def test_list_professionals_of_a_service(ctx, service, seller_a, seller_b):
    result, _ = run_tool(ctx, "list_professionals", {"service_id": service.pk})
    assert result == {
        "professionals": [
            {"id": seller_a.user_id, "name": "Ana Seller", "service_ids": [service.pk]},
            {"id": seller_b.user_id, "name": "Bruno Seller", "service_ids": [service.pk]},
        ]
    }


def test_check_availability_returns_real_free_slots_in_local_time(ctx, service, seller_a):
    # 2027-03-01 08:00 UTC is 09:00 in Madrid; one hour of notice: the first slot is 10:00.
    result, error = run_tool(
        ctx, "check_availability", {"service_id": service.pk, "date_from": "2027-03-01", "date_to": "2027-03-01"}
    )
    assert error == ""
    assert result["free_slots"][0] == {
        "start": "2027-03-01T10:00",
        "weekday": "Monday",
        "professional_id": seller_a.user_id,
        "professional": "Ana Seller",
    }
    assert len(result["free_slots"]) == 4  # at most four a day, so a week shows several days
    assert result["total_free"] > 4


def test_book_appointment_books_as_the_agent_with_timeline_and_audit(ctx, service, seller_a, lead):
    result, error = run_tool(
        ctx,
        "book_appointment",
        {"service_id": service.pk, "start": "2027-03-02T11:00", "professional_id": seller_a.user_id},
    )
    assert error == ""
    appointment = Appointment.objects.get(lead=lead)
    assert result == {
        "ok": True,
        "appointment_id": appointment.pk,
        "service": "First visit",
        "start": "2027-03-02T11:00",
        "end": "2027-03-02T11:30",
        "professional_id": seller_a.user_id,
    }
    assert appointment.start == datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
    assert appointment.source == Appointment.Source.AGENT
    entry = TimelineEntry.objects.get(lead=lead, kind="appointment_booked")
    assert (entry.actor_id, entry.actor_label) == (None, str(AGENT))
    assert AuditEntry.objects.filter(action="appointment.book", actor_kind="agent").count() == 1
    assert ctx.booked == [appointment.pk]


def test_a_taken_slot_is_refused_with_the_next_free_slots(ctx, service, seller_a, lead):
    other = LeadFactory(phone="+34600000999")
    appointment_book(
        tenant=ctx.tenant, lead=other, service=service, start=datetime(2027, 3, 2, 10, 0, tzinfo=UTC),
        seller_id=seller_a.user_id, actor=None, source="staff",
    )  # fmt: skip
    result, error = run_tool(
        ctx,
        "book_appointment",
        {"service_id": service.pk, "start": "2027-03-02T11:00", "professional_id": seller_a.user_id},
    )
    assert result["ok"] is False
    assert result["reason"] == "taken"
    assert error == result["error"]
    assert [slot["start"] for slot in result["alternatives"][:2]] == ["2027-03-02T11:30", "2027-03-02T12:00"]
    assert ctx.pending_alternatives == result["alternatives"]
    assert not Appointment.objects.filter(lead=lead).exists()


def test_bad_arguments_come_back_as_errors_and_book_nothing(ctx, service, lead):
    for args in ({"service_id": "abc", "start": "2027-03-02T11:00"}, {"service_id": service.pk, "start": "soon"},
                 {"service_id": 99999, "start": "2027-03-02T11:00"}, {"_unreadable": "{"}):  # fmt: skip
        result, error = run_tool(ctx, "book_appointment", args)
        assert result["ok"] is False
        assert error
    result, error = run_tool(ctx, "drop_database", {})
    assert error == "unknown tool 'drop_database'"
    assert not Appointment.objects.filter(lead=lead).exists()


def test_list_cancel_and_reschedule_only_the_leads_own_appointments(ctx, service, seller_a, lead):
    mine = appointment_book(
        tenant=ctx.tenant, lead=lead, service=service, start=datetime(2027, 3, 2, 10, 0, tzinfo=UTC),
        seller_id=seller_a.user_id, actor=None, source="staff",
    )  # fmt: skip
    theirs = appointment_book(
        tenant=ctx.tenant, lead=LeadFactory(phone="+34600000998"), service=service,
        start=datetime(2027, 3, 3, 10, 0, tzinfo=UTC), seller_id=seller_a.user_id, actor=None, source="staff",
    )  # fmt: skip
    listed, _ = run_tool(ctx, "list_my_appointments", {})
    assert [item["id"] for item in listed["appointments"]] == [mine.pk]

    refused, error = run_tool(ctx, "cancel_appointment", {"appointment_id": theirs.pk})
    assert refused["ok"] is False
    assert "no upcoming appointment" in error
    theirs.refresh_from_db()
    assert theirs.status == Appointment.Status.SCHEDULED

    moved, error = run_tool(ctx, "reschedule_appointment", {"appointment_id": mine.pk, "start": "2027-03-02T16:00"})
    assert error == ""
    assert moved["start"] == "2027-03-02T16:00"

    cancelled, error = run_tool(ctx, "cancel_appointment", {"appointment_id": mine.pk, "reason": "Travelling"})
    assert cancelled == {"ok": True, "appointment_id": mine.pk, "status": "cancelled"}
    mine.refresh_from_db()
    assert (mine.status, mine.cancel_reason) == (Appointment.Status.CANCELLED, "Travelling")
    assert TimelineEntry.objects.get(lead=lead, kind="appointment_cancelled").actor_label == str(AGENT)


def test_reschedule_into_a_taken_time_offers_alternatives(ctx, service, seller_a, lead):
    mine = appointment_book(
        tenant=ctx.tenant, lead=lead, service=service, start=datetime(2027, 3, 2, 10, 0, tzinfo=UTC),
        seller_id=seller_a.user_id, actor=None, source="staff",
    )  # fmt: skip
    appointment_book(
        tenant=ctx.tenant, lead=LeadFactory(phone="+34600000997"), service=service,
        start=datetime(2027, 3, 2, 14, 0, tzinfo=UTC), seller_id=seller_a.user_id, actor=None, source="staff",
    )  # fmt: skip
    result, _ = run_tool(ctx, "reschedule_appointment", {"appointment_id": mine.pk, "start": "2027-03-02T15:00"})
    assert result["ok"] is False
    assert result["reason"] == "taken"
    assert result["alternatives"][0]["start"] == "2027-03-02T15:30"
    mine.refresh_from_db()
    assert mine.start == datetime(2027, 3, 2, 10, 0, tzinfo=UTC)


def test_triage_urgency_scores_the_lead_as_the_agent(ctx, lead):
    result, error = run_tool(ctx, "triage_urgency", {"level": "HOT", "reason": "Wants a visit this week"})
    assert (result, error) == ({"ok": True, "score": "hot"}, "")
    lead.refresh_from_db()
    assert (lead.score, lead.score_reason) == ("hot", "Wants a visit this week")
    assert AuditEntry.objects.filter(action="lead.update", actor_kind="agent").exists()
    bad, error = run_tool(ctx, "triage_urgency", {"level": "boiling", "reason": "x"})
    assert bad["ok"] is False
    assert "hot, warm or cold" in error
