"""Takeover and hand-off: the agent's silence, and the live notification to the right people."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from chats.hooks import fire_inbound, inbound_receivers, on_inbound
from chats.services import conversation_handoff, conversation_release, conversation_take_over, message_set_transcript
from chats.tests.factories import make_conversation, make_inbound
from core.actors import AGENT
from core.errors import ApplicationError
from core.models import AuditEntry, Notification
from crm.models import TimelineEntry
from tenants.models import Role


@pytest.fixture
def conversation(tenant, numbers):
    connection.set_tenant(tenant)
    return make_conversation(tenant)


def test_take_over_silences_the_agent_for_24_hours_and_release_ends_it(tenant, conversation, owner):
    assert not conversation.agent_silenced
    taken = conversation_take_over(tenant=tenant, conversation=conversation, actor=owner.user)
    assert taken.agent_silenced
    assert timedelta(hours=23, minutes=59) < taken.takeover_until - timezone.now() <= timedelta(hours=24)
    assert AuditEntry.objects.filter(action="chats.take_over").count() == 1
    released = conversation_release(tenant=tenant, conversation=taken, actor=owner.user)
    assert not released.agent_silenced
    assert released.taken_over_by_id is None
    assert TimelineEntry.objects.filter(kind__in=["whatsapp_takeover", "whatsapp_release"]).count() == 2


def test_the_silence_ends_by_itself_after_24_hours(tenant, conversation, owner):
    taken = conversation_take_over(tenant=tenant, conversation=conversation, actor=owner.user)
    taken.takeover_until = timezone.now() - timedelta(seconds=1)
    assert not taken.agent_silenced


def test_only_a_person_takes_over(tenant, conversation):
    with pytest.raises(ApplicationError):
        conversation_take_over(tenant=tenant, conversation=conversation, actor=AGENT)


def test_handoff_notifies_the_leads_seller_with_a_link_to_the_conversation(
    tenant, numbers, make_member, owner, django_capture_on_commit_callbacks
):
    connection.set_tenant(tenant)
    seller = make_member(tenant, Role.SELLER)
    conversation = make_conversation(tenant, seller_id=seller.user_id)
    handed = conversation_handoff(tenant=tenant, conversation=conversation, actor=AGENT, reason="Asks for a human")
    assert handed.agent_silenced
    assert handed.handoff_reason == "Asks for a human"
    notification = Notification.objects.get()
    assert notification.user_id == seller.user_id
    assert notification.kind == "chats.handoff"
    assert notification.url == f"/chats/{conversation.pk}/"
    assert "Asks for a human" in notification.text
    entry = AuditEntry.objects.get(action="chats.handoff")
    assert entry.actor_kind == "agent"


def test_handoff_of_an_unassigned_lead_notifies_the_owners(tenant, numbers, owner, make_member):
    connection.set_tenant(tenant)
    other_owner = make_member(tenant, Role.OWNER)
    conversation = make_conversation(tenant)
    conversation.lead.seller_id = None
    conversation.lead.save(update_fields=["seller"])
    conversation_handoff(tenant=tenant, conversation=conversation, actor=AGENT, reason="")
    recipients = set(Notification.objects.values_list("user_id", flat=True))
    assert {owner.user_id, other_owner.user_id} <= recipients
    assert not Notification.objects.exclude(user_id__in=[owner.user_id, other_owner.user_id, *recipients]).exists()


def test_inbound_hooks_run_after_commit_with_the_message(
    tenant, numbers, run_tasks, django_capture_on_commit_callbacks
):
    from chats.services import message_receive
    from chats.webhooks.parsing import InboundItem

    connection.set_tenant(tenant)
    seen = []

    @on_inbound
    def receiver(*, tenant, message):
        seen.append((tenant.schema_name, message.text, message.conversation.agent_silenced))

    try:
        with django_capture_on_commit_callbacks(execute=True):
            stored = message_receive(
                tenant=tenant,
                provider="whatsapp_cloud",
                item=InboundItem(
                    provider_message_id="wamid.h1",
                    phone_number_id="106540352242922",
                    from_phone="34611000111",
                    text="Hi",
                ),
            )
            assert seen == []  # not before commit
        assert seen == [("acme", "Hi", False)]
        assert stored.conversation.window_open
    finally:
        import chats.hooks

        chats.hooks._receivers.remove(receiver)
    assert receiver not in inbound_receivers()


def test_a_failing_receiver_does_not_stop_the_others(tenant, conversation):
    message = make_inbound(conversation, "x")
    calls = []

    def broken(*, tenant, message):
        raise RuntimeError("boom")

    def fine(*, tenant, message):
        calls.append(message.pk)

    import chats.hooks

    chats.hooks._receivers.extend([broken, fine])
    try:
        fire_inbound(tenant=tenant, message=message)
    finally:
        chats.hooks._receivers.remove(broken)
        chats.hooks._receivers.remove(fine)
    assert calls == [message.pk]


def test_set_transcript(tenant, conversation):
    voice = make_inbound(conversation, "", kind="voice")
    updated = message_set_transcript(tenant=tenant, message=voice, transcript="  quiero una cita  ")
    assert updated.transcript == "quiero una cita"
