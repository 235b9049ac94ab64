"""The lead detail page. Placeholder on the crm-leads branch so `crm:lead-detail` reverses; the detail
branch owns this module and replaces it."""

from django.shortcuts import redirect
from django.urls import path

from tenants.access import roles_required
from tenants.models import Role


@roles_required(Role.OWNER, Role.SELLER)
def lead_detail_view(request, pk: int):
    return redirect("crm:lead-edit", pk=pk)


urlpatterns = [path("leads/<int:pk>/", lead_detail_view, name="lead-detail")]
