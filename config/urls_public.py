"""URLs of the public site (localhost / BASE_DOMAIN): landing, login, registration, tenant chooser."""

from django.contrib import admin
from django.urls import include, path

from core import views as core_views

handler403 = "core.views.error_403"
handler404 = "core.views.error_404"
handler500 = "core.views.error_500"

urlpatterns = [
    path("health", core_views.health, name="health"),
    path("admin/", admin.site.urls),
    path("i18n/", include("core.urls_i18n")),
    path("meta/", include("marketing.urls_public")),
    path("", include("tenants.urls_public")),
]
