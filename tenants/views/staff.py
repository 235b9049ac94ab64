"""The owners' Staff page: pending requests, approval with a role, reject, disable, re-enable, edit."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ApplicationError
from tenants import services
from tenants.access import roles_required
from tenants.forms import ApproveForm, MemberForm, StaffFilterForm
from tenants.models import Membership, MembershipStatus, Role
from tenants.selectors import pending_invitations, tenant_members

PAGE_SIZE = 25


def _membership(request, pk: int) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user", "tenant"), pk=pk, tenant=request.tenant)


@roles_required(Role.OWNER)
def staff_list(request):
    form = StaffFilterForm(request.GET)
    if form.is_valid():
        status, search = form.cleaned_data["status"], form.cleaned_data["q"].strip()
        members = tenant_members(tenant=request.tenant, status=status or None, search=search)
    else:
        status, search = "", ""
        members = Membership.objects.none()  # refused: the page says why instead of listing anything
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "form": form,
        "status": status,
        "search": search,
        "statuses": MembershipStatus.choices,
        "approve_form": ApproveForm(),
        "invitations": pending_invitations(tenant=request.tenant),
    }
    template = (
        "tenants/staff_list.html#staff-table"
        if request.htmx and not request.htmx.boosted
        else "tenants/staff_list.html"
    )
    return TemplateResponse(request, template, context)


def _act(request, pk: int, action, success: str, **kwargs):
    membership = _membership(request, pk)
    try:
        action(membership=membership, actor=request.user, **kwargs)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success % {"name": membership.user})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "tenants:staff"
    return redirect(target)


@roles_required(Role.OWNER)
@require_POST
def staff_approve(request, pk: int):
    form = ApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
        return redirect("tenants:staff")
    return _act(
        request, pk, services.membership_approve, _("%(name)s can now sign in."), role=form.cleaned_data["role"]
    )


@roles_required(Role.OWNER)
@require_POST
def staff_reject(request, pk: int):
    return _act(request, pk, services.membership_reject, _("The request from %(name)s was rejected."))


@roles_required(Role.OWNER)
@require_POST
def staff_disable(request, pk: int):
    return _act(request, pk, services.membership_disable, _("%(name)s can no longer sign in to this company."))


@roles_required(Role.OWNER)
@require_POST
def staff_enable(request, pk: int):
    return _act(request, pk, services.membership_enable, _("%(name)s is active again."))


@roles_required(Role.OWNER)
@require_http_methods(["GET", "POST"])
def staff_edit(request, pk: int):
    membership = _membership(request, pk)
    form = MemberForm(request.POST or None, initial={"role": membership.role})
    if request.method == "POST" and form.is_valid():
        try:
            services.member_update(membership=membership, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("tenants:staff")
    return TemplateResponse(request, "tenants/staff_edit.html", {"form": form, "membership": membership})
