"""The owners' "test connection" button next to the Odoo credentials on Settings."""

from __future__ import annotations

from django.template.response import TemplateResponse
from django.urls import path
from django.views.decorators.http import require_POST

from odoo_sync.services.connection import connection_test
from tenants.access import roles_required
from tenants.models import Role


@roles_required(Role.OWNER)
@require_POST
def connection_test_view(request):
    report = connection_test(tenant=request.tenant, actor=request.user)
    template = "odoo_sync/connection_test.html"
    return TemplateResponse(request, template + "#connection-result" if request.htmx else template, {"report": report})


urlpatterns = [
    path("connection/test/", connection_test_view, name="connection-test"),
]
