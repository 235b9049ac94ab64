"""Chats reads: what a member may see (owners: every conversation; sellers: their own leads')."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet, Sum

from chats.models import Conversation, Message, QuickReply

PAGE_SIZE = 30
MESSAGES_PAGE = 40
CATCH_UP = 100  # messages a reconnecting pane re-reads at most
FILTERS = ("all", "mine", "unassigned", "agent", "taken", "unread")


def visible_conversations(*, membership) -> QuerySet[Conversation]:
    from crm.selectors.leads import visible_leads

    return Conversation.objects.filter(lead__in=visible_leads(membership=membership))


def conversation_for(*, membership, conversation_id: int) -> Conversation | None:
    return (
        visible_conversations(membership=membership)
        .select_related("lead", "lead__stage", "lead__seller")
        .filter(pk=conversation_id)
        .first()
    )


def message_for(*, membership, message_id: int) -> Message | None:
    message = Message.objects.select_related("conversation__lead").filter(pk=message_id).first()
    if message is None or conversation_for(membership=membership, conversation_id=message.conversation_id) is None:
        return None
    return message


def conversation_list(*, membership, filter: str = "all", search: str = "", page: int | str = 1) -> Page:
    from django.utils import timezone

    from crm.selectors.leads import search_leads, visible_leads

    conversations = visible_conversations(membership=membership).select_related("lead", "lead__seller")
    now = timezone.now()
    if filter == "mine":
        conversations = conversations.filter(lead__seller_id=membership.user_id)
    elif filter == "unassigned":
        conversations = conversations.filter(lead__seller__isnull=True)
    elif filter == "agent":
        conversations = conversations.filter(Q(takeover_until__isnull=True) | Q(takeover_until__lte=now))
    elif filter == "taken":
        conversations = conversations.filter(takeover_until__gt=now)
    elif filter == "unread":
        conversations = conversations.filter(unread_count__gt=0)
    search = (search or "").strip()[:100]
    if search:
        leads = search_leads(visible_leads(membership=membership), search)
        digits = "".join(ch for ch in search if ch.isdigit())
        match = Q(lead__in=leads) | Q(last_message_preview__icontains=search)
        if len(digits) >= 3:
            match |= Q(lead__phone__contains=digits)
        conversations = conversations.filter(match)
    conversations = conversations.order_by("-last_message_at", "-pk")
    return Paginator(conversations, PAGE_SIZE).get_page(page)


def messages_before(*, conversation: Conversation, before_id: int | None = None) -> tuple[list[Message], bool]:
    """The last MESSAGES_PAGE messages (older than `before_id` when given), oldest first, and whether
    there are older ones still."""
    messages = conversation.messages.order_by("-created_at", "-pk")
    if before_id:
        anchor = conversation.messages.filter(pk=before_id).first()
        if anchor is not None:
            messages = messages.filter(
                Q(created_at__lt=anchor.created_at) | Q(created_at=anchor.created_at, pk__lt=anchor.pk)
            )
    batch = list(messages[: MESSAGES_PAGE + 1])
    more = len(batch) > MESSAGES_PAGE
    return list(reversed(batch[:MESSAGES_PAGE])), more


def messages_from(*, conversation: Conversation, from_id: int) -> list[Message] | None:
    """The message `from_id` and every later one, oldest first: what an open pane re-reads when its socket
    (re)connects, to catch up on events published while it was not listening (a page renders before its
    socket opens). None when the anchor is not in this conversation or more than CATCH_UP messages follow
    it (the pane then reloads instead)."""
    anchor = conversation.messages.filter(pk=from_id).first()
    if anchor is None:
        return None
    batch = list(
        conversation.messages.filter(
            Q(created_at__gt=anchor.created_at) | Q(created_at=anchor.created_at, pk__gte=anchor.pk)
        ).order_by("created_at", "pk")[: CATCH_UP + 1]
    )
    return batch if len(batch) <= CATCH_UP else None


def quick_replies() -> list[QuickReply]:
    return list(QuickReply.objects.all()[:50])


@dataclass(frozen=True)
class LeadPanel:
    next_appointment: object | None


def lead_panel(*, lead) -> LeadPanel:
    from agenda.selectors import lead_appointments

    upcoming = lead_appointments(lead=lead, upcoming_only=True)
    return LeadPanel(next_appointment=upcoming[0] if upcoming else None)


def unread_total(*, membership) -> int:
    return visible_conversations(membership=membership).aggregate(total=Sum("unread_count"))["total"] or 0


def sidebar_badge(request, membership) -> dict:
    """The sidebar entry's badge: the unread messages of the conversations this member may see. Rendered
    (hidden) at zero too, so the live update (chats.unread) has an element to replace."""
    return {"unread": unread_total(membership=membership)}
