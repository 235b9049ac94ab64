"""Lead capture forms: the owners' and marketing's list and editor, and the public form (on the company's
host, embeddable with an iframe or a script tag). The public form is throttled per address and per
phone, has a honeypot, and carries a signed token from the page it was served with; it is exempt from
CSRF because inside another site's iframe the browser withholds the CSRF cookie (the visitor has no
session to protect: the token, throttles and honeypot are what stop scripted posts)."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from core import ratelimit
from core.context import client_ip
from core.errors import ApplicationError
from crm.models import Stage
from crm.public import lead_phone
from marketing.forms import LeadFormForm, PublicForm
from marketing.models import LeadForm
from marketing.services.capture import UTM_FIELDS, form_save, form_submit
from marketing.views.common import MARKETERS, connection_state, seller_choices
from tenants.access import public_view, roles_required
from tenants.urlbuilder import tenant_url

THROTTLE_IP = (20, 60 * 60)
THROTTLE_PHONE = (5, 24 * 60 * 60)
FORM_SIGNING_SALT = "marketing.form"
TOKEN_MAX_AGE = 24 * 60 * 60


def _editor(request, instance=None, data=None):
    return LeadFormForm(
        data, instance=instance, sellers=seller_choices(request.tenant), stages=Stage.objects.filter(kind="open")
    )


@roles_required(*MARKETERS)
@require_GET
def form_list_view(request):
    forms = LeadForm.objects.all()
    context = {
        "forms": [
            (f, tenant_url(request.tenant, reverse("marketing:public-form", args=[f.slug]), request)) for f in forms
        ],
        **connection_state(),
    }
    return TemplateResponse(request, "marketing/form_list.html", context)


@roles_required(*MARKETERS)
@require_http_methods(["GET", "POST"])
def form_edit_view(request, pk: int | None = None):
    instance = get_object_or_404(LeadForm, pk=pk) if pk else None
    form = _editor(request, instance, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        form_save(form=form.save(commit=False), actor=request.user)
        messages.success(request, _("Form saved."))
        return redirect("marketing:form-list")
    embed = None
    if instance is not None:
        url = tenant_url(request.tenant, reverse("marketing:public-form", args=[instance.slug]), request)
        embed = {"url": url, "script": url + "embed.js"}
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(
        request, "marketing/form_edit.html", {"form": form, "lead_form": instance, "embed": embed}, status=status
    )


def _embeddable(response):
    """Lets other sites frame this page (everything else keeps frame-ancestors 'none')."""
    directives = {name: list(sources) for name, sources in settings.CONTENT_SECURITY_POLICY.items()}
    directives["frame-ancestors"] = ["*"]
    response["Content-Security-Policy"] = "; ".join(f"{k} {' '.join(v)}" for k, v in directives.items())
    return response


def _throttled(request, tenant) -> bool:
    ip = client_ip(request) or "unknown"
    identity = f"{tenant.schema_name}:{ip}"
    if ratelimit.is_limited(scope="leadform:ip", identity=identity, limit=THROTTLE_IP[0]):
        return True
    ratelimit.hit(scope="leadform:ip", identity=identity, window=THROTTLE_IP[1])
    return False


@public_view
@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def public_form_view(request, slug: str):
    lead_form = LeadForm.objects.filter(slug=slug, active=True).select_related("target_stage").first()
    if lead_form is None:
        raise Http404
    source = request.POST if request.method == "POST" else request.GET
    utm = {key: str(source.get(key, ""))[:100] for key in UTM_FIELDS if source.get(key)}
    referrer = str(source.get("ref") or (request.headers.get("Referer", "") if request.method == "GET" else ""))[:500]
    form = PublicForm(request.POST if request.method == "POST" else None, lead_form=lead_form)
    context = {"lead_form": lead_form, "form": form, "utm": utm, "referrer": referrer, "done": False, "error": ""}
    if request.method == "POST":
        context.update(_submit(request, lead_form, form, utm, referrer))
    context["token"] = signing.dumps(lead_form.pk, salt=FORM_SIGNING_SALT)
    status = 200 if request.method == "GET" or context["done"] else 422
    return _embeddable(TemplateResponse(request, "marketing/public_form.html", context, status=status))


def _submit(request, lead_form, form, utm, referrer) -> dict:
    tenant = request.tenant
    if _throttled(request, tenant):
        return {"error": _("Too many attempts from your connection. Please try again later.")}
    try:
        if signing.loads(request.POST.get("token", ""), salt=FORM_SIGNING_SALT, max_age=TOKEN_MAX_AGE) != lead_form.pk:
            raise signing.BadSignature
    except signing.BadSignature:
        return {"error": _("This form has expired. Please send it again.")}
    if request.POST.get("website"):
        return {"done": True}  # a bot filled the hidden field: thank it, record nothing
    if not form.is_valid():
        return {"error": _("Please check the form.")}
    try:
        phone = lead_phone(tenant=tenant, phone=form.cleaned_data["phone"])
    except ApplicationError as problem:
        form.add_error("phone", problem.message)
        return {"error": _("Please check the form.")}
    identity = f"{tenant.schema_name}:{phone}"
    if ratelimit.is_limited(scope="leadform:phone", identity=identity, limit=THROTTLE_PHONE[0]):
        return {"error": _("We already have your details. We will contact you soon.")}
    ratelimit.hit(scope="leadform:phone", identity=identity, window=THROTTLE_PHONE[1])
    answers = {key: value for key, value in form.cleaned_data.items() if key not in ("website", "consent")}
    answers["phone"] = phone
    form_submit(
        tenant=tenant,
        form=lead_form,
        answers=answers,
        utm=utm,
        referrer=referrer,
        consent=bool(form.cleaned_data.get("consent")),
    )
    return {"done": True}


@public_view
@require_GET
def embed_script_view(request, slug: str):
    lead_form = LeadForm.objects.filter(slug=slug, active=True).first()
    if lead_form is None:
        raise Http404
    url = tenant_url(request.tenant, reverse("marketing:public-form", args=[slug]), request)
    script = EMBED_JS.replace("__URL__", json.dumps(url)).replace(
        "__TITLE__", json.dumps(lead_form.title or lead_form.name)
    )
    response = HttpResponse(script, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response


# Inserted where the <script> tag stands: an iframe on the form, given the host page's UTM parameters and
# address (the referrer) so the lead keeps where it came from.
EMBED_JS = """(function () {
  "use strict";
  var script = document.currentScript;
  var url = new URL(__URL__);
  var params = new URLSearchParams(window.location.search);
  ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"].forEach(function (key) {
    if (params.get(key)) { url.searchParams.set(key, params.get(key)); }
  });
  url.searchParams.set("ref", window.location.href);
  var frame = document.createElement("iframe");
  frame.src = url.toString();
  frame.title = __TITLE__;
  frame.style.width = "100%";
  frame.style.border = "0";
  frame.height = (script && script.getAttribute("data-height")) || "600";
  script.parentNode.insertBefore(frame, script.nextSibling);
})();
"""

urlpatterns = [
    path("forms/", form_list_view, name="form-list"),
    path("forms/new/", form_edit_view, name="form-new"),
    path("forms/<int:pk>/", form_edit_view, name="form-edit"),
    path("f/<slug:slug>/", public_form_view, name="public-form"),
    path("f/<slug:slug>/embed.js", embed_script_view, name="form-embed"),
]
