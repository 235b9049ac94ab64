from django.urls import path

from core import views, views_notifications

app_name = "core"

urlpatterns = [
    path("audit/", views.audit_list, name="audit-list"),
    *views_notifications.urlpatterns,
]
