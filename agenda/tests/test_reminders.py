"""Reminders from beat: due tasks and appointments notify once (live bell), lead reminder hooks run once
per appointment, inactivity alerts notify once per breach."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

import pytest

from agenda import reminders
from agenda.configuration import stage_alert_set
from agenda.services import appointment_book, appointment_reschedule, task_create
from agenda.tasks import agenda_reminders_task, inactivity_alerts_task
from core.models import Notification
from crm.models import Lead
from crm.tests.factories import stage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
MADRID = zoneinfo.ZoneInfo("Europe/Madrid")


def at(day, hour, minute=0):
    return datetime(2027, 3, day, hour, minute, tzinfo=MADRID)


def test_a_due_task_notifies_its_assignee_once(clock, madrid, seller_a, lead):
    task_create(
        tenant=madrid, lead=lead, title="Send the quote", due_at=at(2, 9), assignee_id=seller_a.user_id, actor=None
    )
    clock.set(at(2, 8, 59))
    assert reminders.remind_due_tasks(tenant=madrid) == 0

    clock.set(at(2, 9, 0))
    assert agenda_reminders_task.apply().get()["tasks"] == 1
    assert agenda_reminders_task.apply().get()["tasks"] == 0

    note = Notification.objects.get(user_id=seller_a.user_id, kind="agenda.task_due")
    assert "Send the quote" in note.text
    assert note.url == f"/leads/{lead.pk}/"


def test_sellers_are_reminded_30_minutes_before_and_again_after_a_move(clock, service, madrid, seller_a, lead):
    appointment = appointment_book(
        tenant=madrid,
        lead=lead,
        service=service,
        start=at(2, 10),
        seller_id=seller_a.user_id,
        actor=None,
        source="staff",
    )
    clock.set(at(2, 9, 29))
    assert reminders.remind_sellers(tenant=madrid) == 0
    clock.set(at(2, 9, 31))
    assert reminders.remind_sellers(tenant=madrid) == 1
    assert reminders.remind_sellers(tenant=madrid) == 0

    appointment_reschedule(tenant=madrid, appointment=appointment, start=at(2, 11), actor=None, source="staff")
    clock.set(at(2, 10, 35))
    assert reminders.remind_sellers(tenant=madrid) == 1
    texts = list(
        Notification.objects.filter(kind="agenda.appointment_soon").order_by("id").values_list("text", flat=True)
    )
    assert texts[0].startswith("At 10:00")
    assert texts[1].startswith("At 11:00")


@pytest.fixture
def only_test_hooks(monkeypatch):
    """Other apps register their own lead reminders (marketing's appointment rules): count only ours."""
    monkeypatch.setattr(reminders, "_lead_reminders", {})


@pytest.mark.usefixtures("only_test_hooks")
def test_lead_reminder_hooks_run_once_per_appointment(clock, service, madrid, seller_a, lead):
    calls = []
    reminders.register_lead_reminder(
        "test.whatsapp_24h", lambda tenant, appt: calls.append((tenant.pk, appt.pk)), before=timedelta(hours=24)
    )
    try:
        appointment = appointment_book(
            tenant=madrid,
            lead=lead,
            service=service,
            start=at(3, 10),
            seller_id=seller_a.user_id,
            actor=None,
            source="staff",
        )
        clock.set(at(2, 9, 59))
        assert reminders.run_lead_reminders(tenant=madrid) == 0
        clock.set(at(2, 10, 1))
        assert reminders.run_lead_reminders(tenant=madrid) == 1
        assert reminders.run_lead_reminders(tenant=madrid) == 0
    finally:
        reminders.unregister_lead_reminder("test.whatsapp_24h")
    assert calls == [(madrid.pk, appointment.pk)]


@pytest.mark.usefixtures("only_test_hooks")
def test_a_failing_hook_is_tried_again_later(clock, service, madrid, seller_a, lead):
    attempts = []

    def flaky(tenant, appointment):
        attempts.append(appointment.pk)
        if len(attempts) == 1:
            raise RuntimeError("provider down")

    reminders.register_lead_reminder("test.flaky", flaky, before=timedelta(hours=2))
    try:
        appointment_book(
            tenant=madrid,
            lead=lead,
            service=service,
            start=at(2, 10),
            seller_id=seller_a.user_id,
            actor=None,
            source="staff",
        )
        clock.set(at(2, 9))
        assert reminders.run_lead_reminders(tenant=madrid) == 0
        assert reminders.run_lead_reminders(tenant=madrid) == 1
    finally:
        reminders.unregister_lead_reminder("test.flaky")
    assert len(attempts) == 2


def test_inactivity_alerts_notify_once_per_breach(clock, madrid, seller_a, lead, acme, make_member):
    owner = make_member(acme, "owner")
    Lead.objects.filter(pk=lead.pk).update(stage=stage("contacted"), last_contact_at=at(1, 9) - timedelta(days=10))
    stage_alert_set(tenant=madrid, stage=stage("contacted"), days=7, actor=owner.user)

    assert inactivity_alerts_task.apply().get() == 1
    assert inactivity_alerts_task.apply().get() == 0
    note = Notification.objects.get(kind="agenda.inactive_lead")
    assert note.user_id == seller_a.user_id
    assert "no contact for" in note.text

    from agenda.selectors import inactive_leads

    assert [(found.pk, days) for found, days in inactive_leads(membership=owner)] == [(lead.pk, 10)]
    # a new contact ends the breach; ten more silent days start a new one
    Lead.objects.filter(pk=lead.pk).update(last_contact_at=clock.now)
    assert reminders.alert_inactive_leads(tenant=madrid) == 0
    clock.set(clock.now + timedelta(days=10))
    assert reminders.alert_inactive_leads(tenant=madrid) == 1
