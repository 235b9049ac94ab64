"""The pipeline board: a column per stage, cards moved by drag and drop, columns that load more cards as
they scroll, and columns re-fetched (with each viewer's own filters and permissions) on live events."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from crm.forms.board import BoardFilterForm, MoveForm
from crm.models import Stage
from crm.selectors.board import column_cards, pipeline_board
from crm.selectors.leads import visible_leads
from crm.services.leads import lead_move
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


def _board_context(request, filter_form: BoardFilterForm, stage_ids: list[int] | None = None) -> dict:
    board = pipeline_board(
        membership=request.membership, filters=filter_form.filters(), per_column=PER_COLUMN, stage_ids=stage_ids
    )
    return {
        "board": board,
        "filter_form": filter_form,
        "filter_query": filter_form.querystring(),
    }


def _columns(request, filter_form: BoardFilterForm, stage_ids: list[int], status: int = 200):
    """The given columns as out-of-band swaps, plus any toast waiting in the messages."""
    context = _board_context(request, filter_form, stage_ids)
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
    return _columns(request, filter_form, stage_ids)
