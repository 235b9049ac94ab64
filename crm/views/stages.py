"""Pipeline settings (owners): rename, reorder, add and delete stages. Every action answers the htmx
request with the refreshed stage list and a toast, or redirects back to the page without JavaScript."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from crm.forms.stages import StageCreateForm, StageDeleteForm, StageNameForm, StageProbabilityForm, StageRottingForm
from crm.models import Stage
from crm.selectors.leads import stages
from crm.selectors.stages import stages_with_lead_counts
from crm.services.stages import (
    stage_create,
    stage_delete,
    stage_rename,
    stage_reorder,
    stage_set_probability,
    stage_set_rotting,
)
from tenants.access import roles_required
from tenants.models import Role


def _page(request, create_form: StageCreateForm | None = None, status: int = 200):
    context = {"stages": stages_with_lead_counts(), "create_form": create_form or StageCreateForm()}
    template = "crm/board_stages.html#stage-settings" if request.htmx else "crm/board_stages.html"
    return TemplateResponse(request, template, context, status=status)


def _run(request, action, success: str, **kwargs):
    """Calls one service; its refusal becomes an error toast. Then shows the list again."""
    try:
        action(actor=request.user, **kwargs)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return _page(request) if request.htmx else redirect("crm:stage-list")


@roles_required(Role.OWNER)
@require_GET
def stage_list(request):
    return _page(request)


@roles_required(Role.OWNER)
@require_POST
def stage_add(request):
    form = StageCreateForm(request.POST)
    if not form.is_valid():
        return _page(request, create_form=form, status=422)
    return _run(
        request, stage_create, _("Stage added."), name=form.cleaned_data["name"], kind=form.cleaned_data["kind"]
    )


@roles_required(Role.OWNER)
@require_POST
def stage_rename_view(request, pk: int):
    stage = get_object_or_404(Stage, pk=pk)
    form = StageNameForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A stage name can have at most 60 characters."))
        return _page(request, status=422)
    return _run(request, stage_rename, _("Stage renamed."), stage=stage, name=form.cleaned_data["name"])


@roles_required(Role.OWNER)
@require_POST
def stage_move(request, pk: int):
    """One step up or down: the up/down buttons (the drag handle posts the whole order instead)."""
    stage = get_object_or_404(Stage, pk=pk)
    ids = [each.pk for each in stages()]
    index = ids.index(stage.pk)
    other = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
    return _run(request, stage_reorder, _("Stages reordered."), ordered_ids=ids)


@roles_required(Role.OWNER)
@require_POST
def stage_reorder_view(request):
    ids = [int(part) for part in request.POST.get("order", "").split(",") if part.strip().isdecimal()]
    return _run(request, stage_reorder, _("Stages reordered."), ordered_ids=ids)


@roles_required(Role.OWNER)
@require_POST
def stage_delete_view(request, pk: int):
    """Deletes a stage; one with leads names where they go (`move_to`, confirmed in the page first)."""
    stage = get_object_or_404(Stage, pk=pk)
    form = StageDeleteForm(request.POST)
    move_to = form.cleaned_data["move_to"] if form.is_valid() else None
    try:
        moved = stage_delete(stage=stage, actor=request.user, move_to=move_to)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        if moved:
            messages.success(
                request,
                ngettext(
                    "Stage deleted; its %(count)s lead moved to %(stage)s.",
                    "Stage deleted; its %(count)s leads moved to %(stage)s.",
                    moved,
                )
                % {"count": moved, "stage": move_to.display_name},
            )
        else:
            messages.success(request, _("Stage deleted."))
    return _page(request) if request.htmx else redirect("crm:stage-list")


@roles_required(Role.OWNER)
@require_POST
def stage_probability_view(request, pk: int):
    stage = get_object_or_404(Stage, pk=pk)
    form = StageProbabilityForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A win probability is a whole number from 0 to 100."))
        return _page(request, status=422)
    return _run(
        request,
        stage_set_probability,
        _("Win probability saved."),
        stage=stage,
        win_probability=form.cleaned_data["win_probability"],
    )


@roles_required(Role.OWNER)
@require_POST
def stage_rotting_view(request, pk: int):
    stage = get_object_or_404(Stage, pk=pk)
    form = StageRottingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a number of days between 1 and 3650, or leave it empty."))
        return _page(request, status=422)
    return _run(
        request, stage_set_rotting, _("Rotting limit saved."), stage=stage, days=form.cleaned_data["rotting_days"]
    )
