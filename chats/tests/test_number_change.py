"""A WhatsApp `system` message saying the person changed number: the lead's phone follows (canonical
E.164), recorded by the system, and the conversation goes on under the new number; a new number that
already belongs to another lead is never merged silently."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import tenant_context

from chats.models import Conversation, Message
from chats.tests.test_webhook_kinds import _ycloud, _ycloud_inbound
from chats.tests.test_webhooks import _deliver, message
from core.models import AuditEntry, Notification
from crm.models import Lead, TimelineEntry
from tenants.models import Role

CHANGE = "user_changed_number"


def _system(new_wa_id: str, *, mid: str = "wamid.SYS", sender: str = "34611222333") -> dict:
    body = {"body": f"User Ana changed from {sender} to {new_wa_id}", "wa_id": new_wa_id, "type": CHANGE}
    return message("system", body, mid=mid, sender=sender)


def _first_text(post_cloud, callbacks, *, sender: str = "34611222333", mid: str = "wamid.T1"):
    return _deliver(post_cloud, callbacks, message("text", {"body": "Hola"}, mid=mid, sender=sender))


def test_the_leads_phone_follows_and_the_conversation_goes_on_under_the_new_number(
    numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme, english, owner, client_for
):
    _first_text(post_cloud, django_capture_on_commit_callbacks)
    # Mexico: WhatsApp sends 521 + ten digits; the CRM stores +52 and the ten digits.
    event = _deliver(post_cloud, django_capture_on_commit_callbacks, _system("5215512345678"))
    assert (event.status, event.error) == ("processed", "")
    with tenant_context(acme):
        lead = Lead.objects.get()
        assert lead.phone == "+525512345678"
        notice = Message.objects.get(provider_message_id="wamid.SYS")
        assert (notice.kind, notice.sender, notice.conversation.lead_id) == ("system", "system", lead.pk)
        assert notice.payload["new_phone"] == "+525512345678"
        assert notice.payload["old_phone"] == "+34611222333"
        changed = TimelineEntry.objects.get(lead=lead, kind="whatsapp_number_changed")
        assert (changed.actor_id, changed.actor_label) == (None, "System")
        assert changed.data["old_phone"] == "+34611222333"
        assert changed.data["new_phone"] == "+525512345678"
        audit = AuditEntry.objects.get(action="lead.update", object_id=str(lead.pk), changes__has_key="phone")
        assert (audit.actor_kind, audit.actor_id) == ("system", None)
        assert audit.changes == {"phone": {"before": "+34611222333", "after": "+525512345678"}}
    connection.set_schema_to_public()
    later = _first_text(post_cloud, django_capture_on_commit_callbacks, sender="5215512345678", mid="wamid.T2")
    assert later.status == "processed", later.error
    with tenant_context(acme):
        assert Lead.objects.count() == 1
        assert Conversation.objects.count() == 1
        assert Message.objects.get(provider_message_id="wamid.T2").conversation.lead_id == lead.pk
        conversation_id = Conversation.objects.get().pk
    connection.set_schema_to_public()
    bubble = client_for(owner).get(f"/chats/{conversation_id}/").content.decode()
    assert 'data-testid="number-change"' in bubble
    assert "from +34611222333 to +525512345678" in bubble
    history = client_for(owner).get(f"/leads/{lead.pk}/").content.decode()
    assert "WhatsApp number changed" in history
    assert "+34 611 22 23 33 → +52 55 1234 5678" in history


def test_a_redelivered_or_replayed_change_is_applied_once(
    numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme
):
    from chats.services import event_process

    _first_text(post_cloud, django_capture_on_commit_callbacks)
    event = _deliver(post_cloud, django_capture_on_commit_callbacks, _system("34699888777"))
    _deliver(post_cloud, django_capture_on_commit_callbacks, _system("34699888777"))
    with tenant_context(acme):
        assert event_process(tenant=acme, event_id=event.pk, replay=True) == "processed"
        assert TimelineEntry.objects.filter(kind="whatsapp_number_changed").count() == 1
        assert AuditEntry.objects.filter(action="lead.update", changes__has_key="phone").count() == 1
        assert Message.objects.filter(kind="system").count() == 1
        assert Lead.objects.get().phone == "+34699888777"


def test_a_new_number_of_another_lead_keeps_both_and_tells_their_sellers(
    numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme, make_member, english
):
    from crm.public import lead_upsert_by_phone

    seller_a, seller_b = make_member(acme, Role.SELLER), make_member(acme, Role.SELLER)
    with tenant_context(acme):
        old, _ = lead_upsert_by_phone(tenant=acme, phone="+34611222333", source="manual", seller_id=seller_a.user_id)
        other, _ = lead_upsert_by_phone(tenant=acme, phone="+34699888777", source="manual", seller_id=seller_b.user_id)
    connection.set_schema_to_public()
    _first_text(post_cloud, django_capture_on_commit_callbacks)
    event = _deliver(post_cloud, django_capture_on_commit_callbacks, _system("34699888777"))
    assert (event.status, event.error) == ("processed", "")
    with tenant_context(acme):
        assert Lead.objects.get(pk=old.pk).phone == "+34611222333"
        assert Lead.objects.get(pk=other.pk).phone == "+34699888777"
        for lead, counterpart in ((old, other), (other, old)):
            entry = TimelineEntry.objects.get(lead=lead, kind="whatsapp_number_conflict")
            assert entry.actor_label == "System"
            assert entry.data["other_lead"] == counterpart.pk
            assert entry.data["new_phone"] == "+34699888777"
        assert not AuditEntry.objects.filter(action="lead.update", changes__has_key="phone").exists()
        audit = AuditEntry.objects.get(action="chats.number_conflict")
        assert (audit.actor_kind, audit.object_id) == ("system", str(old.pk))
        notified = Notification.objects.filter(kind="chats.number_conflict")
        assert sorted(notified.values_list("user_id", flat=True)) == sorted([seller_a.user_id, seller_b.user_id])
        assert all(f"/chats/{Conversation.objects.get().pk}/" == n.url for n in notified)
        notice = Message.objects.get(provider_message_id="wamid.SYS")
        assert notice.conversation.lead_id == old.pk
        assert notice.payload["conflict_lead"] == other.pk


def test_ycloud_number_change(numbers, post_ycloud, run_tasks, django_capture_on_commit_callbacks, acme):
    system = {"type": CHANGE, "body": "User Ana changed from +34611222333 to +34699888777", "wa_id": "34699888777"}
    event = _ycloud(
        post_ycloud, django_capture_on_commit_callbacks, _ycloud_inbound("evt_chg", "wamid.YCHG", "system", system)
    )
    assert (event.status, event.error) == ("processed", "")
    with tenant_context(acme):
        assert list(Lead.objects.values_list("phone", flat=True)) == ["+34699888777"]
        assert Message.objects.get().kind == "system"


def test_a_new_id_that_is_no_phone_number_changes_nothing_and_says_why(
    numbers, post_cloud, run_tasks, django_capture_on_commit_callbacks, acme
):
    _first_text(post_cloud, django_capture_on_commit_callbacks)
    event = _deliver(post_cloud, django_capture_on_commit_callbacks, _system("12"))
    assert event.status == "failed"
    assert "12" in event.error
    with tenant_context(acme):
        assert Lead.objects.get().phone == "+34611222333"
        assert not TimelineEntry.objects.filter(kind="whatsapp_number_changed").exists()


def test_a_ycloud_change_without_from_is_read_from_its_text(
    numbers, post_ycloud, run_tasks, django_capture_on_commit_callbacks, acme
):
    from chats.tests.factories import make_conversation

    with tenant_context(acme):
        make_conversation(acme, phone="+34611222333")
    connection.set_schema_to_public()
    system = {"type": CHANGE, "body": "User Ana changed from 34611222333 to 34699888777", "wa_id": "34699888777"}
    event = _ycloud_inbound("evt_chg2", "wamid.YCHG2", "system", system)
    del event["whatsappInboundMessage"]["from"]
    assert _ycloud(post_ycloud, django_capture_on_commit_callbacks, event).status == "processed"
    with tenant_context(acme):
        assert list(Lead.objects.values_list("phone", flat=True)) == ["+34699888777"]
