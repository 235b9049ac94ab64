"""Products: the list with search (owners, sellers and accountants), create and edit, and the CSV import
with a preview (owners and accountants)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ApplicationError
from crm.documents_access import PRODUCT_EDIT_ROLES, VIEW_ROLES
from crm.documents_format import input_number
from crm.forms.products import ProductFilterForm, ProductForm, ProductImportForm
from crm.models import Product
from crm.selectors.products import product_list
from crm.services.products import (
    HEADER_ALIASES,
    product_create,
    product_import_apply,
    product_import_discard,
    product_import_preview,
    product_update,
)
from tenants.access import roles_required

PAGE_SIZE = 50


@roles_required(*VIEW_ROLES)
@require_GET
def product_list_view(request):
    form = ProductFilterForm(request.GET)
    search, show = form.values()
    page = Paginator(product_list(search=search, show=show), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "can_edit": request.membership.role in PRODUCT_EDIT_ROLES,
    }
    partial = request.htmx and not request.htmx.boosted
    return TemplateResponse(
        request, "crm/product_list.html#product-results" if partial else "crm/product_list.html", context
    )


def _save(request, form: ProductForm, product: Product | None):
    if form.is_valid():
        try:
            if product is None:
                product = product_create(actor=request.user, **form.cleaned_data)
                messages.success(request, _("Product “%(name)s” added.") % {"name": product.name})
            else:
                product = product_update(product=product, actor=request.user, **form.cleaned_data)
                messages.success(request, _("Product “%(name)s” saved.") % {"name": product.name})
        except ApplicationError as error:
            form.add_error("sku" if "reference" in error.message else None, error.message)
        else:
            return redirect("crm:product-list")
    status = 422 if form.is_bound else 200
    return TemplateResponse(request, "crm/product_form.html", {"form": form, "product": product}, status=status)


@roles_required(*PRODUCT_EDIT_ROLES)
@require_http_methods(["GET", "POST"])
def product_create_view(request):
    return _save(request, ProductForm(request.POST or None, initial={"active": True, "tax_rate": "0"}), None)


@roles_required(*PRODUCT_EDIT_ROLES)
@require_http_methods(["GET", "POST"])
def product_edit_view(request, pk: int):
    product = get_object_or_404(Product, pk=pk)
    initial = {
        "name": product.name,
        "sku": product.sku,
        "description": product.description,
        "unit_price": input_number(product.unit_price),
        "tax_rate": input_number(product.tax_rate),
        "unit": product.unit,
        "active": product.active,
    }
    return _save(request, ProductForm(request.POST or None, initial=initial), product)


@roles_required(*PRODUCT_EDIT_ROLES)
@require_http_methods(["GET", "POST"])
def product_import_view(request):
    """Upload a CSV: the answer is its preview (what will be created, updated, skipped and why), with the
    buttons to apply or discard it."""
    form = ProductImportForm(request.POST or None, request.FILES or None)
    sheet = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            sheet = product_import_preview(name=upload.name, data=upload.read())
        except ApplicationError as error:
            form.add_error("file", error.message)
    context = {"form": form, "sheet": sheet, "columns": list(HEADER_ALIASES)}
    return TemplateResponse(request, "crm/product_import.html", context, status=422 if form.errors else 200)


@roles_required(*PRODUCT_EDIT_ROLES)
@require_POST
def product_import_apply_view(request):
    try:
        created, updated, skipped = product_import_apply(
            token=request.POST.get("token", ""), name=request.POST.get("name", "")[:255], actor=request.user
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("crm:product-import")
    messages.success(
        request,
        _("Import finished: %(created)s created, %(updated)s updated, %(skipped)s skipped.")
        % {"created": created, "updated": updated, "skipped": skipped},
    )
    return redirect("crm:product-list")


@roles_required(*PRODUCT_EDIT_ROLES)
@require_POST
def product_import_discard_view(request):
    product_import_discard(token=request.POST.get("token", ""))
    messages.success(request, _("The upload was discarded."))
    return redirect("crm:product-import")
