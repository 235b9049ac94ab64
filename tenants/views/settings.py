"""The owners' Settings page: company settings and the credential vault (masked values only)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ApplicationError
from tenants.access import roles_required
from tenants.forms import TenantSettingsForm, credential_form_class
from tenants.models import Credential, Role
from tenants.services import TENANT_SETTING_FIELDS, tenant_settings_update
from tenants.vault import CREDENTIAL_FIELDS, vault_delete, vault_masked, vault_set


def _shown(field, value: str) -> str:
    """A stored value as the list shows it: a choice by its label."""
    return str(dict(field.choices).get(value, value)) if field.choices else value


def _credential_rows(tenant):
    stored = vault_masked(tenant=tenant)
    return [
        {
            "kind": kind,
            "label": Credential.Kind(kind).label,
            "configured": kind in stored,
            "values": [(field.label, _shown(field, stored.get(kind, {}).get(field.name, ""))) for field in fields],
        }
        for kind, fields in CREDENTIAL_FIELDS.items()
    ]


def _currency_warning(before: str, after: str) -> str:
    return _(
        "The currency is now %(after)s instead of %(before)s. Amounts were not converted: an expected value "
        "of 100 %(before)s now reads 100 %(after)s."
    ) % {"before": before, "after": after}


@roles_required(Role.OWNER)
@require_http_methods(["GET", "POST"])
def settings_page(request):
    tenant = request.tenant
    form = TenantSettingsForm(
        request.POST or None, initial={name: getattr(tenant, name) for name in TENANT_SETTING_FIELDS}
    )
    if request.method == "POST" and form.is_valid():
        previous_currency = tenant.currency
        try:
            tenant_settings_update(tenant=tenant, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Settings saved."))
            if tenant.currency != previous_currency:
                messages.warning(request, _currency_warning(previous_currency, tenant.currency))
            return redirect("tenants:settings")
    return TemplateResponse(
        request, "tenants/settings_page.html", {"form": form, "credentials": _credential_rows(tenant)}
    )


def _typed_anything(kind: str, values: dict) -> bool:
    """Whether a new credential's form has any value typed in (a choice always has one: it does not count)."""
    return any(values.get(field.name) for field in CREDENTIAL_FIELDS[kind] if not field.choices)


@roles_required(Role.OWNER)
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def credential_edit(request, kind: str):
    if kind not in CREDENTIAL_FIELDS:
        raise Http404
    masked = vault_masked(tenant=request.tenant).get(kind, {})
    form_class = credential_form_class(kind, stored=bool(masked))
    # Secret widgets never render a value, so a form shown again after an error keeps its messages
    # without sending a typed secret back to the browser.
    form = form_class(
        request.POST if request.method == "POST" else None,
        initial={f.name: masked.get(f.name, "") for f in CREDENTIAL_FIELDS[kind] if not f.secret},
    )
    if request.method == "POST" and form.is_valid() and not masked and not _typed_anything(kind, form.cleaned_data):
        form.add_error(None, _("Fill in at least one value, or cancel."))
    if request.method == "POST" and form.is_valid():
        vault_set(tenant=request.tenant, kind=kind, values=form.cleaned_data, actor=request.user)
        messages.success(request, _("%(name)s credentials saved.") % {"name": Credential.Kind(kind).label})
        return redirect("tenants:settings")
    return TemplateResponse(
        request,
        "tenants/credential_edit.html",
        {"form": form, "kind": kind, "label": Credential.Kind(kind).label, "masked": masked},
    )


@roles_required(Role.OWNER)
@require_POST
def credential_delete(request, kind: str):
    if kind not in CREDENTIAL_FIELDS:
        raise Http404
    vault_delete(tenant=request.tenant, kind=kind, actor=request.user)
    messages.success(request, _("%(name)s credentials removed.") % {"name": Credential.Kind(kind).label})
    return redirect("tenants:settings")
