"""The lead page: key facts, stage, seller, score, attribution, tags, and the customer history with its
note, call and document forms. Owners open any lead, sellers their own; anyone else gets a 404."""

from __future__ import annotations

from datetime import timedelta

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from core.phones import digits
from crm.forms.detail import AssignForm, CallForm, DocumentForm, NoteForm, StageChangeForm
from crm.forms.lead_page import NextStepForm
from crm.models import Lead, LeadDocument, Stage, TimelineEntry
from crm.selectors.leads import lead_detail, lead_timeline, merged_into, stages
from crm.selectors.timeline import timeline_page
from crm.services.documents import document_upload
from crm.services.leads import lead_assign, lead_move
from crm.services.lost_reasons import offered_reasons
from crm.services.timeline import call_log, note_add
from crm.views.documents import lead_documents_context
from tenants.access import roles_required
from tenants.models import Role

LEAD_ROLES = (Role.OWNER, Role.SELLER)


def _lead(request, pk: int) -> Lead:
    lead = lead_detail(membership=request.membership, lead_id=pk)
    if lead is None:
        raise Http404
    return lead


def _before(request) -> int | None:
    value = request.GET.get("before", "")
    return int(value) if value.isdecimal() else None


def _local(lead: Lead):
    return timezone.localtime(lead.next_action_at) if lead.next_action_at else None


def _follow_up_initial() -> dict:
    """What the follow-up offered after a call proposes: call back tomorrow at ten."""
    tomorrow = timezone.localtime() + timedelta(days=1)
    return {
        "next_action": _("Call back"),
        "next_action_at": tomorrow.replace(hour=10, minute=0, second=0, microsecond=0),
    }


def _context(request, lead: Lead, **extra) -> dict:
    can_assign = request.membership.role == Role.OWNER
    stage_list = stages()
    context = {
        "lead": lead,
        "can_assign": can_assign,
        "stages": stage_list,
        "stage_form": StageChangeForm(initial={"stage": lead.stage_id, "lost_reason": lead.lost_reason}),
        "assign_form": AssignForm(tenant=request.tenant, initial={"seller": lead.seller_id or ""})
        if can_assign
        else None,
        "note_form": NoteForm(),
        "call_form": CallForm(),
        "document_form": DocumentForm(),
        "next_step_form": NextStepForm(initial={"next_action": lead.next_action, "next_action_at": _local(lead)}),
        "follow_up_form": NextStepForm(prefix_id="follow", initial=_follow_up_initial()),
        "lost_reasons": offered_reasons(),
        "lost_stage": next((stage for stage in stage_list if stage.kind == Stage.Kind.LOST), None),
        "whatsapp_url": "" if lead.erased_at else f"https://wa.me/{digits(lead.phone)}",
        **lead_documents_context(request, lead),
        **extra,
    }
    if "timeline" not in context:
        context["timeline"] = timeline_page(lead=lead, before_id=_before(request))
    return context


def _answer(request, lead: Lead, fragment: str, *, status: int = 200, **extra):
    """htmx gets the fragment; a plain form post gets a redirect after a success, the page otherwise."""
    if not request.htmx and status == 200:
        return redirect("crm:lead-detail", pk=lead.pk)
    template = f"crm/lead_detail.html#{fragment}" if request.htmx else "crm/lead_detail.html"
    return TemplateResponse(request, template, _context(request, lead, **extra), status=status)


