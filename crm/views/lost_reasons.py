"""The owners' list of lost reasons: add, rename, reorder, stop offering, delete. Each action answers
htmx with the refreshed list, or redirects back without JavaScript."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from crm.models import Lead, LostReason
from crm.services.lost_reasons import lost_reason_create, lost_reason_delete, lost_reason_move, lost_reason_update
from tenants.access import roles_required
from tenants.models import Role


class LostReasonForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=80, required=False)


def _page(request, form: LostReasonForm | None = None, status: int = 200):
    reasons = list(LostReason.objects.order_by("position", "id"))
    used = dict(
        Lead.objects.filter(lost_reason__in=[r.display_name for r in reasons])
        .values_list("lost_reason")
        .annotate(count=Count("id"))
    )
    for reason in reasons:
        reason.lead_count = used.get(reason.display_name, 0)
    context = {"reasons": reasons, "form": form or LostReasonForm()}
    template = "crm/lost_reasons.html#lost-reasons" if request.htmx else "crm/lost_reasons.html"
    return TemplateResponse(request, template, context, status=status)


def _run(request, action, success: str, **kwargs):
    try:
        action(actor=request.user, **kwargs)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return _page(request) if request.htmx else redirect("crm:lost-reasons")


@roles_required(Role.OWNER)
@require_GET
def lost_reason_list(request):
    return _page(request)


@roles_required(Role.OWNER)
@require_POST
def lost_reason_add(request):
    form = LostReasonForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=422)
    return _run(request, lost_reason_create, _("Reason added."), name=form.cleaned_data["name"])


@roles_required(Role.OWNER)
@require_POST
def lost_reason_edit(request, pk: int):
    reason = get_object_or_404(LostReason, pk=pk)
    form = LostReasonForm(request.POST)
    if not form.is_valid():
        return _page(request, status=422)
    return _run(request, lost_reason_update, _("Reason renamed."), reason=reason, name=form.cleaned_data["name"])


@roles_required(Role.OWNER)
@require_POST
def lost_reason_toggle(request, pk: int):
    reason = get_object_or_404(LostReason, pk=pk)
    success = _("The reason is no longer offered.") if reason.active else _("The reason is offered again.")
    return _run(request, lost_reason_update, success, reason=reason, active=not reason.active)


@roles_required(Role.OWNER)
@require_POST
def lost_reason_move_view(request, pk: int):
    reason = get_object_or_404(LostReason, pk=pk)
    direction = "up" if request.POST.get("direction") == "up" else "down"
    return _run(request, lost_reason_move, _("Order saved."), reason=reason, direction=direction)


@roles_required(Role.OWNER)
@require_POST
def lost_reason_delete_view(request, pk: int):
    reason = get_object_or_404(LostReason, pk=pk)
    return _run(request, lost_reason_delete, _("Reason deleted."), reason=reason)
