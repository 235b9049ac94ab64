"""Human takeover and hand-off: while a person holds a conversation the AI agent stays silent."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from chats.models import Conversation, Message
from chats.models.conversations import TAKEOVER_SPAN
from core.audit import audit_log
from core.errors import ApplicationError
from core.tenancy import check_tenant


def _locked(conversation: Conversation) -> Conversation:
    return Conversation.objects.select_for_update().select_related("lead").get(pk=conversation.pk)


@transaction.atomic
def conversation_take_over(*, tenant, conversation: Conversation, actor) -> Conversation:
    """`actor` (a person) holds the conversation for 24 hours: the agent stays silent until then or until
    released. Taking over again restarts the 24 hours."""
    from chats.realtime import announce_conversation
    from crm.public import timeline_add

    check_tenant(tenant)
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise ApplicationError(_("Only a person can take a conversation over."))
    conversation = _locked(conversation)
    conversation.takeover_until = timezone.now() + TAKEOVER_SPAN
    conversation.taken_over_by_id = actor.pk
    conversation.save(update_fields=["takeover_until", "taken_over_by", "updated_at"])
    audit_log(action="chats.take_over", actor=actor, obj=conversation.lead)
    timeline_add(
        tenant=tenant,
        lead=conversation.lead,
        kind="whatsapp_takeover",
        actor=actor,
        data={"conversation": conversation.pk},
    )
    announce_conversation(conversation=conversation, event="HANDOFF")
    return conversation


@transaction.atomic
def conversation_release(*, tenant, conversation: Conversation, actor) -> Conversation:
    """Gives the conversation back to the AI agent at once."""
    from chats.realtime import announce_conversation
    from crm.public import timeline_add

    check_tenant(tenant)
    conversation = _locked(conversation)
    if conversation.takeover_until is None:
        return conversation
    conversation.takeover_until = None
    conversation.taken_over_by_id = None
    conversation.handoff_reason = ""
    conversation.save(update_fields=["takeover_until", "taken_over_by", "handoff_reason", "updated_at"])
    audit_log(action="chats.release", actor=actor, obj=conversation.lead)
    timeline_add(
        tenant=tenant,
        lead=conversation.lead,
        kind="whatsapp_release",
        actor=actor,
        data={"conversation": conversation.pk},
    )
    announce_conversation(conversation=conversation, event="HANDOFF")
    return conversation


@transaction.atomic
def conversation_handoff(*, tenant, conversation: Conversation, actor, reason: str) -> Conversation:
    """The agent (its `derivhumano` tool, or on its own errors) hands the conversation to a person: the
    agent is silenced for 24 hours as with a takeover, and the lead's seller (the owners when the lead has
    none) get a live notification with a sound and a link that opens the conversation."""
    from chats.realtime import announce_conversation
    from core.notifications import notify
    from crm.public import timeline_add
    from tenants.models import Membership, MembershipStatus, Role

    check_tenant(tenant)
    conversation = _locked(conversation)
    now = timezone.now()
    reason = " ".join((reason or "").split())[:255]
    conversation.takeover_until = now + TAKEOVER_SPAN
    conversation.taken_over_by_id = None
    conversation.handoff_reason = reason
    conversation.handoff_at = now
    conversation.save(update_fields=["takeover_until", "taken_over_by", "handoff_reason", "handoff_at", "updated_at"])
    lead = conversation.lead
    audit_log(action="chats.handoff", actor=actor, obj=lead, changes={"reason": {"before": "", "after": reason}})
    timeline_add(
        tenant=tenant,
        lead=lead,
        kind="whatsapp_handoff",
        actor=actor,
        body=reason,
        data={"conversation": conversation.pk},
    )
    if lead.seller_id:
        recipients = [lead.seller_id]
    else:
        recipients = list(
            Membership.objects.filter(tenant=tenant, role=Role.OWNER, status=MembershipStatus.ACTIVE).values_list(
                "user_id", flat=True
            )
        )
    with override(tenant.language):
        text = _("%(lead)s needs a person on WhatsApp: %(reason)s") % {
            "lead": str(lead),
            "reason": reason or _("no reason given"),
        }
    notify(
        tenant=tenant,
        user_ids=recipients,
        kind="chats.handoff",
        text=text,
        url=reverse("chats:conversation", args=[conversation.pk]),
        dedupe_key=f"handoff:{conversation.pk}:{now.isoformat()}",
    )
    announce_conversation(conversation=conversation, event="HANDOFF")
    return conversation


@transaction.atomic
def conversation_mark_read(*, tenant, conversation: Conversation) -> Conversation:
    check_tenant(tenant)
    if conversation.unread_count:
        Conversation.objects.filter(pk=conversation.pk).update(unread_count=0)
        conversation.unread_count = 0
        from chats.unread import unread_announce

        unread_announce(conversation=conversation)
    return conversation


@transaction.atomic
def message_set_transcript(
    *, tenant, message: Message, transcript: str, seconds: float | None = None, cost: Decimal | None = None
) -> Message:
    """Stores a voice note's transcript, with the audio's transcribed length and what transcribing it cost
    (None: unknown), and re-renders its bubble in every open inbox."""
    from chats.realtime import announce_message

    check_tenant(tenant)
    message = Message.objects.select_for_update().select_related("conversation__lead").get(pk=message.pk)
    message.transcript = (transcript or "").strip()
    message.transcription_seconds = Decimal(str(round(seconds, 2))) if seconds is not None else None
    message.transcription_cost = cost
    message.save(update_fields=["transcript", "transcription_seconds", "transcription_cost", "updated_at"])
    announce_message(message=message, event="MESSAGE_STATUS")
    return message
