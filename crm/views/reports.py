"""Analytics beyond the seller report (issue 7, expectation 8): forecast and funnel for owners, leads by
source and campaign for marketing, won deals for accountants (read-only), and every table as CSV."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_safe

from crm.csvfiles import csv_lines
from crm.selectors import reports
from crm.selectors.analytics import _bounds, default_range, seller_choices, seller_report
from crm.selectors.dashboard import tenant_zone
from crm.selectors.leads import stages as all_stages
from crm.services.exports import DECIMAL_COMMA_LANGUAGES, export_delimiter
from crm.views.dashboard import AnalyticsFilterForm
from crm.views.leads import _async_lines
from tenants.access import roles_required
from tenants.models import Role

OWNER_TABLES = ("sellers", "pipeline", "forecast", "funnel", "stage_days", "lost_reasons")
# Which roles may export which table.
EXPORTS = {
    **dict.fromkeys(OWNER_TABLES, (Role.OWNER,)),
    "campaigns": (Role.OWNER, Role.MARKETING),
    "won": (Role.OWNER, Role.ACCOUNTANT),
}
ANALYTICS_ROLES = (Role.OWNER, Role.MARKETING, Role.ACCOUNTANT)


def _filters(request, *, with_seller: bool):
    """The bound filter form and the (date_from, date_to, seller_id) it gives; None when it is invalid."""
    tenant = request.tenant
    defaults = default_range(today=timezone.now().astimezone(tenant_zone(tenant)).date())
    sellers = seller_choices(tenant=tenant) if with_seller else []
    form = AnalyticsFilterForm(
        request.GET or None,
        sellers=sellers,
        defaults=defaults,
        initial={"date_from": defaults[0], "date_to": defaults[1]},
    )
    if not with_seller:
        del form.fields["seller"]
    if not form.is_bound:
        return form, (defaults[0], defaults[1], None)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, (data["date_from"], data["date_to"], data.get("seller"))


def _owner_tables(request, chosen) -> dict[str, reports.Table]:
    date_from, date_to, seller_id = chosen
    stages = all_stages()
    return {
        "pipeline": reports.weighted_pipeline(stages=stages, seller_id=seller_id),
        "forecast": reports.forecast(stages=stages, seller_id=seller_id),
        "funnel": reports.funnel(stages=stages, date_from=date_from, date_to=date_to, seller_id=seller_id),
        "stage_days": reports.stage_days(stages=stages, date_from=date_from, date_to=date_to, seller_id=seller_id),
        "lost_reasons": reports.lost_reasons(date_from=date_from, date_to=date_to, seller_id=seller_id),
    }


def _context(request, form, chosen, **extra) -> dict:
    return {
        "form": form,
        "chosen": chosen,
        "query": request.GET.urlencode(),
        "currency": request.tenant.currency,
        "role": request.membership.role,
        **extra,
    }


@roles_required(Role.OWNER)
@require_safe
def reports_view(request):
    """Weighted pipeline, forecast by close month, funnel, days in stage, lost reasons."""
    form, chosen = _filters(request, with_seller=True)
    tables = list(_owner_tables(request, chosen).values()) if chosen else []
    return TemplateResponse(request, "crm/reports.html", _context(request, form, chosen, tables=tables))


@roles_required(Role.OWNER, Role.MARKETING)
@require_safe
def campaigns_view(request):
    form, chosen = _filters(request, with_seller=False)
    tables = [reports.campaigns(date_from=chosen[0], date_to=chosen[1])] if chosen else []
    return TemplateResponse(request, "crm/reports_campaigns.html", _context(request, form, chosen, tables=tables))


def _cursor(request) -> tuple | None:
    """The keyset of the last won deal shown: ?after=<closed_at ISO>_<id>."""
    value = request.GET.get("after", "")
    moment, _sep, pk = value.rpartition("_")
    when = parse_datetime(moment) if moment else None
    if when is None or not pk.isdigit():
        return None
    return when, int(pk)


@roles_required(Role.OWNER, Role.ACCOUNTANT)
@require_safe
def won_view(request):
    """Won deals with their values, newest first, read-only, a page at a time (keyset)."""
    form, chosen = _filters(request, with_seller=False)
    context = _context(request, form, chosen, tables=[])
    if chosen:
        start, end = _bounds(chosen[0], chosen[1], tenant_zone(request.tenant))
        rows = reports.won_deals(start=start, end=end, before=_cursor(request))
        more = len(rows) > reports.WON_PAGE
        rows = rows[: reports.WON_PAGE]
        table = reports.won_table(rows)
        count, value = reports.won_totals(date_from=chosen[0], date_to=chosen[1])
        params = request.GET.copy()
        params.pop("after", None)
        if more:
            params["after"] = f"{rows[-1].closed_at.isoformat()}_{rows[-1].pk}"
        context.update(
            tables=[table],
            won_count=count,
            won_value=value,
            next_query=params.urlencode() if more else "",
            first_query="" if "after" not in request.GET else _without(request, "after"),
        )
    return TemplateResponse(request, "crm/reports_won.html", context)


def _without(request, name: str) -> str:
    params = request.GET.copy()
    params.pop(name, None)
    return params.urlencode() or "-"


class _Cells:
    """Turns typed cells into CSV text in the reader's language (decimal comma for es and fr)."""

    def __init__(self, zone):
        self.comma = (translation.get_language() or "")[:2] in DECIMAL_COMMA_LANGUAGES
        self.zone = zone

    def number(self, value, places: int) -> str:
        text = f"{value:.{places}f}"
        return text.replace(".", ",") if self.comma else text

    def __call__(self, value, kind: str) -> str:
        if value is None:
            return ""
        if kind == reports.MONEY:
            return self.number(value, 2)
        if kind in (reports.PERCENT, reports.DAYS):
            return self.number(value, 1)
        if kind == reports.DATE and isinstance(value, datetime):
            return value.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")
        return str(value)


