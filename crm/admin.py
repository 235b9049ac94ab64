"""CRM models in the owners' admin on the tenant host, for inspection. Every CRM model with rules of its
own is read-only there (the rule is in tenants/admin_site.py): leads and stages are changed on the CRM
pages, whose services write the history, the audit log and the live events."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from crm.models import (
    DocumentSequence,
    DocumentSettings,
    ImportJob,
    Lead,
    LeadDocument,
    Payment,
    Product,
    SalesDocument,
    SalesDocumentLine,
    Stage,
    Tag,
    TimelineEntry,
)
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


# Products and sales documents: read-only here. Their pages go through the services, which number
# documents, keep totals and the chain, and write the history and the audit log.


@admin.register(Product, site=tenant_admin_site)
class ProductAdmin(ReadOnlyOwnerModelAdmin):
    pages_url_name = "crm:product-list"  # the note linking to the pages (tenants/admin_site.py)
    list_display = ["name", "sku", "unit_price", "tax_rate", "unit", "active"]
    list_filter = ["active"]
    search_fields = ["name", "sku"]


class SalesDocumentLineInline(admin.TabularInline):
    model = SalesDocumentLine
    fk_name = "document"
    fields = ["position", "description", "quantity", "unit", "unit_price", "discount", "tax_rate", "subtotal"]
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SalesDocument, site=tenant_admin_site)
class SalesDocumentAdmin(ReadOnlyOwnerModelAdmin):
    pages_url_name = "crm:document-list"
    object_url_name = "crm:document-detail"
    list_display = ["number", "kind", "state", "lead", "issue_date", "total_amount", "currency"]
    list_filter = ["kind", "state"]
    search_fields = ["number", "customer_name"]
    raw_id_fields = ["lead", "parent", "root"]
    list_select_related = ["lead"]
    inlines = [SalesDocumentLineInline]
    show_full_result_count = False


@admin.register(Payment, site=tenant_admin_site)
class PaymentAdmin(ReadOnlyOwnerModelAdmin):
    list_display = ["document", "amount", "date", "method", "external"]
    list_select_related = ["document"]


@admin.register(DocumentSequence, site=tenant_admin_site)
class DocumentSequenceAdmin(ReadOnlyOwnerModelAdmin):
    list_display = ["kind", "year", "last_number"]


@admin.register(DocumentSettings, site=tenant_admin_site)
class DocumentSettingsAdmin(ReadOnlyOwnerModelAdmin):
    list_display = ["legal_name", "tax_id", "payment_terms_days", "tax_rounding"]
