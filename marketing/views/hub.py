"""The hub page (owners and marketing): spend joined to leads and won revenue, and the drill-down to the
leads behind a figure."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.public import pipeline_stages
from marketing.forms import HubForm
from marketing.selectors.hub import SORTS, drilldown_leads, hub, sort_choice
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
    sort = sort_choice(request.GET.get("sort", ""))
    page = request.GET.get("page", "")
    figures = hub(
        tenant=request.tenant,
        date_from=choice["date_from"],
        date_to=choice["date_to"],
        level=choice["level"],
        opportunity_stage=choice["stage"],
        sort=sort,
        page=int(page) if page.isascii() and page.isdigit() else 1,
        per_page=ROWS_PER_PAGE,
    )
    query = {
        "date_from": choice["date_from"].isoformat(),
        "date_to": choice["date_to"].isoformat(),
        "stage": choice["stage"].pk if choice["stage"] else "",
    }
    base_query = urlencode(query)
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("sort", None)
    context = {
        "form": form,
        "hub": figures,
        "page": RowsPage(figures),
        "query": urlencode({**params.dict(), "sort": sort}),
        "base_query": base_query,
        # Built once: the rows' links differ only in their key and metric.
        "drill": f"{reverse('marketing:drilldown')}?{base_query}&level={figures.level}",
        "sorts": sort_links(params.urlencode(), sort),
        "sort": sort if request.GET.get("sort") else "",  # kept by the filter form
        **connection_state(),
    }
    return TemplateResponse(request, "marketing/hub.html", context)


class RowsPage:
    """What partials/_pagination.html reads of a Django page, for rows the selector already cut to a page."""

    capped = False

    def __init__(self, figures):
        self.number, self.num_pages = figures.page, figures.num_pages
        self.paginator = self

    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    def has_previous(self) -> bool:
        return self.number > 1

    def has_next(self) -> bool:
        return self.number < self.num_pages

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


def sort_links(query: str, current: str) -> dict[str, dict]:
    """Per sortable column, the query string that sorts by it (descending first, or the other way when it
    is the current order) and the column's `aria-sort` value."""
    links = {}
    prefix = f"?{query}&" if query else "?"
    for column in SORTS:
        first = column if column == "name" else f"-{column}"  # names A to Z first, figures biggest first
        other = column if first.startswith("-") else f"-{column}"
        if current in (first, other):
            target = other if current == first else first
            state = "descending" if current.startswith("-") else "ascending"
        else:
            target, state = first, "none"
        links[column] = {"href": f"{prefix}sort={target}", "state": state}
    return links


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
