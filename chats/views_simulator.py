"""The simulator page (development): play a lead on the company's sandbox number."""

from __future__ import annotations

import random

from django.http import Http404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import trigger_client_event

from chats import simulator
from core.errors import ApplicationError
from tenants.access import roles_required
from tenants.models import Role, WhatsAppNumber

MAX_FILE = 5 * 1024 * 1024


def _sandbox(request) -> WhatsAppNumber:
    number = WhatsAppNumber.objects.filter(tenant=request.tenant, provider="sandbox").first()
    if number is None:
        raise Http404
    return number


@roles_required(Role.OWNER, Role.SELLER)
@require_http_methods(["GET", "POST"])
def simulator_page(request):
    number = _sandbox(request)
    phone = (request.POST.get("phone") or request.GET.get("phone") or "").strip()[:20]
    if not phone:
        phone = f"+3460{random.randint(1000000, 9999999)}"  # noqa: S311 (a made-up demo phone)
    name = (request.POST.get("name") or request.GET.get("name") or _("Test lead")).strip()[:80]
    error, status = "", 200
    if request.method == "POST":
        text = (request.POST.get("text") or "").strip()[:4096]
        upload = request.FILES.get("file")
        media = None
        if upload is not None:
            if upload.size > MAX_FILE:
                error = _("The simulator takes files of up to 5 MB.")
            else:
                media = (upload.read(), upload.content_type or "application/octet-stream", upload.name or "file")
        if not text and media is None and not error:
            error = _("Write a message first.")
        if not error:
            try:
                from crm.public import lead_phone

                lead_phone(tenant=request.tenant, phone=phone)
            except ApplicationError as exc:
                error = exc.message
        if not error:
            body = simulator.inbound_body(
                phone_number_id=number.phone_number_id, phone=phone, name=name, text=text, media=media
            )
            answer = simulator.post(body, phone_number_id=number.phone_number_id)
            if answer != 200:
                error = _("The webhook answered %(status)s.") % {"status": answer}
        status = 422 if error else 200
    conversation, thread = simulator.simulated_thread(tenant=request.tenant, phone=phone)
    context = {
        "number": number,
        "phone": phone,
        "name": name,
        "error": error,
        "conversation": conversation,
        "thread": thread,
    }
    if request.htmx:
        response = TemplateResponse(request, "chats/simulator.html#posted", context, status=status)
        return response if error else trigger_client_event(response, "chats:simulated", {})
    return TemplateResponse(request, "chats/simulator.html", context, status=status)


@roles_required(Role.OWNER, Role.SELLER)
@require_GET
def simulator_thread(request):
    _sandbox(request)
    phone = (request.GET.get("phone") or "").strip()[:20]
    conversation, thread = simulator.simulated_thread(tenant=request.tenant, phone=phone)
    return TemplateResponse(
        request, "chats/simulator.html#thread", {"conversation": conversation, "thread": thread, "phone": phone}
    )