@roles_required(*ANALYTICS_ROLES)
@require_safe
def export_view(request, table: str):
    """One report table as CSV, with the page's filters."""
    if table not in EXPORTS:
        raise Http404
    if request.membership.role not in EXPORTS[table]:
        raise PermissionDenied
    form, chosen = _filters(request, with_seller=table in OWNER_TABLES)
    if chosen is None:
        return HttpResponse(" ".join(str(error) for error in form.errors.values()), status=400)
    zone = tenant_zone(request.tenant)
    cells = _Cells(zone)
    delimiter = export_delimiter(request.GET.get("sep", ""))
    if table == "won":
        lines = _won_lines(chosen, zone, cells, delimiter)
        body = _async_lines(lines) if isinstance(request, ASGIRequest) else lines
        response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    else:
        if table == "sellers":
            report = seller_report(
                tenant=request.tenant, date_from=chosen[0], date_to=chosen[1], zone=zone, seller_id=chosen[2]
            )
            data = reports.seller_ranking(report)
        elif table == "campaigns":
            data = reports.campaigns(date_from=chosen[0], date_to=chosen[1])
        else:
            data = _owner_tables(request, chosen)[table]
        response = HttpResponse("".join(_table_lines(data, cells, delimiter)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{table}-{chosen[0]:%Y%m%d}-{chosen[1]:%Y%m%d}.csv"'
    return response


def _table_lines(table: reports.Table, cells: _Cells, delimiter: str):
    rows = [[cells(value, kind) for value, kind in row] for row in table.cells]
    if table.total_cells:
        rows.append([cells(value, kind) for value, kind in table.total_cells])
    return csv_lines([column.label for column in table.columns], rows, delimiter=delimiter)


def _won_lines(chosen, zone, cells: _Cells, delimiter: str):
    """Every won deal of the range, read a page at a time along the closed_at index."""
    start, end = _bounds(chosen[0], chosen[1], zone)
    language = translation.get_language()

    def rows():
        before = None
        while True:
            with translation.override(language):
                page = reports.won_deals(start=start, end=end, before=before, limit=1000)[:1000]
                if not page:
                    return
                for row in reports.won_table(page).cells:
                    yield [cells(value, kind) for value, kind in row]
            before = (page[-1].closed_at, page[-1].pk)

    header = [str(label) for label in reports.WON_COLUMNS]
    return csv_lines(header, rows(), delimiter=delimiter)