def _timeline_form(request, pk: int, form_class, name: str, write, *, refreshes_summary: bool = False):
    """Validates `form_class`, calls `write(lead, cleaned_data) -> TimelineEntry`, and answers with a fresh
    form plus the new entry on top of the history (and the key facts, when `write` changes them), or with
    the form and its errors (422)."""
    lead = _lead(request, pk)
    form = form_class(request.POST, request.FILES)
    if form.is_valid():
        try:
            entry = write(lead, form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            return _answer(request, lead, f"{name}-form", new_entry=entry, summary_oob=refreshes_summary)
    return _answer(request, lead, f"{name}-form", status=422, **{f"{name}_form": form})


@roles_required(*LEAD_ROLES)
@require_GET
def lead_detail_view(request, pk: int):
    """The lead page. A link to a lead merged into another leads to the one kept; a seller following a
    colleague's link is told the lead is someone else's (403), and nothing of it."""
    lead = lead_detail(membership=request.membership, lead_id=pk)
    if lead is None:
        kept = merged_into(lead_id=pk)
        if kept is not None:
            return redirect("crm:lead-detail", pk=kept)
        if Lead.objects.filter(pk=pk).exists():
            return TemplateResponse(request, "crm/lead_not_yours.html", {}, status=403)
        raise Http404
    return TemplateResponse(request, "crm/lead_detail.html", _context(request, lead))


@roles_required(*LEAD_ROLES)
@require_GET
def lead_timeline_view(request, pk: int):
    """Older entries, for the "Load older" button."""
    lead = _lead(request, pk)
    page = timeline_page(lead=lead, before_id=_before(request))
    context = {"lead": lead, "timeline": page, "stages": stages()}
    return TemplateResponse(request, "crm/lead_detail.html#timeline-page", context)


@roles_required(*LEAD_ROLES)
@require_POST
def lead_stage_view(request, pk: int):
    lead = _lead(request, pk)
    form = StageChangeForm(request.POST)
    if form.is_valid():
        stage = form.cleaned_data["stage"]
        try:
            lead_move(
                lead=lead,
                stage=stage,
                actor=request.user,
                lost_reason=form.cleaned_data["lost_reason"],
                lost_note=form.cleaned_data["lost_note"],
            )
        except ApplicationError as error:
            form.add_error("lost_reason" if stage.kind == Stage.Kind.LOST else None, error.message)
        else:
            return _answer(request, _lead(request, pk), "summary", timeline_oob=True)
    return _answer(request, lead, "summary", status=422, stage_form=form)


@roles_required(Role.OWNER)
@require_POST
def lead_assign_view(request, pk: int):
    lead = _lead(request, pk)
    form = AssignForm(request.POST, tenant=request.tenant)
    if form.is_valid():
        try:
            lead_assign(lead=lead, seller_id=form.seller_id(), actor=request.user)
        except ApplicationError as error:
            form.add_error("seller", error.message)
        else:
            return _answer(request, _lead(request, pk), "summary", timeline_oob=True)
    return _answer(request, lead, "summary", status=422, assign_form=form)


@roles_required(*LEAD_ROLES)
@require_POST
def lead_note_view(request, pk: int):
    return _timeline_form(
        request, pk, NoteForm, "note", lambda lead, data: note_add(lead=lead, actor=request.user, body=data["body"])
    )


@roles_required(*LEAD_ROLES)
@require_POST
def lead_call_view(request, pk: int):
    def write(lead, data):
        return call_log(
            lead=lead, actor=request.user, outcome=data["outcome"], duration_seconds=data["duration"], body=data["body"]
        )

    # A call is a contact: the key facts' "Last contact" changes with it.
    return _timeline_form(request, pk, CallForm, "call", write, refreshes_summary=True)


@roles_required(*LEAD_ROLES)
@require_POST
def lead_document_upload_view(request, pk: int):
    def write(lead, data):
        document = document_upload(lead=lead, actor=request.user, file=data["file"])
        return lead_timeline(lead=lead).filter(kind=TimelineEntry.Kind.DOCUMENT, data__document_id=document.pk).first()

    return _timeline_form(request, pk, DocumentForm, "document", write)


@roles_required(*LEAD_ROLES)
@require_GET
def lead_document_view(request, pk: int, document_id: int):
    """Downloads go through here (never a public media URL): only who may open the lead gets its files."""
    document = get_object_or_404(LeadDocument, lead=_lead(request, pk), pk=document_id)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=document.original_name, content_type=document.content_type)
