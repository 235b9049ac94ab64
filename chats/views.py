"""Inbox pages: the conversation list, a conversation with its composer and lead panel, and its actions."""

from __future__ import annotations

from django.contrib import messages as flash
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from chats import selectors, services
from chats.models import Message
from core.errors import ApplicationError
from tenants.access import roles_required
from tenants.models import Role, WhatsAppNumber

CHAT_ROLES = (Role.OWNER, Role.SELLER)


def _conversation(request, pk: int):
    conversation = selectors.conversation_for(membership=request.membership, conversation_id=pk)
    if conversation is None:
        raise Http404
    return conversation


def _list_context(request) -> dict:
    current = request.GET.get("filter", "all")
    current = current if current in selectors.FILTERS else "all"
    search = request.GET.get("q", "")[:100]
    page = selectors.conversation_list(
        membership=request.membership, filter=current, search=search, page=request.GET.get("page", 1)
    )
    has_sandbox = WhatsAppNumber.objects.filter(tenant=request.tenant, provider="sandbox").exists()
    return {"page": page, "filter": current, "q": search, "filters": _filters(), "has_sandbox": has_sandbox}


def _filters():
    return [
        ("all", _("All")),
        ("mine", _("Mine")),
        ("unassigned", _("Unassigned")),
        ("agent", _("AI agent")),
        ("taken", _("Taken over")),
        ("unread", _("Unread")),
    ]


def _pane_context(request, conversation) -> dict:
    from crm.public import pipeline_stages

    batch, more = selectors.messages_before(conversation=conversation)
    return {
        "conversation": conversation,
        "chat_messages": batch,
        "more": more,
        "quick_replies": selectors.quick_replies(),
        "panel": selectors.lead_panel(lead=conversation.lead),
        "stages": pipeline_stages(),
        "is_owner": request.membership.role == Role.OWNER,
    }


@roles_required(*CHAT_ROLES)
@require_GET
def inbox(request):
    context = _list_context(request)
    opened = request.GET.get("open", "")
    if opened.isdecimal() and len(opened) < 19:
        # The live list refresh of a page showing this conversation: what arrived there has been seen.
        conversation = selectors.conversation_for(membership=request.membership, conversation_id=int(opened))
        if conversation is not None:
            services.conversation_mark_read(tenant=request.tenant, conversation=conversation)
            context = {**_list_context(request), "conversation": conversation}
    if request.htmx and request.GET.get("partial") == "list":
        return TemplateResponse(request, "chats/inbox.html#conversation-list", context)
    return TemplateResponse(request, "chats/inbox.html", context)


@roles_required(*CHAT_ROLES)
@require_GET
def conversation_view(request, pk: int):
    conversation = _conversation(request, pk)
    services.conversation_mark_read(tenant=request.tenant, conversation=conversation)
    context = {**_pane_context(request, conversation)}
    if request.htmx and request.htmx.target == "chat-pane":
        return TemplateResponse(request, "chats/inbox.html#conversation-pane", context)
    return TemplateResponse(request, "chats/inbox.html", {**_list_context(request), **context})


@roles_required(*CHAT_ROLES)
@require_GET
def older(request, pk: int):
    conversation = _conversation(request, pk)
    before = request.GET.get("before", "")
    batch, more = selectors.messages_before(
        conversation=conversation, before_id=int(before) if before.isdecimal() and len(before) < 19 else None
    )
    return TemplateResponse(
        request, "chats/inbox.html#older", {"conversation": conversation, "chat_messages": batch, "more": more}
    )


