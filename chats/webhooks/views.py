"""The public webhook endpoints (bare domain): WhatsApp Cloud API and YCloud."""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from chats.webhooks import intake


@csrf_exempt
@require_http_methods(["GET", "POST"])
def cloud_webhook(request):
    if request.method == "GET":
        if request.GET.get("hub.mode") == "subscribe" and intake.verify_token_matches(
            request.GET.get("hub.verify_token", "")
        ):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponseForbidden()
    outcome = intake.accept_cloud(request.body, request.headers.get("X-Hub-Signature-256", ""))
    return HttpResponse(status=outcome.status)


@csrf_exempt
@require_http_methods(["POST"])
def ycloud_webhook(request):
    outcome = intake.accept_ycloud(request.body, request.headers.get("YCloud-Signature", ""))
    return HttpResponse(status=outcome.status)
