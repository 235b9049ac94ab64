"""URLs of a tenant site (<slug>.localhost / <slug>.BASE_DOMAIN)."""

from django.urls import include, path

from core import views as core_views
from tenants.admin_site import tenant_admin_site

handler403 = "core.views.error_403"
handler404 = "core.views.error_404"
handler500 = "core.views.error_500"

urlpatterns = [
    path("health", core_views.health, name="health"),
    path("admin/", tenant_admin_site.urls),
    path("i18n/", include("core.urls_i18n")),
    path("", include("core.urls")),
    path("odoo/", include("odoo_sync.urls")),
    path("marketing/", include("marketing.urls")),
    path("", include("crm.urls")),
    path("", include("agenda.urls")),
    path("", include("chats.urls")),
    path("", include("chats.agent.urls")),
    path("", include("tenants.urls_tenant")),
]
