"""Sales document pages: the list per type with filters, the orders' kanban, starting a document for a
lead, the document page (a draft's header and lines edited inline with htmx, totals as you type, the chain,
the history, payments, the actions its state and the member's role allow), the PDF, and the company's
document settings.

Who sees and does what is in crm/documents_access.py: a document the member may not see is a 404; an
action the member may not take on a document they see is a 403."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from core.errors import ApplicationError
from crm import documents_hooks
from crm.documents_access import VIEW_ROLES, can_act, creatable_kinds
from crm.documents_format import format_unit_price, input_number
from crm.documents_pdf import pdf_filename, render_document_pdf
from crm.forms.documents import (
    CancelForm,
    DocumentFilterForm,
    DocumentHeaderForm,
    DocumentSettingsForm,
    LineForm,
    PaymentForm,
)
from crm.models import DocumentSettings, Lead, Product, SalesDocument
from crm.selectors.leads import assignable_members, search_leads, visible_leads
from crm.selectors.sales_documents import (
    document_chain,
    document_detail,
    document_history,
    document_lines,
    document_list,
    document_payments,
    document_tax_totals,
    lead_documents,
    order_progress,
    orders_kanban,
    products_for_lines,
)
from crm.services import sales_documents as edits
from crm.services import sales_documents_flow as flow
from tenants.access import roles_required
from tenants.models import Role

Kind = SalesDocument.Kind
State = SalesDocument.State
PAGE_SIZE = 50

# action -> (service, what it needs from the page). Services return the document they leave the person on.
ACTIONS = {
    "send": flow.document_send,
    "accept": flow.quote_accept,
    "reject": flow.quote_reject,
    "convert": flow.quote_convert,
    "confirm": flow.order_confirm,
    "deliver": flow.order_deliver,
    "validate": flow.delivery_validate,
    "invoice": flow.order_invoice,
    "post": flow.document_post,
    "credit": flow.invoice_credit,
    "cancel": flow.document_cancel,
}


def _document(request, pk: int) -> SalesDocument:
    document = document_detail(membership=request.membership, document_id=pk)
    if document is None:
        raise Http404
    return document


def _require(request, document: SalesDocument, action: str) -> None:
    if not can_act(membership=request.membership, document=document, operation=action):
        raise PermissionDenied


def _members(request):
    if request.membership.role == Role.SELLER:
        return None
    return list(assignable_members(tenant=request.tenant))


# The list and the kanban ------------------------------------------------------------------------------------


@roles_required(*VIEW_ROLES)
@require_GET
def document_list_view(request):
    form = DocumentFilterForm(request.GET, members=_members(request), sync_choices=documents_hooks.sync_state_choices())
    filters = form.filters()
    documents = document_list(membership=request.membership, filters=filters)
    page = Paginator(documents, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "kinds": Kind.choices,
        "sync_states": documents_hooks.sync_states(page.object_list),
        "can_create": request.membership.role in (Role.OWNER, Role.SELLER, Role.ACCOUNTANT),
    }
    partial = request.htmx and not request.htmx.boosted
    return TemplateResponse(
        request,
        "crm/documents/document_list.html#document-results" if partial else "crm/documents/document_list.html",
        context,
    )


@roles_required(*VIEW_ROLES)
@require_GET
def document_kanban_view(request):
    """The orders by state: what is to confirm, deliver and invoice."""
    form = DocumentFilterForm(request.GET, members=_members(request))
    columns = orders_kanban(membership=request.membership, filters=form.filters())
    return TemplateResponse(request, "crm/documents/document_kanban.html", {"form": form, "columns": columns})


# Starting a document ----------------------------------------------------------------------------------------


@roles_required(*VIEW_ROLES)
@require_http_methods(["GET", "POST"])
def document_create_view(request):
    """GET: find the lead (`?q=`) for a new document of `?kind=`. POST `lead` and `kind`: the draft is
    made and opened."""
    data = request.POST if request.method == "POST" else request.GET
    kind = data.get("kind", "")
    if kind not in dict(Kind.choices):
        kind = Kind.QUOTE
    if request.method == "POST":
        lead_id = data.get("lead", "")
        lead = (
            visible_or_all_leads(request).filter(pk=int(lead_id)).first()
            if lead_id.isdecimal() and len(lead_id) < 19
            else None
        )
        if lead is None:
            raise Http404
        if kind not in creatable_kinds(membership=request.membership, lead=lead):
            raise PermissionDenied
        try:
            document = edits.document_create(lead=lead, kind=kind, actor=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("crm:lead-detail", pk=lead.pk)
        return _go(request, reverse("crm:document-detail", args=[document.pk]))
    search = (data.get("q") or "").strip()[:100]
    leads = search_leads(visible_or_all_leads(request), search).order_by("-created_at")[:20] if search else []
    context = {"kind": kind, "kinds": Kind.choices, "search": search, "leads": leads}
    return TemplateResponse(request, "crm/documents/document_create.html", context)


@roles_required(Role.OWNER)
@require_POST
def document_from_appointment_view(request, appointment_id: int):
    """ "Invoice this visit", from an appointment of the agenda: the draft invoice opens (or the one already
    made for it). Owners only: they alone both see the calendar and write invoices."""
    from agenda.selectors import visible_appointment

    appointment = visible_appointment(membership=request.membership, appointment_id=appointment_id)
    if appointment is None:
        raise Http404
    try:
        invoice = edits.invoice_for_appointment(appointment=appointment, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        existing = error.extra.get("document")
        if isinstance(existing, SalesDocument):
            return _go(request, reverse("crm:document-detail", args=[existing.pk]))
        return _go(request, reverse("crm:lead-detail", args=[appointment.lead_id]))
    messages.success(request, _("Invoice for the visit prepared: check it, then post it."))
    return _go(request, reverse("crm:document-detail", args=[invoice.pk]))


def visible_or_all_leads(request):
    """The leads a member may start documents for: sellers their own; owners and accountants all."""
    if request.membership.role == Role.ACCOUNTANT:
        return Lead.objects.all()
    return visible_leads(membership=request.membership)


def _go(request, url: str):
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


NEW_DOCUMENT_LABELS = {
    Kind.QUOTE: gettext_lazy("New quote"),
    Kind.ORDER: gettext_lazy("New order"),
    Kind.INVOICE: gettext_lazy("New invoice"),
}


def lead_documents_context(request, lead: Lead) -> dict:
    """The lead page's documents card: the lead's documents and the ones this member may start there."""
    kinds = creatable_kinds(membership=request.membership, lead=lead)
    return {
        "sales_documents": lead_documents(membership=request.membership, lead=lead),
        "document_kinds": [(kind, NEW_DOCUMENT_LABELS[kind]) for kind in kinds],
    }


# The document page ------------------------------------------------------------------------------------------


def _available_actions(request, document: SalesDocument, progress) -> list[str]:
    """The actions the document's state offers, those the member may take."""
    state, kind = document.state, document.kind
    offered: list[str] = []
    if kind == Kind.QUOTE:
        offered = {
            State.DRAFT: ["send", "accept", "reject", "cancel"],
            State.SENT: ["send", "accept", "reject", "cancel"],
            State.ACCEPTED: ["convert", "cancel"],
        }.get(state, [])
    elif kind == Kind.ORDER:
        if state == State.DRAFT:
            offered = ["confirm", "cancel"]
        elif state != State.CANCELLED:
            if any(line.to_deliver > 0 for line in progress.values()):
                offered.append("deliver")
            if state != State.INVOICED and any(line.to_invoice > 0 for line in progress.values()):
                offered.append("invoice")
            offered.append("send")
            if state == State.CONFIRMED:
                offered.append("cancel")
    elif kind == Kind.DELIVERY:
        offered = {State.DRAFT: ["validate", "cancel"], State.DONE: ["send"]}.get(state, [])
    elif kind == Kind.INVOICE:
        offered = {
            State.DRAFT: ["post", "cancel"],
            State.POSTED: ["send", "credit"],
            State.PARTLY_PAID: ["send", "credit"],
            State.PAID: ["send", "credit"],
        }.get(state, [])
        if "credit" in offered and document.amount_credited >= document.total_amount:
            offered.remove("credit")
    elif kind == Kind.CREDIT_NOTE:
        offered = {State.DRAFT: ["post", "cancel"], State.POSTED: ["send"]}.get(state, [])
    return [name for name in offered if can_act(membership=request.membership, document=document, operation=name)]


