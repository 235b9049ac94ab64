"""Chats settings (owners): connect WhatsApp (Cloud API or YCloud), the webhook URLs to paste, a test
message, and the composer's quick replies."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from chats.forms import CloudApiForm, QuickReplyForm, TestMessageForm, YCloudForm
from chats.models import QuickReply
from chats.services.connection import whatsapp_connect, whatsapp_disconnect, whatsapp_send_test
from core.audit import audit_log
from core.errors import ApplicationError
from tenants.access import roles_required
from tenants.models import Credential, Role, WhatsAppNumber
from tenants.urlbuilder import site_origin
from tenants.vault import vault_get

FORMS = {"whatsapp_cloud": CloudApiForm, "ycloud": YCloudForm}


def _context(request, **forms) -> dict:
    numbers = list(WhatsAppNumber.objects.filter(tenant=request.tenant).order_by("provider"))
    cloud = vault_get(tenant=request.tenant, kind=Credential.Kind.WHATSAPP_CLOUD) or {}
    ycloud = vault_get(tenant=request.tenant, kind=Credential.Kind.YCLOUD) or {}
    by_provider = {n.provider: n for n in numbers}
    cloud_number = by_provider.get("whatsapp_cloud")
    origin = site_origin(settings.BASE_DOMAIN, request)
    return {
        "numbers": numbers,
        "cloud_form": forms.get("cloud_form")
        or CloudApiForm(
            initial={
                "phone_number_id": cloud.get("phone_number_id", ""),
                "business_account_id": cloud.get("business_account_id", ""),
                "display_phone": cloud_number.display_phone if cloud_number else "",
            }
        ),
        "ycloud_form": forms.get("ycloud_form") or YCloudForm(initial={"phone_number": ycloud.get("phone_number", "")}),
        "test_form": forms.get("test_form") or TestMessageForm(numbers=numbers),
        "reply_form": forms.get("reply_form") or QuickReplyForm(),
        "quick_replies": QuickReply.objects.all(),
        "cloud_url": origin + reverse("tenants:webhook-whatsapp-cloud", urlconf=settings.PUBLIC_SCHEMA_URLCONF),
        "ycloud_url": origin + reverse("tenants:webhook-whatsapp-ycloud", urlconf=settings.PUBLIC_SCHEMA_URLCONF),
        "has_sandbox": "sandbox" in by_provider,
    }


@roles_required(Role.OWNER)
@require_GET
def settings_page(request):
    return TemplateResponse(request, "chats/settings.html", _context(request))


@roles_required(Role.OWNER)
@require_POST
def connect(request, provider: str):
    form_class = FORMS.get(provider)
    if form_class is None:
        raise Http404
    form = form_class(request.POST)
    if form.is_valid():
        values = dict(form.cleaned_data)
        display = values.pop("display_phone", "") or values.get("phone_number", "")
        try:
            whatsapp_connect(
                tenant=request.tenant, provider=provider, values=values, display_phone=display, actor=request.user
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("WhatsApp connected. Paste the webhook URL in the provider's console."))
            return redirect("chats:settings")
    key = "cloud_form" if provider == "whatsapp_cloud" else "ycloud_form"
    return TemplateResponse(request, "chats/settings.html", _context(request, **{key: form}), status=422)


@roles_required(Role.OWNER)
@require_POST
def disconnect(request, provider: str):
    if provider not in FORMS:
        raise Http404
    whatsapp_disconnect(tenant=request.tenant, provider=provider, actor=request.user)
    messages.success(request, _("WhatsApp number disconnected."))
    return redirect("chats:settings")


@roles_required(Role.OWNER)
@require_POST
def test_message(request):
    numbers = list(WhatsAppNumber.objects.filter(tenant=request.tenant))
    form = TestMessageForm(request.POST, numbers=numbers)
    if form.is_valid():
        try:
            result = whatsapp_send_test(
                tenant=request.tenant,
                provider=form.cleaned_data["provider"],
                phone=form.cleaned_data["phone"],
                actor=request.user,
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("Test message accepted by WhatsApp (id %(id)s).") % {"id": result.provider_message_id}
            )
            return redirect("chats:settings")
    return TemplateResponse(request, "chats/settings.html", _context(request, test_form=form), status=422)


@roles_required(Role.OWNER)
@require_POST
def quick_reply_add(request):
    form = QuickReplyForm(request.POST)
    if not form.is_valid():
        return TemplateResponse(request, "chats/settings.html", _context(request, reply_form=form), status=422)
    reply = form.save()
    audit_log(action="chats.settings", actor=request.user, obj=reply)
    messages.success(request, _("Quick reply added."))
    return redirect("chats:settings")


@roles_required(Role.OWNER)
@require_POST
def quick_reply_delete(request, pk: int):
    reply = QuickReply.objects.filter(pk=pk).first()
    if reply is None:
        raise Http404
    audit_log(action="chats.settings", actor=request.user, obj=reply)
    reply.delete()
    messages.success(request, _("Quick reply removed."))
    return redirect("chats:settings")
