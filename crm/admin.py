"""CRM models in the owners' admin on the tenant host. Pages and services remain the normal way to change
leads (they write the history and the audit log); the admin is for inspection and repairs."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from crm.models import ImportJob, Lead, LeadDocument, Stage, Tag, TimelineEntry
from tenants.admin_site import OwnerModelAdmin, ReadOnlyOwnerModelAdmin, tenant_admin_site


@admin.register(Stage, site=tenant_admin_site)
class StageAdmin(OwnerModelAdmin):
    list_display = ["shown_name", "kind", "position"]
    ordering = ["position"]

    @admin.display(description=_("name"), ordering="position")
    def shown_name(self, stage: Stage) -> str:
        return stage.display_name


@admin.register(Tag, site=tenant_admin_site)
class TagAdmin(OwnerModelAdmin):
    search_fields = ["name"]


@admin.register(Lead, site=tenant_admin_site)
class LeadAdmin(OwnerModelAdmin):
    list_display = ["phone", "first_name", "last_name", "company", "stage", "source", "score", "created_at"]
    list_filter = ["stage", "source", "score"]
    search_fields = ["phone", "first_name", "last_name", "email", "company"]
    list_select_related = ["stage"]
    readonly_fields = ["search_text", "created_at", "updated_at"]
    show_full_result_count = False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Users are shared by every tenant: offer and accept only this tenant's members (any status, so a
        # disabled seller's leads keep their seller). A raw id field would accept, and name, anyone.
        if db_field.name == "seller":
            kwargs["queryset"] = (
                get_user_model().objects.filter(memberships__tenant=request.tenant).distinct().order_by("full_name")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


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