@roles_required(*CHAT_ROLES)
@require_GET
def catch_up(request, pk: int):
    """The bubbles from `from` on (re-rendered with their current status) for an open pane whose socket has
        just (re)connected, appended to the pane (the script keeps the newest copy of each bubble); an empty
    answer with HX-Refresh (reload the page) when the anchor is unknown or too much happened meanwhile."""
    conversation = _conversation(request, pk)
    anchor = request.GET.get("from", "")
    batch = (
        selectors.messages_from(conversation=conversation, from_id=int(anchor))
        if anchor.isdecimal() and len(anchor) < 19
        else None
    )
    if batch is None:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    context = {"conversation": conversation, "chat_messages": batch}
    return TemplateResponse(request, "chats/partials/_catch_up.html", context)


@roles_required(*CHAT_ROLES)
@require_POST
def send(request, pk: int):
    conversation = _conversation(request, pk)
    text = request.POST.get("text", "")
    upload = request.FILES.get("attachment")
    try:
        if upload is not None:
            message = services.message_send_media(
                tenant=request.tenant, conversation=conversation, upload=upload, caption=text, actor=request.user
            )
        else:
            message = services.message_send_text(
                tenant=request.tenant, conversation=conversation, text=text, actor=request.user
            )
    except ApplicationError as error:
        if request.htmx:
            return TemplateResponse(
                request,
                "chats/inbox.html#composer-error",
                {"error": error.message, "conversation": conversation},
                status=422,
            )
        flash.error(request, error.message)
        return redirect("chats:conversation", pk)
    if request.htmx:
        response = TemplateResponse(
            request, "chats/inbox.html#sent", {"message": message, "conversation": conversation}
        )
        return trigger_client_event(response, "chats:sent", {})
    return redirect("chats:conversation", pk)


@roles_required(*CHAT_ROLES)
@require_POST
def take_over(request, pk: int):
    conversation = _conversation(request, pk)
    conversation = services.conversation_take_over(tenant=request.tenant, conversation=conversation, actor=request.user)
    if request.htmx:
        return TemplateResponse(request, "chats/partials/_takeover.html", {"conversation": conversation})
    return redirect("chats:conversation", pk)


@roles_required(*CHAT_ROLES)
@require_POST
def release(request, pk: int):
    conversation = _conversation(request, pk)
    conversation = services.conversation_release(tenant=request.tenant, conversation=conversation, actor=request.user)
    if request.htmx:
        return TemplateResponse(request, "chats/partials/_takeover.html", {"conversation": conversation})
    return redirect("chats:conversation", pk)


@roles_required(*CHAT_ROLES)
@require_POST
def message_retry(request, pk: int):
    message = selectors.message_for(membership=request.membership, message_id=pk)
    if message is None or message.direction != Message.Direction.OUT:
        raise Http404
    try:
        message = services.message_retry(tenant=request.tenant, message=message, actor=request.user)
    except ApplicationError as error:
        if request.htmx:
            return HttpResponse(error.message, status=422)
        flash.error(request, error.message)
    if request.htmx:
        return TemplateResponse(request, "chats/partials/_message.html", {"message": message})
    return redirect("chats:conversation", message.conversation_id)


@roles_required(*CHAT_ROLES)
@require_POST
def move_stage(request, pk: int):
    from crm.public import lead_move, pipeline_stages

    conversation = _conversation(request, pk)
    stage = next((s for s in pipeline_stages() if str(s.pk) == request.POST.get("stage")), None)
    if stage is None:
        raise Http404
    try:
        lead_move(tenant=request.tenant, lead=conversation.lead, stage=stage, actor=request.user)
        flash.success(request, _("Stage changed."))
    except ApplicationError as error:
        flash.error(request, error.message)
    return redirect("chats:conversation", pk)


@roles_required(*CHAT_ROLES)
@require_GET
def media(request, pk: int):
    message = selectors.message_for(membership=request.membership, message_id=pk)
    if message is None or not message.media_file:
        raise Http404
    try:
        handle = message.media_file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(handle, content_type=message.media_mime or "application/octet-stream")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    if message.kind == Message.Kind.DOCUMENT:
        response["Content-Disposition"] = (
            f'attachment; filename="{(message.media_name or "file").replace(chr(34), "")}"'
        )
    return response
