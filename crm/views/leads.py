"""The lead list (search, filters, sorting, pages, bulk actions), the CSV export, create and edit."""

from __future__ import annotations

from itertools import islice

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.db import transaction
from django.http import Http404, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from core.errors import ApplicationError
from crm.forms.leads import BulkActionForm, LeadFilterForm, LeadForm
from crm.models import BulkJob, Lead, Stage
from crm.selectors.leads import (
    assignable_members,
    can_edit_lead,
    lead_list,
    lead_paginator,
    stages,
    tags,
    visible_leads,
)
from crm.selectors.lists import list_columns, saved_views
from crm.services import bulk as bulk_services
from crm.services.exports import export_delimiter, leads_export
from crm.services.leads import (
    DuplicateLead,
    lead_assign,
    lead_create,
    lead_update,
    leads_bulk_assign,
    leads_bulk_move,
    leads_bulk_tag,
)
from crm.services.lists import clean_view_query, leads_bulk_untag
from tenants.access import roles_required
from tenants.models import Role

PAGE_SIZE = 50
# (column, the sort it offers or None, label); the name is always shown, the others as each person chose.
COLUMNS = [
    ("name", "name", gettext_lazy("Name")),
    ("phone", None, gettext_lazy("Phone")),
    ("stage", "stage", gettext_lazy("Stage")),
    ("seller", None, gettext_lazy("Seller")),
    ("source", None, gettext_lazy("Source")),
    ("score", None, gettext_lazy("Score")),
    ("next_step", "next_action", gettext_lazy("Next step")),
    ("value", "value", gettext_lazy("Value")),
    ("last_contact", "last_contact", gettext_lazy("Last contact")),
    ("created", "created", gettext_lazy("Created")),
]
FILTER_NAMES = ("q", "stage", "seller", "source", "tag", "score", "created_from", "created_to")


def _members(request):
    """Who leads can be assigned to: only owners choose (sellers' leads are theirs)."""
    if request.membership.role != Role.OWNER:
        return None
    return list(assignable_members(tenant=request.tenant))


def _filter_form(request) -> LeadFilterForm:
    return LeadFilterForm(request.GET, stages=stages(), tags=list(tags()), members=_members(request))


def _query(request, *drop: str) -> str:
    query = request.GET.copy()
    for name in drop:
        query.pop(name, None)
    return query.urlencode()


def _sort_headers(request, current: str, columns: list[str]) -> list[dict]:
    """Each shown column's header: its label and, when sortable, the link that sorts by it (again: reversed)."""
    base = _query(request, "page", "sort")
    headers = []
    for column, key, label in COLUMNS:
        if column != "name" and column not in columns:
            continue
        state = "asc" if key and current == key else "desc" if key and current == f"-{key}" else ""
        sort = f"-{key}" if state == "asc" or (not state and key in ("created", "value", "last_contact")) else key
        url = f"?{base}&sort={sort}" if base else f"?sort={sort}"
        headers.append({"key": key, "column": column, "label": label, "state": state, "url": url if key else ""})
    return headers


def list_tools_context(request) -> dict:
    """The saved views, the chosen columns and the choosable ones (the list page and its tool forms)."""
    columns = list_columns(user_id=request.user.pk)
    return {
        "views": saved_views(membership=request.membership),
        "columns": columns,
        "column_choices": [(column, label) for column, _key, label in COLUMNS if column != "name"],
        "view_query": clean_view_query(request.GET.urlencode()),
    }


