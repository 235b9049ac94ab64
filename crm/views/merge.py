"""Owners' lead housekeeping: merge two leads of the same person, delete a lead, erase a person's data.
Each asks for confirmation on a page of its own before it acts."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.errors import ApplicationError
from crm.models import Lead, LeadDocument, TimelineEntry
from crm.selectors.merge import merge_candidates
from crm.services.erasure import lead_erase
from crm.services.merge import FILLED_FIELDS, lead_delete, lead_merge, merge_plan
from tenants.access import roles_required
from tenants.models import Role


def _lead(pk: int, *, erased_ok: bool = False) -> Lead:
    lead = Lead.objects.select_related("stage", "seller").filter(pk=pk).first()
    if lead is None or (lead.erased_at and not erased_ok):
        raise Http404
    return lead


class MergeForm(forms.Form):
    keep = forms.TypedChoiceField(label=gettext_lazy("Keep"), coerce=int)

    def __init__(self, data, *, leads: list[Lead]):
        super().__init__(data)
        self.fields["keep"].choices = [(lead.pk, str(lead)) for lead in leads]


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that this cannot be undone."),
        error_messages={"required": gettext_lazy("Tick the box to confirm.")},
    )


@roles_required(Role.OWNER)
@require_http_methods(["GET"])
def lead_merge_choose_view(request, pk: int):
    """The leads that look like this one (same email or name), or those a search finds."""
    lead = _lead(pk)
    query = request.GET.get("q", "")[:100]
    context = {"lead": lead, "query": query, "candidates": merge_candidates(lead=lead, query=query)}
    return TemplateResponse(request, "crm/lead_merge.html", context)


def _plan_rows(keep: Lead, remove: Lead) -> list[dict]:
    plan = merge_plan(keep=keep, remove=remove)
    labels = {field.name: field.verbose_name for field in Lead._meta.fields}
    labels["seller_id"] = labels["seller"]
    rows = []
    for name in (*FILLED_FIELDS, "expected_value", "notes"):
        if name in plan.changes:
            kept_value = keep.seller if name == "seller_id" else getattr(keep, name)
            result = remove.seller if name == "seller_id" else plan.changes[name]
            rows.append({"label": labels[name], "kept": kept_value, "result": result})
    return rows


@roles_required(Role.OWNER)
@require_http_methods(["GET", "POST"])
def lead_merge_view(request, pk: int, other: int):
    """Shows which lead is kept and what it takes from the other; merging is the POST."""
    if pk == other:
        raise Http404
    first, second = _lead(pk), _lead(other)
    form = MergeForm(request.POST or None, leads=[first, second])
    if request.method == "POST" and form.is_valid():
        keep, remove = (first, second) if form.cleaned_data["keep"] == first.pk else (second, first)
        try:
            kept = lead_merge(tenant=request.tenant, keep=keep, remove=remove, actor=request.user)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The two leads are now one: %(name)s.") % {"name": kept})
            return redirect("crm:lead-detail", pk=kept.pk)
    wanted = request.POST.get("keep") or request.GET.get("keep", "")
    keep_id = second.pk if wanted == str(second.pk) else first.pk
    keep, remove = (first, second) if keep_id == first.pk else (second, first)
    context = {
        "lead": first,
        "other": second,
        "form": form,
        "keep": keep,
        "remove": remove,
        "rows": _plan_rows(keep, remove),
        "moved": {
            "history": TimelineEntry.objects.filter(lead=remove).count(),
            "documents": LeadDocument.objects.filter(lead=remove).count(),
        },
    }
    return TemplateResponse(request, "crm/lead_merge_confirm.html", context)


@roles_required(Role.OWNER)
@require_http_methods(["GET", "POST"])
def lead_delete_view(request, pk: int):
    lead = _lead(pk, erased_ok=True)
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        name = str(lead)
        lead_delete(tenant=request.tenant, lead=lead, actor=request.user)
        messages.success(request, _("Lead %(name)s deleted.") % {"name": name})
        return redirect("crm:lead-list")
    context = {
        "lead": lead,
        "form": form,
        "history": TimelineEntry.objects.filter(lead=lead).count(),
        "documents": LeadDocument.objects.filter(lead=lead).count(),
    }
    return TemplateResponse(request, "crm/lead_delete.html", context, status=422 if form.errors else 200)


@roles_required(Role.OWNER)
@require_http_methods(["GET", "POST"])
def lead_erase_view(request, pk: int):
    lead = _lead(pk)
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            lead = lead_erase(tenant=request.tenant, lead=lead, actor=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The person's personal data was erased."))
        return redirect("crm:lead-detail", pk=lead.pk)
    others = merge_candidates(lead=lead)
    context = {"lead": lead, "form": form, "others": others}
    return TemplateResponse(request, "crm/lead_erase.html", context, status=422 if form.errors else 200)
