"""Agenda models in the owners' admin on the tenant host: read-only. Every agenda change goes through the
agenda's pages and services (they check availability, write the history and the audit log, announce
live events and mirror Google); see tenants/admin_site.py."""

from django.contrib import admin

from agenda.models import Appointment, Service, Task, TimeOff, WorkingHours
from tenants.admin_site import ReadOnlyOwnerModelAdmin, tenant_admin_site


@admin.register(Appointment, site=tenant_admin_site)
class AppointmentAdmin(ReadOnlyOwnerModelAdmin):
    list_display = ["start", "end", "service", "lead", "seller_id", "status", "source", "sync_state"]
    list_filter = ["status", "source", "sync_state", "service"]
    raw_id_fields = ["lead"]
    list_select_related = ["service", "lead"]
    date_hierarchy = "start"
    show_full_result_count = False
    pages_url_name = "agenda:calendar"


@admin.register(Service, site=tenant_admin_site)
class ServiceAdmin(ReadOnlyOwnerModelAdmin):
    list_display = ["name", "duration_minutes", "buffer_minutes", "price", "active"]
    pages_url_name = "agenda:service-list"
    object_url_name = "agenda:service-edit"


@admin.register(WorkingHours, site=tenant_admin_site)
class WorkingHoursAdmin(ReadOnlyOwnerModelAdmin):
    list_display = ["seller_id", "weekday", "start_time", "end_time"]
    pages_url_name = "agenda:hours"


@admin.register(TimeOff, site=tenant_admin_site)
class TimeOffAdmin(ReadOnlyOwnerModelAdmin):
    list_display = ["seller_id", "start_date", "end_date", "reason"]
    pages_url_name = "agenda:hours"


@admin.register(Task, site=tenant_admin_site)
class TaskAdmin(ReadOnlyOwnerModelAdmin):
    list_display = ["due_at", "title", "lead", "assignee_id", "done"]
    list_filter = ["done"]
    raw_id_fields = ["lead"]
    show_full_result_count = False
