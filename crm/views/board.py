"""The pipeline board: a column per stage, cards moved by drag and drop, columns that load more cards as
they scroll, and columns re-fetched (with each viewer's own filters and permissions) on live events."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap

from core.errors import ApplicationError
from crm.forms.board import BoardFilterForm, MoveForm, QuickAddForm, UndoForm
from crm.models import Stage, TimelineEntry
from crm.selectors.board import column_cards, pipeline_board
from crm.selectors.leads import can_edit_lead, visible_leads
from crm.services.board import lead_move_undo, lead_quick_add
from crm.services.leads import DuplicateLead, lead_move
from tenants.access import roles_required
from tenants.models import Role

PER_COLUMN = 15  # a column shows about eight cards on a laptop; more load as it scrolls
BOARD_ROLES = (Role.OWNER, Role.SELLER)
MAX_OFFSET = 1_000_000  # past any column; a bigger number would overflow the query's OFFSET


# isdecimal, not isdigit: int() refuses digits such as "²" that isdigit accepts.
def _ids(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip().isdecimal()][:50]


def _offset(text: str | None) -> int:
    return min(int(text), MAX_OFFSET) if text and text.isdecimal() else 0


def _with_next_tasks(cards) -> None:
    """Each card's next open task (`lead.next_task`), in one query for all of them."""
    from agenda.selectors import next_open_tasks

    tasks = next_open_tasks(lead_ids=[lead.pk for lead in cards])
    for lead in cards:
        lead.next_task = tasks.get(lead.pk)


def _board_context(request, filter_form: BoardFilterForm, stage_ids: list[int] | None = None) -> dict:
    board = pipeline_board(
        membership=request.membership, filters=filter_form.filters(), per_column=PER_COLUMN, stage_ids=stage_ids
    )
    _with_next_tasks([lead for column in board.columns for lead in column.cards])
    return {
        "board": board,
        "filter_form": filter_form,
        "filter_query": filter_form.querystring(),
    }


def _columns(request, filter_form: BoardFilterForm, stage_ids: list[int], status: int = 200, **extra):
    """The given columns as out-of-band swaps, plus any toast waiting in the messages."""
    context = {**_board_context(request, filter_form, stage_ids), **extra}
    return TemplateResponse(request, "crm/board.html#columns-oob", context, status=status)


@roles_required(*BOARD_ROLES)
@require_GET
def board(request):
    filter_form = BoardFilterForm(request.GET, membership=request.membership)
    template = "crm/board.html#board" if request.htmx and not request.htmx.boosted else "crm/board.html"
    return TemplateResponse(request, template, _board_context(request, filter_form))


@roles_required(*BOARD_ROLES)
@require_GET
def board_columns(request):
    filter_form = BoardFilterForm(request.GET, membership=request.membership)
    return _columns(request, filter_form, _ids(request.GET.get("stages", "")))


@roles_required(*BOARD_ROLES)
@require_GET
def board_column(request, stage_id: int):
    stage = get_object_or_404(Stage, pk=stage_id)
    filter_form = BoardFilterForm(request.GET, membership=request.membership)
    offset = _offset(request.GET.get("offset"))
    cards = column_cards(
        membership=request.membership, filters=filter_form.filters(), stage=stage, offset=offset, limit=PER_COLUMN + 1
    )
    _with_next_tasks(cards[:PER_COLUMN])
    context = {
        "stage": stage,
        "cards": cards[:PER_COLUMN],
        "next_offset": offset + PER_COLUMN if len(cards) > PER_COLUMN else None,
        "filter_query": filter_form.querystring(),
    }
    return TemplateResponse(request, "crm/board.html#more-cards", context)


