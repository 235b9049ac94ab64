"""Agenda settings pages: services (owners), working hours and time off (owners for anyone, sellers for
themselves), and the agenda settings (booking page, rules, Google calendars, inactivity alerts)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from agenda import configuration
from agenda.forms import AgendaSettingsForm, HoursForm, ServiceForm, TimeOffForm
from agenda.models import SellerCalendar, Service, StageAlert, TimeOff, WorkingHours
from agenda.selectors import agenda_settings, selling_members
from core.errors import ApplicationError
from tenants.access import roles_required
from tenants.models import Role


@roles_required(Role.OWNER)
@require_http_methods(["GET", "POST"])
def service_list(request):
    form = ServiceForm(request.POST or None, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            configuration.service_save(
                tenant=request.tenant,
                service=form.save(commit=False),
                seller_ids=form.cleaned_data["sellers"],
                actor=request.user,
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Service saved."))
            return redirect("agenda:service-list")
    members = selling_members(tenant=request.tenant)
    services = [
        (service, [members[s] for s in service.offered_by.values_list("seller_id", flat=True) if s in members])
        for service in Service.objects.prefetch_related("offered_by").order_by("-active", "name")
    ]
    context = {"form": form, "services": services, "currency": request.tenant.currency}
    return TemplateResponse(request, "agenda/service_list.html", context, status=422 if form.errors else 200)


@roles_required(Role.OWNER)
@require_http_methods(["GET", "POST"])
def service_edit(request, pk: int):
    service = get_object_or_404(Service, pk=pk)
    form = ServiceForm(request.POST or None, instance=service, tenant=request.tenant)
    if request.method == "POST" and form.is_valid():
        try:
            configuration.service_save(
                tenant=request.tenant,
                service=form.save(commit=False),
                seller_ids=form.cleaned_data["sellers"],
                actor=request.user,
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Service saved."))
            return redirect("agenda:service-list")
    return TemplateResponse(
        request, "agenda/service_edit.html", {"form": form, "service": service}, status=422 if form.errors else 200
    )


def _hours_seller(request) -> tuple[int, dict]:
    members = selling_members(tenant=request.tenant)
    if request.membership.role != Role.OWNER:
        return request.membership.user_id, {request.membership.user_id: members.get(request.membership.user_id, "")}
    value = str(request.GET.get("seller") or request.POST.get("seller") or "")
    seller_id = int(value) if value.isdecimal() and len(value) < 19 else request.membership.user_id
    if seller_id not in members:
        raise Http404
    return seller_id, members


@roles_required(Role.OWNER, Role.SELLER)
@require_http_methods(["GET", "POST"])
def hours(request):
    seller_id, members = _hours_seller(request)
    week: dict[int, list] = {}
    for row in WorkingHours.objects.filter(seller_id=seller_id):
        week.setdefault(row.weekday, []).append((row.start_time, row.end_time))
    initial = {f"day_{day}": HoursForm.format_ranges(sorted(ranges)) for day, ranges in week.items()}
    hours_form = HoursForm(request.POST if request.POST.get("form") == "hours" else None, initial=initial)
    off_form = TimeOffForm(request.POST if request.POST.get("form") == "time_off" else None)
    if request.method == "POST":
        try:
            if hours_form.is_bound and hours_form.is_valid():
                configuration.working_hours_set(
                    tenant=request.tenant, seller_id=seller_id, week=hours_form.cleaned_data["week"], actor=request.user
                )
                messages.success(request, _("Working hours saved."))
                return redirect(f"{request.path}?seller={seller_id}")
            if off_form.is_bound and off_form.is_valid():
                data = off_form.cleaned_data
                configuration.time_off_add(
                    tenant=request.tenant,
                    seller_id=seller_id,
                    start_date=data["start_date"],
                    end_date=data["end_date"],
                    reason=data["reason"],
                    actor=request.user,
                )
                messages.success(request, _("Time off added."))
                return redirect(f"{request.path}?seller={seller_id}")
        except ApplicationError as error:
            messages.error(request, error.message)
    context = {
        "hours_form": hours_form,
        "off_form": off_form,
        "seller_id": seller_id,
        "seller_name": members.get(seller_id, ""),
        "sellers": sorted(members.items(), key=lambda item: item[1]) if request.membership.role == Role.OWNER else [],
        "time_off": TimeOff.objects.filter(seller_id=seller_id).order_by("-start_date")[:50],
    }
    invalid = (hours_form.is_bound and hours_form.errors) or (off_form.is_bound and off_form.errors)
    return TemplateResponse(request, "agenda/hours.html", context, status=422 if invalid else 200)


@roles_required(Role.OWNER, Role.SELLER)
@require_POST
def time_off_delete(request, pk: int):
    time_off = TimeOff.objects.filter(pk=pk)
    if request.membership.role != Role.OWNER:
        time_off = time_off.filter(seller_id=request.membership.user_id)
    time_off = time_off.first()
    if time_off is None:
        raise Http404
    seller_id = time_off.seller_id
    configuration.time_off_delete(tenant=request.tenant, time_off=time_off, actor=request.user)
    messages.success(request, _("Time off removed."))
    return redirect(f"/agenda/hours/?seller={seller_id}")


@roles_required(Role.OWNER)
@require_http_methods(["GET", "POST"])
def settings_page(request):
    from crm.public import pipeline_stages

    row = agenda_settings()
    form = AgendaSettingsForm(request.POST if request.POST.get("form") == "rules" else None, instance=row)
    members = selling_members(tenant=request.tenant)
    stages = [stage for stage in pipeline_stages() if not stage.is_closed]
    if request.method == "POST":
        try:
            if request.POST.get("form") == "rules":
                if form.is_valid():
                    configuration.agenda_settings_update(
                        tenant=request.tenant,
                        actor=request.user,
                        **{name: form.cleaned_data[name] for name in form.Meta.fields},
                    )
                    messages.success(request, _("Agenda settings saved."))
                    return redirect("agenda:settings")
            elif request.POST.get("form") == "calendars":
                for seller_id in members:
                    value = request.POST.get(f"calendar_{seller_id}")
                    if value is not None:
                        configuration.seller_calendar_set(
                            tenant=request.tenant, seller_id=seller_id, google_calendar_id=value, actor=request.user
                        )
                messages.success(request, _("Calendars saved."))
                return redirect("agenda:settings")
            elif request.POST.get("form") == "alerts":
                for stage in stages:
                    value = str(request.POST.get(f"alert_{stage.pk}", "")).strip()
                    if value and not (value.isdecimal() and len(value) <= 4):
                        raise ApplicationError(_("Choose between 1 and 3,650 days, or leave it empty."))
                    configuration.stage_alert_set(
                        tenant=request.tenant, stage=stage, days=int(value) if value else None, actor=request.user
                    )
                messages.success(request, _("Inactivity alerts saved."))
                return redirect("agenda:settings")
        except ApplicationError as error:
            messages.error(request, error.message)
    calendars = dict(SellerCalendar.objects.values_list("seller_id", "google_calendar_id"))
    alerts = dict(StageAlert.objects.values_list("stage_id", "days"))
    from agenda.models import Appointment

    context = {
        "form": form,
        "settings": row,
        "sellers": [(uid, name, calendars.get(uid, "")) for uid, name in sorted(members.items(), key=lambda i: i[1])],
        "stages": [(stage, alerts.get(stage.pk, "")) for stage in stages],
        "failed_syncs": Appointment.objects.filter(sync_state=Appointment.SyncState.FAILED).count(),
        "provider": request.tenant.calendar_provider,
        "booking_url": request.build_absolute_uri("/book/"),
    }
    return TemplateResponse(request, "agenda/settings.html", context, status=422 if form.errors else 200)


urlpatterns = [
    path("agenda/services/", service_list, name="service-list"),
    path("agenda/services/<int:pk>/", service_edit, name="service-edit"),
    path("agenda/hours/", hours, name="hours"),
    path("agenda/hours/time-off/<int:pk>/delete/", time_off_delete, name="time-off-delete"),
    path("agenda/settings/", settings_page, name="settings"),
]
