"""The admin on a tenant's host: owners of that tenant look at, and repair, its own models there.

Apps register their tenant models on `tenant_admin_site`, following one rule:

**A model with invariants is read-only here, or its admin goes through the services.** A model has
invariants when its services do more than save a row: check rules (the last won or lost stage cannot be
deleted, a lost lead needs a reason), normalise or derive fields (a lead's phone, its search text),
write the history and the audit log, announce live events, number documents, book time. The admin's
plain `save()` and `delete()` skip all of that, so such models use `ReadOnlyOwnerModelAdmin` with
`pages_url_name` (and `object_url_name`) naming the pages where people change them; the admin then
says where to go. An admin that must write them overrides `save_model` / `delete_model` /
`delete_queryset` to call the services instead. Today: leads and stages (read-only, changed on the CRM
pages); history, documents, imports and the audit log (read-only). The later apps' models with
invariants (numbered sales documents, appointments, conversations, campaigns) follow the same rule.
Only data without rules of its own (tags) uses `OwnerModelAdmin`."""

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
    """Owners see the rows; nobody adds, changes or deletes them here (see the module docstring).

    `pages_url_name`: the URL name of the page where people change these rows (`crm:lead-list`);
    `object_url_name`: the one of a row's own page, reversed with its id (`crm:lead-detail`). When set,
    the list and each row's page show a note linking there."""

    change_list_template = "admin/read_only/change_list.html"
    change_form_template = "admin/read_only/change_form.html"
    pages_url_name = ""
    object_url_name = ""

    def changelist_view(self, request, extra_context=None):
        extra = {"pages_url": reverse(self.pages_url_name)} if self.pages_url_name else {}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {}
        if self.object_url_name and str(object_id).isdigit():
            extra["pages_url"] = reverse(self.object_url_name, args=[int(object_id)])
        elif self.pages_url_name:
            extra["pages_url"] = reverse(self.pages_url_name)
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

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
