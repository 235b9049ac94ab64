"""CRM models in the owners' admin on the tenant host, for inspection. Every CRM model with rules of its
own is read-only there (the rule is in tenants/admin_site.py): leads and stages are changed on the CRM
pages, whose services write the history, the audit log and the live events."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from crm.models import ImportJob, Lead, LeadDocument, Stage, Tag, TimelineEntry
from tenants.admin_site import OwnerModelAdmin, ReadOnlyOwnerModelAdmin, tenant_admin_site


@admin.register(Stage, site=tenant_admin_site)
class StageAdmin(ReadOnlyOwnerModelAdmin):
    list_display = ["shown_name", "kind", "position"]
    ordering = ["position"]
    pages_url_name = "crm:stage-list"

    @admin.display(description=_("name"), ordering="position")
    def shown_name(self, stage: Stage) -> str:
        return stage.display_name


@admin.register(Tag, site=tenant_admin_site)
class TagAdmin(OwnerModelAdmin):
    search_fields = ["name"]


@admin.register(Lead, site=tenant_admin_site)
class LeadAdmin(ReadOnlyOwnerModelAdmin):
    list_display = ["phone", "first_name", "last_name", "company", "stage", "source", "score", "created_at"]
    list_filter = ["stage", "source", "score"]
    search_fields = ["phone", "first_name", "last_name", "email", "company"]
    list_select_related = ["stage"]
    show_full_result_count = False
    pages_url_name = "crm:lead-list"
    object_url_name = "crm:lead-detail"


@admin.register(TimelineEntry, site=tenant_admin_site)
class TimelineEntryAdmin(ReadOnlyOwnerModelAdmin):
    list_display = ["created_at", "lead", "kind", "actor_label"]
    list_filter = ["kind"]
    raw_id_fields = ["lead"]
    show_full_result_count = False


@admin.register(LeadDocument, site=tenant_admin_site)
class LeadDocumentAdmin(ReadOnlyOwnerModelAdmin):
    list_display = ["original_name", "lead", "content_type", "size", "created_at"]


@admin.register(ImportJob, site=tenant_admin_site)
class ImportJobAdmin(ReadOnlyOwnerModelAdmin):
    list_display = ["original_name", "status", "total_rows", "created_count", "error_count", "created_at"]
