"""Follow-up tasks: created from the lead page, the calendar and the board card; ticked off anywhere."""

from __future__ import annotations

from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from agenda import services
from agenda.forms import TaskForm
from agenda.selectors import visible_task, zone_of
from core.errors import ApplicationError
from tenants.access import roles_required
from tenants.models import Role

TASK_ROLES = (Role.OWNER, Role.SELLER)


def _lead(request):
    from crm.public import lead_visible_to

    value = str(request.GET.get("lead") or request.POST.get("lead") or "")
    lead = (
        lead_visible_to(membership=request.membership, lead_id=int(value))
        if value.isdecimal() and len(value) < 19
        else None
    )
    if lead is None:
        raise Http404
    return lead


@roles_required(*TASK_ROLES)
@require_http_methods(["GET", "POST"])
def task_create(request):
    lead = _lead(request)
    form = TaskForm(request.POST or None, tenant=request.tenant, membership=request.membership)
    context = {"form": form, "lead": lead}
    if request.method == "GET" or not form.is_valid():
        template = "agenda/task_form.html#task-form" if request.htmx else "agenda/task_form.html"
        return TemplateResponse(request, template, context, status=200 if request.method == "GET" else 422)
    data = form.cleaned_data
    assignee = data["assignee"]
    if request.membership.role != Role.OWNER:
        assignee = request.membership.user_id
    due = data["due_at"]
    if due.tzinfo is not None:  # read as typed: a wall-clock time of the company
        due = due.astimezone(zone_of(request.tenant)).replace(tzinfo=None)
    try:
        services.task_create(
            tenant=request.tenant, lead=lead, title=data["title"], due_at=due, assignee_id=assignee, actor=request.user
        )
    except ApplicationError as error:
        form.add_error(None, error.message)
        template = "agenda/task_form.html#task-form" if request.htmx else "agenda/task_form.html"
        return TemplateResponse(request, template, context, status=422)
    if request.htmx:
        response = TemplateResponse(request, "agenda/partials/_dialog_done.html", {"message": _("Task added.")})
        return trigger_client_event(response, "agenda:changed", {"message": str(_("Task added."))})
    from django.shortcuts import redirect

    return redirect("crm:lead-detail", lead.pk)


@roles_required(*TASK_ROLES)
@require_POST
def task_done(request, pk: int):
    task = visible_task(membership=request.membership, task_id=pk)
    if task is None:
        raise Http404
    done = request.POST.get("done", "1") != "0"
    services.task_set_done(tenant=request.tenant, task=task, actor=request.user, done=done)
    task.refresh_from_db()
    if request.htmx:
        response = TemplateResponse(request, "agenda/partials/_task_row.html", {"task": task})
        return trigger_client_event(response, "agenda:changed", {})
    from django.shortcuts import redirect
    from django.utils.http import url_has_allowed_host_and_scheme

    target = str(request.POST.get("next") or "")
    if not (target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})):
        target = "crm:dashboard"
    return redirect(target)


urlpatterns = [
    path("agenda/tasks/new/", task_create, name="task-create"),
    path("agenda/tasks/<int:pk>/done/", task_done, name="task-done"),
]
