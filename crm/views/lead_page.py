"""The lead page's quick edits for a seller on the move: the next step inline (and as the follow-up
offered after a call), and correcting or deleting one's own notes."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from crm.forms.lead_page import NextStepForm, NoteEditForm
from crm.models import TimelineEntry
from crm.services.leads import lead_update
from crm.services.timeline import note_delete, note_edit
from crm.views.detail import LEAD_ROLES, _answer, _lead
from tenants.access import roles_required


@roles_required(*LEAD_ROLES)
@require_POST
def lead_next_step_view(request, pk: int):
    """Sets (or clears) the next step. From the key facts it answers with them; from the follow-up offered
    after a call, with a line saying it is set (and the key facts, out of band)."""
    lead = _lead(request, pk)
    follow_up = request.POST.get("via") == "follow-up"
    form = NextStepForm(request.POST, prefix_id="follow" if follow_up else "next")
    fragment = "follow-up" if follow_up else "summary"
    if form.is_valid():
        try:
            lead = lead_update(
                lead=lead,
                actor=request.user,
                next_action=form.cleaned_data["next_action"].strip(),
                next_action_at=form.cleaned_data["next_action_at"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            extra = {"follow_up_done": True, "summary_oob": True} if follow_up else {}
            return _answer(request, _lead(request, pk), fragment, **extra)
    name = "follow_up_form" if follow_up else "next_step_form"
    return _answer(request, lead, fragment, status=422, **{name: form, "next_step_open": True})


def _own_note(request, pk: int, entry_id: int) -> TimelineEntry:
    lead = _lead(request, pk)
    entry = TimelineEntry.objects.filter(lead=lead, pk=entry_id, kind=TimelineEntry.Kind.NOTE).first()
    if entry is None or entry.actor_id != request.user.pk:
        raise Http404
    return entry


@roles_required(*LEAD_ROLES)
@require_POST
def lead_note_edit_view(request, pk: int, entry_id: int):
    entry = _own_note(request, pk, entry_id)
    form = NoteEditForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            entry = note_edit(entry=entry, actor=request.user, body=form.cleaned_data["body"])
        except ApplicationError as error:
            form.add_error("body", error.message)
            status = 422
    else:
        status = 422
    if not request.htmx:
        return redirect("crm:lead-detail", pk=pk)
    context = {"entry": entry, "lead": entry.lead, "note_edit_form": form if status == 422 else None}
    return TemplateResponse(request, "crm/partials/_timeline_entry.html", context, status=status)


@roles_required(*LEAD_ROLES)
@require_POST
def lead_note_delete_view(request, pk: int, entry_id: int):
    entry = _own_note(request, pk, entry_id)
    note_delete(entry=entry, actor=request.user)
    if not request.htmx:
        return redirect("crm:lead-detail", pk=pk)
    return HttpResponse("")
