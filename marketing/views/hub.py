"""The hub page (owners and marketing): spend joined to leads and won revenue, and the drill-down to the
leads behind a figure."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.public import pipeline_stages
from marketing.forms import HubForm
from marketing.selectors.hub import drilldown_leads, hub
from marketing.views.common import MARKETERS, connection_state
from tenants.access import roles_required
from tenants.models import Role

PAGE_SIZE = 50
# The hub sums every campaign / ad set / ad in SQL, and shows them a page at a time (biggest spend first).
ROWS_PER_PAGE = 50


@roles_required(*MARKETERS)
@require_GET
def hub_view(request):
    form = HubForm(request.GET, stages=pipeline_stages())
    choice = form.values()
    figures = hub(
        tenant=request.tenant,
        date_from=choice["date_from"],
        date_to=choice["date_to"],
        level=choice["level"],
        opportunity_stage=choice["stage"],
    )
    query = {
        "date_from": choice["date_from"].isoformat(),
        "date_to": choice["date_to"].isoformat(),
        "stage": choice["stage"].pk if choice["stage"] else "",
    }
    rows = Paginator(figures.rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "hub": figures,
        "rows": rows,
        "page": rows,
        "query": params.urlencode(),
        "base_query": urlencode(query),
        **connection_state(),
    }
    return TemplateResponse(request, "marketing/hub.html", context)


@roles_required(*MARKETERS)
@require_GET
def drilldown_view(request):
    form = HubForm(request.GET, stages=pipeline_stages())
    choice = form.values()
    level = request.GET.get("level", "")
    metric = request.GET.get("metric", "leads")
    metric = metric if metric in ("leads", "opportunities", "won") else "leads"
    leads = drilldown_leads(
        tenant=request.tenant,
        date_from=choice["date_from"],
        date_to=choice["date_to"],
        level=level,
        key=str(request.GET.get("key", ""))[:64],
        metric=metric,
        seller=str(request.GET.get("seller", ""))[:20],
        opportunity_stage=choice["stage"],
    )
    page = Paginator(leads, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page": page,
        "query": params.urlencode(),
        "choice": choice,
        "metric": metric,
        "key": request.GET.get("key", ""),
        "level": level,
        "can_open": request.membership.role == Role.OWNER,
    }
    return TemplateResponse(request, "marketing/drilldown.html", context)


@roles_required(*MARKETERS)
@require_POST
def sync_now_view(request):
    from marketing.models import MetaConnection
    from marketing.tasks import meta_sync_task

    if MetaConnection.objects.exists():
        transaction.on_commit(lambda: meta_sync_task.delay(True))
        messages.success(request, _("The sync has started. Figures update in a few minutes."))
    return redirect("marketing:hub")


urlpatterns = [
    path("", hub_view, name="hub"),
    path("leads/", drilldown_view, name="drilldown"),
    path("sync/", sync_now_view, name="sync"),
]