@roles_required(Role.OWNER, Role.SELLER)
@require_GET
def lead_list_view(request):
    stage_list, members = stages(), _members(request)
    form = LeadFilterForm(request.GET, stages=stage_list, tags=list(tags()), members=members)
    filters = form.filters()
    page = lead_paginator(membership=request.membership, filters=filters, per_page=PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    tools = list_tools_context(request)
    context = {
        **tools,
        "form": form,
        "page": page,
        "headers": _sort_headers(request, filters.sort, tools["columns"]),
        "active_filters": sum(1 for name in FILTER_NAMES if name != "q" and request.GET.get(name)),
        "query": _query(request, "page"),
        "next_url": request.get_full_path(),
        "bulk": BulkActionForm(None, stages=stage_list, members=members),
        "tag_names": [choice[1] for choice in form.fields["tag"].choices[1:]],
        "now": timezone.now(),
        # Only when the page is empty: tell "no leads yet" from "nothing matches these filters".
        "has_leads": bool(page.object_list) or visible_leads(membership=request.membership).exists(),
    }
    if not context["has_leads"] and request.membership.role == Role.SELLER:
        # A seller without leads in a company that has some: "add the first lead" would be wrong.
        context["company_has_leads"] = Lead.objects.exists()
    partial = request.htmx and not request.htmx.boosted
    return TemplateResponse(request, "crm/lead_list.html#lead-results" if partial else "crm/lead_list.html", context)


async def _async_lines(lines, size: int = 500):
    """Under ASGI a streamed body must be an async iterator; the rows are read in a worker thread."""

    def take():
        return "".join(islice(lines, size))

    while chunk := await sync_to_async(take)():
        yield chunk


@roles_required(Role.OWNER, Role.SELLER)
@require_GET
def lead_export_view(request):
    leads = lead_list(membership=request.membership, filters=_filter_form(request).filters())
    delimiter = export_delimiter(request.GET.get("sep", ""))
    lines = leads_export(leads=leads, actor=request.user, query=_query(request, "page"), delimiter=delimiter)
    body = _async_lines(lines) if isinstance(request, ASGIRequest) else lines
    response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="leads-{stamp}.csv"'
    return response


def _safe_next(request, url: str) -> str:
    if url and url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return reverse("crm:lead-list")


def _bulk_apply(request, form: BulkActionForm, leads) -> str:
    data = form.cleaned_data
    if data["action"] == BulkActionForm.ASSIGN:
        result = leads_bulk_assign(leads=leads, seller_id=form.seller_id(), actor=request.user)
        done = ngettext("%(count)s lead assigned", "%(count)s leads assigned", result.changed)
        skipped = ngettext("%(count)s already had that seller", "%(count)s already had that seller", result.skipped)
    elif data["action"] == BulkActionForm.TAG:
        result = leads_bulk_tag(leads=leads, tag=data["tag"], actor=request.user)
        done = ngettext("%(count)s lead tagged", "%(count)s leads tagged", result.changed)
        skipped = ngettext("%(count)s already had that tag", "%(count)s already had that tag", result.skipped)
    elif data["action"] == BulkActionForm.UNTAG:
        result = leads_bulk_untag(leads=leads, tag=data["tag"], actor=request.user)
        done = ngettext("tag removed from %(count)s lead", "tag removed from %(count)s leads", result.changed)
        skipped = ngettext("%(count)s did not have it", "%(count)s did not have it", result.skipped)
    else:
        result = leads_bulk_move(
            leads=leads, stage=data["stage_obj"], actor=request.user, lost_reason=data["lost_reason"]
        )
        done = ngettext("%(count)s lead moved", "%(count)s leads moved", result.changed)
        skipped = ngettext("%(count)s already there", "%(count)s already there", result.skipped)
    message = done % {"count": result.changed}
    if result.skipped:
        message = _("%(done)s, %(skipped)s") % {"done": message, "skipped": skipped % {"count": result.skipped}}
    return message + "."


def _bulk_question(form: BulkActionForm, count: int) -> dict:
    data = getattr(form, "cleaned_data", {})
    action = data.get("action")
    if action == BulkActionForm.ASSIGN:
        seller = dict(form.fields["seller"].choices).get(data.get("seller"), "")
        text = ngettext("Assign %(count)s lead to %(name)s?", "Assign %(count)s leads to %(name)s?", count)
        return {"question": text % {"count": count, "name": seller}}
    if action == BulkActionForm.TAG:
        text = ngettext("Tag %(count)s lead with “%(name)s”?", "Tag %(count)s leads with “%(name)s”?", count)
        return {"question": text % {"count": count, "name": data.get("tag", "")}}
    if action == BulkActionForm.UNTAG:
        text = ngettext(
            "Remove the tag “%(name)s” from %(count)s lead?", "Remove the tag “%(name)s” from %(count)s leads?", count
        )
        return {"question": text % {"count": count, "name": data.get("tag", "")}}
    stage = data.get("stage_obj")
    if action == BulkActionForm.MOVE and stage is not None:
        text = ngettext("Move %(count)s lead to %(name)s?", "Move %(count)s leads to %(name)s?", count)
        return {"question": text % {"count": count, "name": stage}, "asks_reason": stage.kind == Stage.Kind.LOST}
    return {}


def _matching_ids(request, query: str) -> list[int]:
    """The ids of every lead the list's filters (a query string) match for this person, up to one past
    the bulk limit (so "too many" can be told)."""
    stage_list, members = stages(), _members(request)
    filters = LeadFilterForm(QueryDict(query or ""), stages=stage_list, tags=list(tags()), members=members).filters()
    leads = lead_list(membership=request.membership, filters=filters)
    return list(leads.values_list("pk", flat=True)[: bulk_services.BULK_MAX + 1])


def _bulk_params(form: BulkActionForm) -> dict:
    data = form.cleaned_data
    return {
        "seller_id": form.seller_id() if data["action"] == BulkActionForm.ASSIGN else None,
        "tag": data.get("tag", ""),
        "stage_id": data.get("stage"),
        "lost_reason": data.get("lost_reason", ""),
    }


@roles_required(Role.OWNER, Role.SELLER)
@require_POST
def lead_bulk_view(request):
    """Step one shows what will happen and asks to confirm (and, for lost, why); step two does it. With
    "all matching", the leads are every one the filters match: a few are done at once, many by a worker
    (the answer then goes to its progress page)."""
    form = BulkActionForm(request.POST, stages=stages(), members=_members(request))
    valid = form.is_valid()
    all_matching = valid and form.cleaned_data["all_matching"]
    if all_matching:
        ids = _matching_ids(request, form.cleaned_data["filters"])
        if len(ids) > bulk_services.BULK_MAX:
            form.add_error(
                None, _("More than %(max)s leads match: narrow the filters.") % {"max": bulk_services.BULK_MAX}
            )
            valid = False
    else:
        ids = form.cleaned_data.get("ids") or []
    visible = visible_leads(membership=request.membership).filter(pk__in=ids)
    count = len(ids) if all_matching else visible.count()
    if valid and not count:
        form.add_error(None, _("Select at least one lead."))
    next_url = _safe_next(request, request.POST.get("next", ""))
    if valid and count and form.cleaned_data["confirmed"]:
        try:
            if all_matching and count > bulk_services.INLINE_MAX:
                job = bulk_services.bulk_job_create(
                    membership=request.membership, action=form.cleaned_data["action"], params=_bulk_params(form),
                    lead_ids=ids,
                )  # fmt: skip
                url = reverse("crm:bulk-job", args=[job.pk])
                return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
            leads = list(visible.select_related("stage").order_by("pk"))
            messages.success(request, _bulk_apply(request, form, leads))
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            return HttpResponseClientRedirect(next_url) if request.htmx else redirect(next_url)
    context = {
        "form": form,
        "leads": list(visible.order_by("pk")[:8]),
        "count": count,
        "ids": [] if all_matching else list(visible.order_by("pk").values_list("pk", flat=True)),
        "next_url": next_url,
        **_bulk_question(form, count),
    }
    template = "crm/lead_bulk.html#bulk-confirm" if request.htmx else "crm/lead_bulk.html"
    return TemplateResponse(request, template, context)


@roles_required(Role.OWNER, Role.SELLER)
@require_GET
def bulk_job_view(request, pk: int):
    """A bulk action's progress, for its author only (polled while the worker runs)."""
    job = BulkJob.objects.filter(pk=pk, created_by_id=request.user.pk).first()
    if job is None:
        raise Http404
    running = job.status in (BulkJob.Status.QUEUED, BulkJob.Status.RUNNING)
    template = "crm/lead_bulk_job.html#bulk-progress" if request.htmx else "crm/lead_bulk_job.html"
    return TemplateResponse(request, template, {"job": job, "running": running})


def _lead_form(request, *, creating: bool, lead=None) -> LeadForm:
    return LeadForm(
        request.POST or None,
        initial=LeadForm.initial_for(lead) if lead else {},
        stages=stages(),
        members=_members(request),
        currency=request.tenant.currency,
        region=request.tenant.country,
        creating=creating,
        value_limit=request.tenant.lead_value_confirm_above,
    )


def _duplicate_context(request, form: LeadForm, error: DuplicateLead) -> dict:
    """The existing lead is linked only for whoever may open it; a seller learns only that it exists."""
    if can_edit_lead(membership=request.membership, lead=error.lead):
        form.add_error("phone", _("This phone is already in use."))
        return {"duplicate": error.lead}
    form.add_error("phone", _("This phone belongs to another seller's lead. Ask an owner to assign it to you."))
    return {}


@roles_required(Role.OWNER, Role.SELLER)
@require_http_methods(["GET", "POST"])
def lead_create_view(request):
    form = _lead_form(request, creating=True)
    context = {"form": form, "creating": True}
    if request.method == "POST" and form.is_valid():
        is_seller = request.membership.role == Role.SELLER
        try:
            lead = lead_create(
                actor=request.user,
                stage=form.chosen_stage(),
                seller_id=request.user.pk if is_seller else form.seller_id(),
                auto_assign=not is_seller,
                **form.service_kwargs(),
            )
        except DuplicateLead as error:
            context.update(_duplicate_context(request, form, error))
        except (ApplicationError, ValidationError) as error:
            form.add_error(None, getattr(error, "message", error))
        else:
            messages.success(request, _("Lead %(name)s created.") % {"name": lead})
            return redirect("crm:lead-detail", pk=lead.pk)
    return TemplateResponse(request, "crm/lead_form.html", context)


@transaction.atomic
def _lead_save(request, lead, form: LeadForm):
    lead = lead_update(lead=lead, actor=request.user, **form.service_kwargs())
    if "seller" in form.fields and form.seller_id() != lead.seller_id:
        lead = lead_assign(lead=lead, seller_id=form.seller_id(), actor=request.user)
    return lead


@roles_required(Role.OWNER, Role.SELLER)
@require_http_methods(["GET", "POST"])
def lead_edit_view(request, pk: int):
    lead = visible_leads(membership=request.membership).prefetch_related("tags").filter(pk=pk).first()
    if lead is None:
        raise Http404
    form = _lead_form(request, creating=False, lead=lead)
    context = {"form": form, "lead": lead, "creating": False}
    if request.method == "POST" and form.is_valid():
        try:
            lead = _lead_save(request, lead, form)
        except DuplicateLead as error:
            context.update(_duplicate_context(request, form, error))
        except (ApplicationError, ValidationError) as error:
            form.add_error(None, getattr(error, "message", error))
        else:
            messages.success(request, _("Lead %(name)s saved.") % {"name": lead})
            return redirect("crm:lead-detail", pk=lead.pk)
    return TemplateResponse(request, "crm/lead_form.html", context)
