"""Sending documents to Odoo (one from its page, several from the Odoo page) and reading one back."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from crm.models import SalesDocument
from odoo_sync.forms import SendForm
from odoo_sync.selectors import document_sync_state, document_url
from odoo_sync.services.pull import document_refresh
from odoo_sync.services.push import sync_request
from tenants.access import roles_required
from tenants.models import Role

SENDERS = (Role.OWNER, Role.ACCOUNTANT)


def _document_or_404(pk: int) -> SalesDocument:
    document = SalesDocument.objects.select_related("lead", "parent").filter(pk=pk).first()
    if document is None:
        raise Http404
    return document


def _block(request, document: SalesDocument, error: str = "") -> TemplateResponse:
    context = {"document": document, "sync_state": document_sync_state(document), "sync_error": error}
    return TemplateResponse(request, "odoo_sync/partials/_sync_block.html", context)


def _back(request, document: SalesDocument | None = None, target: str = ""):
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect((document_url(document) if document else "") or "odoo_sync:overview")


def _report(request, result) -> None:
    if result.queued:
        messages.success(
            request,
            ngettext(
                "%(count)s document is on its way to Odoo.",
                "%(count)s documents are on their way to Odoo.",
                len(result.queued),
            )
            % {"count": len(result.queued)},
        )
    if result.already:
        messages.info(
            request,
            ngettext(
                "%(count)s document is already in Odoo or on its way.",
                "%(count)s documents are already in Odoo or on their way.",
                len(result.already),
            )
            % {"count": len(result.already)},
        )
    for document, reason in result.refused:
        messages.error(request, f"{document}: {reason}")


@roles_required(*SENDERS)
@require_POST
def document_send_view(request, pk: int):
    document = _document_or_404(pk)
    result = sync_request(tenant=request.tenant, documents=[document], actor=request.user)
    if request.htmx:
        return _block(request, document, error=result.refused[0][1] if result.refused else "")
    _report(request, result)
    return _back(request, document)


@roles_required(*SENDERS)
@require_POST
def documents_send_view(request):
    form = SendForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("ids", []):
            messages.error(request, error)
        return _back(request, target=request.POST.get("next", ""))
    documents = list(
        SalesDocument.objects.select_related("lead", "parent").filter(pk__in=form.cleaned_data["ids"]).order_by("id")
    )
    if len(documents) < len(form.cleaned_data["ids"]):
        messages.error(request, _("Some of the chosen documents do not exist."))
    if documents:
        _report(request, sync_request(tenant=request.tenant, documents=documents, actor=request.user))
    return _back(request, target=form.cleaned_data["next"])


@roles_required(*SENDERS)
@require_POST
def document_refresh_view(request, pk: int):
    document = _document_or_404(pk)
    error = ""
    try:
        document_refresh(tenant=request.tenant, document=document, actor=request.user)
    except ApplicationError as failure:
        error = failure.message
    document = _document_or_404(pk)
    if request.htmx:
        return _block(request, document, error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Read from Odoo."))
    return _back(request, document, request.POST.get("next", ""))


@roles_required(*SENDERS)
@require_GET
def document_sync_view(request, pk: int):
    """The document's Odoo block (or, with `part=pill`, its status pill) as it is now: what an open page
    fetches when the documents topic says the state changed."""
    document = _document_or_404(pk)
    state = document_sync_state(document)
    if state is None:
        raise Http404
    if request.GET.get("part") == "pill":
        context = {"document": document, "sync_state": state, "pill_id": True}
        return TemplateResponse(request, "odoo_sync/partials/_status_pill.html", context)
    return _block(request, document)


urlpatterns = [
    path("documents/<int:pk>/sync/", document_sync_view, name="document-sync"),
    path("send/", documents_send_view, name="documents-send"),
    path("documents/<int:pk>/send/", document_send_view, name="document-send"),
    path("documents/<int:pk>/refresh/", document_refresh_view, name="document-refresh"),
]
