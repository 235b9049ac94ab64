"""Platform admins (public admin) look at the raw webhook deliveries: the failed ones with their error,
and replay them once the cause is fixed (the worker processes the delivery again in its company)."""

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tenants.admin_site import SafeChangelistMixin
from webhooks.models import WebhookEvent


@admin.register(WebhookEvent)
class WebhookEventAdmin(SafeChangelistMixin, admin.ModelAdmin):
    list_display = ["received_at", "provider", "kind", "tenant", "status", "short_error", "attempts"]
    list_filter = ["status", "provider"]
    search_fields = ["dedupe_key", "phone_number_id", "kind"]
    date_hierarchy = "received_at"
    fields = [
        "provider", "dedupe_key", "tenant", "phone_number_id", "kind", "status", "error", "attempts",
        "received_at", "processed_at", "payload",
    ]  # fmt: skip
    readonly_fields = fields
    actions = ["replay"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("error"))
    def short_error(self, obj):
        return (obj.error or "")[:120]

    @admin.display(description=_("raw body"))
    def payload(self, obj):
        return format_html("<pre>{}</pre>", obj.text()[:100_000])

    @admin.action(description=_("Process again"))
    def replay(self, request, queryset):
        from chats.webhooks.intake import enqueue

        count = 0
        for event in queryset.select_related("tenant"):
            if event.tenant is None:
                continue
            enqueue(tenant=event.tenant, event_id=event.pk, replay=True)
            count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery sent to be processed again.",
                "%(count)d deliveries sent to be processed again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