def _product_options(document: SalesDocument, products: list[Product]) -> tuple[str, str]:
    """The products' <option>s, rendered once per page: with prices (the "add a line" list) and without (a
    line's own list, loaded when its product is changed)."""
    labels = [f"{product.name} ({product.sku})" if product.sku else product.name for product in products]
    plain = format_html_join(
        "",
        '<option value="{}">{}</option>',
        ((product.pk, label) for product, label in zip(products, labels, strict=True)),
    )
    priced = format_html_join(
        "",
        '<option value="{}">{} · {}</option>',
        (
            (product.pk, label, format_unit_price(product.unit_price, document.currency))
            for product, label in zip(products, labels, strict=True)
        ),
    )
    return priced, plain


def _detail_context(request, document: SalesDocument, **extra) -> dict:
    settings = edits.document_settings()
    lines = document_lines(document=document)
    editable = document.is_editable and can_act(membership=request.membership, document=document, operation="edit")
    products = products_for_lines() if editable and document.kind != Kind.DELIVERY else []
    add_options, line_options = _product_options(document, products) if products else ("", "")
    progress = order_progress(order=document, lines=lines) if document.kind == Kind.ORDER else {}
    sync_template = documents_hooks.sync_template()
    context = {
        "document": document,
        "lines": lines,
        "rows": [{"line": line, "form": None} for line in lines],
        "totals": document_tax_totals(document=document, lines=lines, rounding=settings.tax_rounding),
        "editable": editable,
        "delivery": document.kind == Kind.DELIVERY,
        "products": products,
        "add_options": add_options,
        "product_options": line_options,
        "progress": [(line, progress[line.pk]) for line in lines] if progress else [],
        "chain": document_chain(document=document),
        "history": document_history(document=document),
        "payments": document_payments(document=document) if document.kind == Kind.INVOICE else [],
        "actions": _available_actions(request, document, progress),
        "can_pay": document.kind == Kind.INVOICE
        and document.state in (State.POSTED, State.PARTLY_PAID)
        and can_act(membership=request.membership, document=document, operation="payment"),
        "payment_form": PaymentForm(
            initial={"amount": input_number(document.amount_due), "date": edits.tenant_today(), "method": "transfer"}
        ),
        "header_form": DocumentHeaderForm(
            document=document,
            initial={
                "customer_name": document.customer_name,
                "customer_details": document.customer_details,
                "due_date": document.due_date,
                "notes": document.notes,
            },
        )
        if editable
        else None,
        "cancel_form": CancelForm(),
        "can_open_lead": request.membership.role in (Role.OWNER, Role.SELLER),
        "sync_template": sync_template,
        "sync_state": documents_hooks.sync_state(document) if sync_template else None,
        **extra,
    }
    return context


