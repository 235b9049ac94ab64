"""The tenant home dashboard (every role) and the owners' seller analytics page."""

from __future__ import annotations

from django import forms
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from core.forms import FilterDateField
from crm.selectors.analytics import chart_data, default_range, seller_choices, seller_report
from crm.selectors.dashboard import dashboard_figures, has_lead_figures, tenant_zone
from tenants.access import ALL_ROLES, roles_required
from tenants.models import Role
from tenants.selectors import pending_count


@roles_required(*ALL_ROLES)
@require_safe
def dashboard(request):
    membership = request.membership
    figures = dashboard_figures(membership=membership) if has_lead_figures(membership) else None
    context = {"figures": figures}
    if membership.role == Role.OWNER:
        context["pending_count"] = pending_count(tenant=request.tenant)
    return TemplateResponse(request, "crm/dashboard.html", context)


class AnalyticsFilterForm(forms.Form):
    date_from = FilterDateField(label=gettext_lazy("From"))
    date_to = FilterDateField(label=gettext_lazy("To"))
    seller = forms.TypedChoiceField(label=gettext_lazy("Seller"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, sellers: list[tuple[int, str]], defaults: tuple, **kwargs):
        super().__init__(*args, **kwargs)
        self.defaults = defaults
        self.fields["seller"].choices = [("", _("All sellers")), *sellers]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        cleaned["date_from"] = cleaned.get("date_from") or self.defaults[0]
        cleaned["date_to"] = cleaned.get("date_to") or self.defaults[1]
        if cleaned["date_from"] > cleaned["date_to"]:
            raise forms.ValidationError(_("The start date must be on or before the end date."), code="range")
        return cleaned


@roles_required(Role.OWNER, Role.MARKETING, Role.ACCOUNTANT)
@require_safe
def analytics(request):
    """The owners' seller report. Marketing lands on leads by source and campaign, accountants on the won
    deals: each role's analytics, never an empty page."""
    from crm.views import reports

    role = request.membership.role
    if role == Role.MARKETING:
        return reports.campaigns_view(request)
    if role == Role.ACCOUNTANT:
        return reports.won_view(request)
    tenant = request.tenant
    zone = tenant_zone(tenant)
    defaults = default_range(today=timezone.now().astimezone(zone).date())
    initial = {"date_from": defaults[0], "date_to": defaults[1]}
    form = AnalyticsFilterForm(
        request.GET or None, sellers=seller_choices(tenant=tenant), defaults=defaults, initial=initial
    )
    report = None
    if not form.is_bound:
        report = seller_report(tenant=tenant, date_from=defaults[0], date_to=defaults[1], zone=zone)
    elif form.is_valid():
        data = form.cleaned_data
        report = seller_report(
            tenant=tenant, date_from=data["date_from"], date_to=data["date_to"], zone=zone, seller_id=data["seller"]
        )
    context = {
        "form": form,
        "query": request.GET.urlencode(),
        "role": request.membership.role,
        "report": report,
        "chart": chart_data(report) if report else None,
        "currency": tenant.currency,
    }
    return TemplateResponse(request, "crm/analytics.html", context)
