"""On the bare domain (no company in the Host): the Meta lead-ads webhook, and the OAuth redirect URI,
which only relays Meta's answer to the company's own host named in the signed state (checked again
there, with the signed-in user)."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, HttpResponseRedirect
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import ApplicationError
from marketing.services.connection import oauth_state_read
from marketing.services.leadgen import signature_valid, webhook_receive
from tenants.access import public_view
from tenants.models import Tenant
from tenants.urlbuilder import tenant_url

logger = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024

app_name = "marketing_public"


@public_view
@csrf_exempt
@require_http_methods(["GET", "POST"])
def leadgen_webhook(request):
    if request.method == "GET":
        token = settings.META_WEBHOOK_VERIFY_TOKEN
        if token and request.GET.get("hub.mode") == "subscribe" and request.GET.get("hub.verify_token") == token:
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponseForbidden()
    body = request.body
    if len(body) > MAX_BODY:
        return HttpResponseBadRequest()
    if not signature_valid(body=body, header=request.headers.get("X-Hub-Signature-256", "")):
        return HttpResponseForbidden()
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return HttpResponseBadRequest()
    if not isinstance(payload, dict):
        return HttpResponseBadRequest()
    webhook_receive(payload)
    return HttpResponse("EVENT_RECEIVED", content_type="text/plain")


@public_view
@require_GET
def oauth_callback(request):
    try:
        content = oauth_state_read(request.GET.get("state", ""))
    except ApplicationError:
        return HttpResponseBadRequest()
    tenant = Tenant.objects.filter(schema_name=content.get("t")).first()
    if tenant is None:
        return HttpResponseBadRequest()
    query = {key: request.GET[key] for key in ("code", "state", "error") if key in request.GET}
    return HttpResponseRedirect(tenant_url(tenant, "/marketing/meta/callback/?" + urlencode(query), request))


urlpatterns = [
    path("webhook/", leadgen_webhook, name="leadgen-webhook"),
    path("oauth/callback/", oauth_callback, name="oauth-callback"),
]
