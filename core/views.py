"""Health, error pages, language switching and the owners' audit log browser."""

from __future__ import annotations

import logging
from datetime import datetime, time

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_redis import get_redis_connection

from core.forms import AuditFilterForm
from core.models import AuditEntry
from core.selectors import audit_entries, audit_filter_choices
from tenants.access import public_view, roles_required
from tenants.forms import LanguageForm
from tenants.models import Role
from tenants.services import user_language_set

logger = logging.getLogger(__name__)


def _check(name: str, probe) -> dict:
    try:
        detail = probe()
    except Exception as error:  # a health check reports, it never raises
        logger.warning("health check failed", extra={"check": name})
        return {"ok": False, "error": error.__class__.__name__}
    return {"ok": True, **(detail or {})}


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis():
    get_redis_connection("default").ping()


def _workers():
    from config.celery import app

    replies = app.control.ping(timeout=1.0)
    if not replies:
        raise RuntimeError("no worker answered")
    return {"workers": len(replies)}


@public_view
@never_cache
def health(request):
    """Database, Redis and worker reachability as JSON; 503 when any is down. Reveals no tenant data."""
    checks = {"database": _check("database", _database), "redis": _check("redis", _redis)}
    checks["worker"] = _check("worker", _workers) if checks["redis"]["ok"] else {"ok": False, "error": "redis"}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "down", "checks": checks}, status=200 if healthy else 503)


@public_view
@require_POST
def set_language(request):
    """Signed-in users keep the choice on their account; others in a cookie."""
    form = LanguageForm(request.POST)
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            user_language_set(user=request.user, language=language)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def _day_bound(day, *, end: bool = False):
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


@roles_required(Role.OWNER)
def audit_list(request):
    params = request.GET
    form = AuditFilterForm(params)
    if form.is_valid():
        data = form.cleaned_data
        entries = audit_entries(
            action=data["action"].strip(),
            actor=data["actor"].strip(),
            object_type=data["object_type"].strip(),
            since=_day_bound(data["from"]),
            until=_day_bound(data["to"], end=True),
        )
    else:
        entries = AuditEntry.objects.none()  # refused: the page says why instead of listing anything
    page = Paginator(entries, 50).get_page(params.get("page"))
    valid = getattr(form, "cleaned_data", {})
    filters = {
        "action": valid.get("action", "").strip(),
        "actor": valid.get("actor", "").strip(),
        "object_type": valid.get("object_type", "").strip(),
        "date_from": valid["from"].isoformat() if valid.get("from") else "",
        "date_to": valid["to"].isoformat() if valid.get("to") else "",
    }
    query = params.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "form": form,
        "filters": filters,
        "choices": audit_filter_choices(),
        "query": query.urlencode(),
    }
    template = (
        "core/audit_list.html#audit-table" if request.htmx and not request.htmx.boosted else "core/audit_list.html"
    )
    return TemplateResponse(request, template, context)


def error_403(request, exception=None):
    """A signed-in person turned away from a company they asked to join, or were removed from, is told
    where they stand (only they learn the company's name); anyone else learns nothing of it."""
    from tenants.selectors import membership_state

    context = {"membership_state": membership_state(request)}
    return TemplateResponse(request, "403.html", context, status=403).render()


def error_404(request, exception=None):
    return TemplateResponse(request, "404.html", {}, status=404).render()


def error_500(request):
    from django.shortcuts import render

    return render(request, "500.html", {}, status=500)
