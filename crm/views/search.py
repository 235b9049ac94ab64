"""The header's search box: an htmx dropdown of the leads that match, from any page."""

from __future__ import annotations

from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from crm.selectors.leads import quick_search
from tenants.access import roles_required
from tenants.models import Role

RESULTS = 8


@roles_required(Role.OWNER, Role.SELLER)
@require_GET
def global_search(request):
    query = (request.GET.get("q") or "").strip()[:100]
    leads = quick_search(membership=request.membership, query=query, limit=RESULTS)
    return TemplateResponse(request, "crm/partials/_global_search_results.html", {"query": query, "leads": leads})
