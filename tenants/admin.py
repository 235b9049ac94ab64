"""Public Django admin (superusers only): tenants, domains, people, memberships, vault metadata."""

from functools import partial

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from django_tenants.admin import TenantAdminMixin

from tenants.admin_site import SafeChangelistMixin, login_through_sign_in
from tenants.models import Credential, Domain, Membership, Tenant, User, WhatsAppNumber
from tenants.services import RESERVED_SLUGS, SLUG_RE


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fk_name = "tenant"
    autocomplete_fields = ["user"]
    fields = ["user", "role", "status"]


class TenantAdminForm(forms.ModelForm):
    class Meta:
        model = Tenant
        fields = ["name", "slug", "language", "timezone", "currency", "ai_enabled", "calendar_provider", "listed"]

    def clean_slug(self):
        """The subdomain rules of tenant_create: it names a host and, with dashes as underscores, a schema."""
        slug = self.cleaned_data["slug"]
        if not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
            raise forms.ValidationError(
                _("The subdomain must be 3-42 lowercase letters, digits or dashes, not reserved.")
            )
        return slug


@admin.register(Tenant)
class TenantAdmin(SafeChangelistMixin, TenantAdminMixin, admin.ModelAdmin):
    form = TenantAdminForm
    list_display = ["name", "slug", "schema_name", "language", "currency", "created_at"]
    search_fields = ["name", "slug", "schema_name"]
    inlines = [DomainInline, MembershipInline]
    readonly_fields = ["created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "schema_name", "slug"] if obj is not None else fields

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None:
            fields = [f for f in fields if f != "schema_name"]
        return fields

    def save_model(self, request, obj, form, change):
        if not change and not obj.schema_name:
            obj.schema_name = obj.slug.replace("-", "_")
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        tenant = form.instance
        if not tenant.domains.exists():
            Domain.objects.create(tenant=tenant, domain=f"{tenant.slug}.{settings.BASE_DOMAIN}", is_primary=True)


@admin.register(User)
class UserAdmin(SafeChangelistMixin, BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "is_superuser", "date_joined"]
    search_fields = ["email", "full_name"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["full_name", "phone", "language"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "full_name", "password1", "password2"]})]
    filter_horizontal = []


@admin.register(Membership)
class MembershipAdmin(SafeChangelistMixin, admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "status", "created_at"]
    list_filter = ["role", "status", "tenant"]
    search_fields = ["user__email", "user__full_name", "tenant__name"]
    autocomplete_fields = ["user", "tenant"]
    readonly_fields = ["decided_by", "decided_at", "created_at", "updated_at"]


@admin.register(Credential)
class CredentialAdmin(SafeChangelistMixin, admin.ModelAdmin):
    """Shows which credentials exist, never their values: owners set them on the Settings page."""

    list_display = ["tenant", "kind", "updated_by", "updated_at"]
    list_filter = ["kind"]
    fields = ["tenant", "kind", "updated_by", "updated_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WhatsAppNumber)
class WhatsAppNumberAdmin(SafeChangelistMixin, admin.ModelAdmin):
    list_display = ["display_phone", "provider", "phone_number_id", "tenant"]
    list_filter = ["provider"]
    search_fields = ["display_phone", "phone_number_id"]


def _superuser_only(request) -> bool:
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superuser_only
admin.site.login = partial(login_through_sign_in, admin.site)
admin.site.site_header = _("Platform administration")
admin.site.site_title = _("Platform administration")
admin.site.index_title = _("Companies and people")
