"""The admin on a tenant's host: owners of that tenant manage its own models there.

Apps register their tenant models on `tenant_admin_site` with `OwnerModelAdmin` (or a subclass)."""

from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.models import AuditEntry
from tenants.models import Role


def login_through_sign_in(site: admin.AdminSite, request, extra_context=None):
    """Replaces an admin site's own login form, which no throttle guards: anonymous visitors go to the
    throttled sign-in page; a signed-in user goes on to the admin, or gets the 403 page without it."""
    index = reverse("admin:index", current_app=site.name)
    if request.user.is_authenticated:
        if site.has_permission(request):
            return HttpResponseRedirect(index)
        raise PermissionDenied
    return redirect_to_login(request.GET.get(REDIRECT_FIELD_NAME) or index, login_url=reverse("tenants:login"))


def _is_owner(request) -> bool:
    membership = getattr(request, "membership", None)
    return bool(request.user.is_active and membership is not None and membership.role == Role.OWNER)


def _has_nul(query) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in query.lists())


class SafeChangelistMixin:
    """Admin lists refuse filter values the database or the calendar cannot take (a NUL byte, a year with
    thirty digits) with a message and the unfiltered list, instead of a server error."""

    def changelist_view(self, request, extra_context=None):
        if not _has_nul(request.GET):
            try:
                return super().changelist_view(request, extra_context)
            except OverflowError:
                pass
        messages.error(request, _("Those filters cannot be used. Showing the whole list instead."))
        return HttpResponseRedirect(request.path)


class TenantAdminSite(admin.AdminSite):
    site_header = _("Company administration")
    site_title = _("Company administration")
    index_title = _("Company data")

    def has_permission(self, request):
        return _is_owner(request)

    def login(self, request, extra_context=None):
        return login_through_sign_in(self, request, extra_context)


class OwnerModelAdmin(SafeChangelistMixin, admin.ModelAdmin):
    """Full rights for the tenant's owners, none for anyone else (Django's per-model permissions are
    global and so say nothing about tenants)."""

    def has_module_permission(self, request):
        return _is_owner(request)

    def has_view_permission(self, request, obj=None):
        return _is_owner(request)

    def has_add_permission(self, request):
        return _is_owner(request)

    def has_change_permission(self, request, obj=None):
        return _is_owner(request)

    def has_delete_permission(self, request, obj=None):
        return _is_owner(request)


class ReadOnlyOwnerModelAdmin(OwnerModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


tenant_admin_site = TenantAdminSite(name="tenant_admin")


@admin.register(AuditEntry, site=tenant_admin_site)
class AuditEntryAdmin(ReadOnlyOwnerModelAdmin):
    list_display = ["created_at", "actor_label", "action", "object_type", "object_repr", "ip"]
    list_filter = ["action", "object_type", "actor_kind"]
    search_fields = ["actor_label", "object_repr", "request_id"]
    date_hierarchy = "created_at"