@roles_required(*BOARD_ROLES)
@require_POST
def board_move(request):
    """Answers with the affected columns re-rendered for this viewer; on a refusal, also with a toast
    (the card goes back where it really is)."""
    form = MoveForm(request.POST)
    filter_form = BoardFilterForm(request.POST, membership=request.membership)
    if not form.is_valid():
        messages.error(request, _("This move is not possible. Reload the page and try again."))
        return _columns(request, filter_form, _ids(str(request.POST.get("from_stage", ""))), status=400)
    stage, from_stage = form.cleaned_data["stage"], form.cleaned_data["from_stage"]
    lead = visible_leads(membership=request.membership).filter(pk=form.cleaned_data["lead"]).first()
    if lead is None:
        messages.error(request, _("This lead is not on your board."))
        return _columns(request, filter_form, [i for i in (from_stage, stage.pk) if i], status=404)
    stage_ids = [lead.stage_id, stage.pk]
    try:
        lead_move(lead=lead, stage=stage, actor=request.user, lost_reason=form.cleaned_data["lost_reason"])
    except ApplicationError as error:
        messages.error(request, error.message)
        return _columns(request, filter_form, stage_ids, status=400)
    undo_entry = (
        TimelineEntry.objects.filter(lead=lead, kind=TimelineEntry.Kind.STAGE, actor=request.user)
        .order_by("-created_at", "-id")
        .first()
    )
    return _columns(request, filter_form, stage_ids, undo_entry=undo_entry, moved=lead, moved_to=stage)


@roles_required(*BOARD_ROLES)
@require_POST
def board_undo(request):
    """The undo button of a move's toast: the lead goes back (crm.services.board.lead_move_undo), and the
    answer re-renders both columns. A lead this person may not see is not found."""
    form = UndoForm(request.POST)
    filter_form = BoardFilterForm(request.POST, membership=request.membership)
    if not form.is_valid():
        raise Http404
    entry = (
        TimelineEntry.objects.filter(
            pk=form.cleaned_data["entry"],
            kind=TimelineEntry.Kind.STAGE,
            lead__in=visible_leads(membership=request.membership),
        )
        .select_related("lead")
        .first()
    )
    if entry is None:
        raise Http404
    stage_ids = [i for i in (entry.data.get("from_id"), entry.data.get("to_id")) if isinstance(i, int)]
    try:
        lead_move_undo(entry=entry, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return _columns(request, filter_form, stage_ids, status=400)
    messages.success(request, _("Move undone."))
    return _columns(request, filter_form, stage_ids)


@roles_required(*BOARD_ROLES)
@require_POST
def board_quick_add(request):
    """The small form at the top of a column: a name and a phone make a lead in that stage. A seller's lead
    is theirs. Invalid input answers 422 with the form and its errors, nothing lost."""
    form = QuickAddForm(request.POST)
    filter_form = BoardFilterForm(request.POST, membership=request.membership)
    context = {"quick_form": form, "stage": None}
    if form.is_valid():
        stage = form.cleaned_data["stage"]
        context["stage"] = stage
        is_seller = request.membership.role == Role.SELLER
        try:
            lead = lead_quick_add(
                actor=request.user,
                stage=stage,
                name=form.cleaned_data["name"],
                phone=form.cleaned_data["phone"],
                seller_id=request.user.pk if is_seller else None,
            )
        except DuplicateLead as error:
            if can_edit_lead(membership=request.membership, lead=error.lead):
                context["duplicate"] = error.lead
                form.add_error("phone", _("This phone is already in use."))
            else:
                form.add_error("phone", _("This phone belongs to another seller's lead."))
        except (ApplicationError, ValidationError) as error:
            form.add_error(None, getattr(error, "message", None) or "; ".join(getattr(error, "messages", [])))
        else:
            messages.success(request, _("%(name)s added.") % {"name": lead})
            return reswap(_columns(request, filter_form, [stage.pk]), "none")
    elif "stage" not in form.errors:
        context["stage"] = form.cleaned_data.get("stage")
    return TemplateResponse(request, "crm/board.html#quick-add", context, status=422)
