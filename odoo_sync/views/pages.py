"""The Odoo pages of owners and accountants: what went to Odoo and what is ready to go, and the
reconciliation list of documents that differ between the two sides."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from odoo_sync.forms import NoteForm
from odoo_sync.selectors import ready_to_send, reconciliation_rows, status_counts, sync_row_for_note, sync_rows
from odoo_sync.services.pull import reconciliation_note_set
from tenants.access import roles_required
from tenants.models import Credential, Role
from tenants.vault import CREDENTIAL_FIELDS, vault_masked

SENDERS = (Role.OWNER, Role.ACCOUNTANT)


def _connection(tenant) -> dict:
    stored = vault_masked(tenant=tenant).get(Credential.Kind.ODOO)
    if not stored:
        return {"configured": False}
    protocols = dict(next(f.choices for f in CREDENTIAL_FIELDS[Credential.Kind.ODOO] if f.name == "protocol"))
    return {
        "configured": True,
        "url": stored.get("url", ""),
        "database": stored.get("database", ""),
        "protocol": protocols.get(stored.get("protocol") or "xmlrpc", ""),
    }


@roles_required(*SENDERS)
@require_GET
def overview_view(request):
    context = {
        "connection": _connection(request.tenant),
        "counts": status_counts(),
        "ready": ready_to_send(),
        "rows": sync_rows(),
    }
    return TemplateResponse(request, "odoo_sync/overview.html", context)


@roles_required(*SENDERS)
@require_GET
def reconciliation_view(request):
    rows = [
        (item, NoteForm(initial={"note": item.row.note}, prefix=f"row{item.row.pk}")) for item in reconciliation_rows()
    ]
    return TemplateResponse(request, "odoo_sync/reconciliation.html", {"rows": rows})


@roles_required(*SENDERS)
@require_POST
def note_view(request, pk: int):
    row = sync_row_for_note(pk=pk)
    if row is None:
        raise Http404
    form = NoteForm(request.POST, prefix=f"row{row.pk}")
    saved = False
    if form.is_valid():
        row = reconciliation_note_set(
            tenant=request.tenant, row=row, note=form.cleaned_data["note"], actor=request.user
        )
        saved = True
    if request.htmx:
        context = {"row": row, "form": form, "saved": saved}
        return TemplateResponse(
            request, "odoo_sync/reconciliation.html#note-form", context, status=200 if saved else 422
        )
    if saved:
        messages.success(request, _("Note saved."))
    else:
        for error in form.errors.get("note", []):
            messages.error(request, error)
    return redirect("odoo_sync:reconciliation")


@roles_required(*SENDERS)
@require_POST
def pull_view(request):
    """Reads every document back from Odoo now, in a worker, instead of waiting for the next run."""
    from odoo_sync.tasks import pull_task

    transaction.on_commit(pull_task.delay)
    messages.info(request, _("Reading the documents back from Odoo. Their states update as it goes."))
    return redirect("odoo_sync:overview")


urlpatterns = [
    path("", overview_view, name="overview"),
    path("reconciliation/", reconciliation_view, name="reconciliation"),
    path("reconciliation/<int:pk>/note/", note_view, name="reconciliation-note"),
    path("pull/", pull_view, name="pull"),
]