@roles_required(*VIEW_ROLES)
@require_GET
def document_detail_view(request, pk: int):
    document = _document(request, pk)
    return TemplateResponse(request, "crm/documents/document_detail.html", _detail_context(request, document))


@roles_required(*VIEW_ROLES)
@require_POST
def document_edit_view(request, pk: int):
    """Saves a draft's header (customer, due date, notes)."""
    document = _document(request, pk)
    _require(request, document, "edit")
    form = DocumentHeaderForm(request.POST, document=document)
    if form.is_valid():
        try:
            edits.document_update(document=document, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("crm:document-detail", pk=document.pk)
    context = _detail_context(request, _document(request, pk), header_form=form)
    return TemplateResponse(request, "crm/documents/document_detail.html", context, status=422)


def _totals_response(request, document: SalesDocument, fragment: str, *, status: int = 200, **extra):
    document = _document(request, document.pk)
    context = _detail_context(request, document, **extra)
    focus = extra.get("row_line_id") or extra.get("new_line_id")
    if focus:
        context["line"] = next((line for line in context["lines"] if line.pk == focus), None)
    return TemplateResponse(request, f"crm/documents/document_detail.html#{fragment}", context, status=status)


LINE_KEY = re.compile(r"^l(\d{1,18})-quantity$")


@roles_required(*VIEW_ROLES)
@require_POST
def document_lines_view(request, pk: int):
    """Saves lines as typed. Each row's fields are named `l<line id>-<field>`: htmx posts one row (on
    input), the form's Save button every row. htmx gets the rows' subtotals and errors and the totals out
    of band; a plain post goes back to the page."""
    document = _document(request, pk)
    _require(request, document, "edit")
    errors: dict[int, list[str]] = {}
    ids = sorted({int(match.group(1)) for key in request.POST if (match := LINE_KEY.match(key))})[:500]
    for line_id in ids:
        form = LineForm(request.POST, prefix=f"l{line_id}", delivery=document.kind == Kind.DELIVERY)
        if not form.is_valid():
            errors[line_id] = [message for field_errors in form.errors.values() for message in field_errors]
            continue
        try:
            edits.line_update(document=document, line_id=line_id, actor=request.user, **form.values())
        except ApplicationError as error:
            errors[line_id] = [error.message]
    if not request.htmx:
        for line_messages in errors.values():
            for message in line_messages:
                messages.error(request, message)
        return redirect("crm:document-detail", pk=document.pk)
    return _totals_response(
        request, document, "line-updates", status=422 if errors else 200, line_errors=errors, updated_ids=ids
    )


def _product(request) -> Product | None:
    raw = request.POST.get("product", "")
    if not raw.isdecimal() or len(raw) > 18:
        return None
    return Product.objects.filter(pk=int(raw), active=True).first()


@roles_required(*VIEW_ROLES)
@require_POST
def document_line_add_view(request, pk: int):
    document = _document(request, pk)
    _require(request, document, "edit")
    try:
        line = edits.line_add(document=document, actor=request.user, product=_product(request))
    except ApplicationError as error:
        if not request.htmx:
            messages.error(request, error.message)
            return redirect("crm:document-detail", pk=document.pk)
        return _totals_response(request, document, "add-line", status=422, add_error=error.message)
    if not request.htmx:
        return redirect("crm:document-detail", pk=document.pk)
    return _totals_response(request, document, "add-line", new_line_id=line.pk)


@roles_required(*VIEW_ROLES)
@require_http_methods(["GET", "POST"])
def document_line_product_view(request, pk: int, line_id: int):
    """GET: the line's product list (htmx, when its product is to be changed). POST: puts the chosen product
    (or none) on the line; the row comes back with the product's values."""
    document = _document(request, pk)
    _require(request, document, "edit")
    if request.method == "GET":
        response = _totals_response(request, document, "line-product-choice", row_line_id=line_id)
        line = response.context_data.get("line")
        if line is None:
            raise Http404
        options = response.context_data["product_options"]
        if line.product_id:
            # Escaped options; marking the line's product selected keeps them safe.
            options = mark_safe(options.replace(f'value="{line.product_id}"', f'value="{line.product_id}" selected', 1))
        response.context_data["choice_options"] = options
        return response
    error_message = ""
    try:
        edits.line_set_product(document=document, line_id=line_id, product=_product(request), actor=request.user)
    except ApplicationError as error:
        error_message = error.message
    if not request.htmx:
        if error_message:
            messages.error(request, error_message)
        return redirect("crm:document-detail", pk=document.pk)
    return _totals_response(
        request,
        document,
        "line-row",
        status=422 if error_message else 200,
        row_line_id=line_id,
        oob_totals=True,
        line_errors={line_id: [error_message]} if error_message else {},
    )


@roles_required(*VIEW_ROLES)
@require_POST
def document_line_delete_view(request, pk: int, line_id: int):
    document = _document(request, pk)
    _require(request, document, "edit")
    try:
        edits.line_delete(document=document, line_id=line_id, actor=request.user)
    except ApplicationError as error:
        if not request.htmx:
            messages.error(request, error.message)
            return redirect("crm:document-detail", pk=document.pk)
        return _totals_response(request, document, "line-updates", status=422, line_errors={line_id: [error.message]})
    if not request.htmx:
        return redirect("crm:document-detail", pk=document.pk)
    return _totals_response(request, document, "line-removed")


# Actions ----------------------------------------------------------------------------------------------------


@roles_required(*VIEW_ROLES)
@require_POST
def document_action_view(request, pk: int, action: str):
    """Runs one transition of the document (send, accept, reject, convert, confirm, deliver, validate,
    invoice, post, credit, cancel) and opens the document it leads to."""
    document = _document(request, pk)
    service = ACTIONS.get(action)
    if service is None:
        raise Http404
    _require(request, document, action)
    kwargs = {}
    if action in ("cancel", "reject"):
        form = CancelForm(request.POST)
        kwargs["reason"] = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        result = service(document=document, actor=request.user, **kwargs)
    except ApplicationError as error:
        messages.error(request, error.message)
        target = error.extra.get("document")
        if isinstance(target, SalesDocument):
            return _go(request, reverse("crm:document-detail", args=[target.pk]))
        return _go(request, reverse("crm:document-detail", args=[document.pk]))
    result = result if isinstance(result, SalesDocument) else document
    messages.success(request, _action_message(action, result))
    return _go(request, reverse("crm:document-detail", args=[result.pk]))


def _action_message(action: str, document: SalesDocument) -> str:
    name = f"{document.get_kind_display()} {document.display_number}"
    return {
        "send": _("%(name)s sent; its PDF is in the lead's history."),
        "accept": _("%(name)s accepted."),
        "reject": _("%(name)s rejected."),
        "convert": _("%(name)s created from the quote."),
        "confirm": _("%(name)s confirmed."),
        "deliver": _("%(name)s prepared: adjust the quantities, then validate it."),
        "validate": _("%(name)s validated."),
        "invoice": _("%(name)s prepared: check it, then post it."),
        "post": _("%(name)s posted."),
        "credit": _("%(name)s prepared: adjust it, then post it."),
        "cancel": _("%(name)s cancelled."),
    }[action] % {"name": name}


@roles_required(*VIEW_ROLES)
@require_POST
def document_payment_view(request, pk: int):
    document = _document(request, pk)
    _require(request, document, "payment")
    form = PaymentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            flow.payment_record(
                document=document,
                amount=data["amount"],
                on=data["date"],
                method=data["method"],
                reference=data["reference"],
                actor=request.user,
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Payment recorded."))
            return redirect("crm:document-detail", pk=document.pk)
    context = _detail_context(request, _document(request, pk), payment_form=form)
    return TemplateResponse(request, "crm/documents/document_detail.html", context, status=422)


@roles_required(*VIEW_ROLES)
@require_GET
def document_pdf_view(request, pk: int):
    """The PDF, for whoever may see the document."""
    document = _document(request, pk)
    data = render_document_pdf(document=document, tenant=request.tenant)
    response = HttpResponse(data, content_type="application/pdf")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{pdf_filename(document)}"'
    return response


# Settings ---------------------------------------------------------------------------------------------------


@roles_required(Role.OWNER)
@require_http_methods(["GET", "POST"])
def document_settings_view(request):
    instance = DocumentSettings.objects.order_by("pk").first() or DocumentSettings()
    form = DocumentSettingsForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        edits.document_settings_update(actor=request.user, **form.cleaned_data)
        messages.success(request, _("Document settings saved."))
        return redirect("crm:document-settings")
    status = 422 if form.errors else 200
    return TemplateResponse(request, "crm/documents/document_settings.html", {"form": form}, status=status)
