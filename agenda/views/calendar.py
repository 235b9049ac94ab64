"""The calendar page (FullCalendar): its event feed for the visible range, the booking dialog with lead
search and free slots, drag-and-drop moves validated by the server, and the appointment popover."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.http import Http404, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from agenda import services
from agenda.forms import AppointmentForm, MoveForm, parse_day, parse_instant
from agenda.models import Appointment, Service
from agenda.selectors import (
    calendar_feed,
    calendar_tasks,
    free_slots,
    selling_members,
    visible_appointment,
    zone_of,
)
from core.errors import ApplicationError
from tenants.access import roles_required
from tenants.models import Role

CALENDAR_ROLES = (Role.OWNER, Role.SELLER)
MAX_FEED_DAYS = 62  # month view shows six weeks; a list or custom range a little more
STATUS_COLORS = {
    "scheduled": "#2f6fed",
    "confirmed": "#17804a",
    "completed": "#6b7280",
    "no_show": "#b45309",
    "cancelled": "#9ca3af",
}


def _wall(moment: datetime, zone) -> str:
    """A wall-clock time in the company's zone without offset: the calendar runs in that named zone."""
    return moment.astimezone(zone).replace(tzinfo=None).isoformat(timespec="minutes")


def _seller_filter(request) -> int | None:
    value = request.GET.get("seller", "")
    if request.membership.role == Role.OWNER and value.isdecimal() and len(value) < 19:
        return int(value)
    return None


@roles_required(*CALENDAR_ROLES)
@require_GET
def calendar(request):
    tenant = request.tenant
    sellers = selling_members(tenant=tenant) if request.membership.role == Role.OWNER else {}
    day = parse_day(request.GET.get("date", ""))
    context = {
        "sellers": sorted(sellers.items(), key=lambda item: item[1]),
        "timezone": tenant.timezone or "UTC",
        "initial_date": day.isoformat() if day else "",
        "services": Service.objects.filter(active=True).exists(),
    }
    response = TemplateResponse(request, "agenda/calendar.html", context)
    response["Content-Security-Policy"] = _policy_with_fullcalendar_styles(request)
    return response


# What FullCalendar 6 needs beyond the site's policy, on this page only: it adds an empty <style> element
# and fills it through the CSSOM (insertRule), which a Content-Security-Policy does not restrict, so only the
# empty element is allowed (by the hash of the empty string; no inline style text passes); and its icon font
# (the arrows) is a data: URL inside those rules.
CALENDAR_POLICY_EXTRAS = {
    "style-src": "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "font-src": "data:",
}


def _policy_with_fullcalendar_styles(request) -> str:
    from core.middleware import content_security_policy

    directives = [part.strip() for part in content_security_policy(request).split(";")]
    return "; ".join(
        f"{part} {CALENDAR_POLICY_EXTRAS[part.split(' ', 1)[0]]}"
        if part.split(" ", 1)[0] in CALENDAR_POLICY_EXTRAS
        else part
        for part in directives
    )


@roles_required(*CALENDAR_ROLES)
@require_GET
def events(request):
    """FullCalendar's JSON feed: the appointments (and tasks, with ?tasks=1) of the visible range only."""
    zone = zone_of(request.tenant)
    start, end = parse_instant(request.GET.get("start", ""), zone), parse_instant(request.GET.get("end", ""), zone)
    if start is None or end is None or end <= start:
        return JsonResponse({"error": _("Give the range to show.")}, status=400)
    end = min(end, start + timedelta(days=MAX_FEED_DAYS))
    seller = _seller_filter(request)
    items = []
    rows = calendar_feed(membership=request.membership, start=start, end=end, seller_id=seller, zone_name=str(zone.key))
    for pk, starts, ends, status, seller_id, flagged, sync_state, first, last, phone, service in rows:
        items.append(
            {
                "id": f"a{pk}",
                "title": f"{f'{first} {last}'.strip() or phone} · {service}",
                "start": starts,
                "end": ends,
                "color": STATUS_COLORS.get(status),
                "editable": status in Appointment.OPEN_STATUSES,
                "extendedProps": {
                    "kind": "appointment",
                    "pk": pk,
                    "status": status,
                    "seller": seller_id,
                    "actionRequired": flagged,
                    "syncFailed": sync_state == Appointment.SyncState.FAILED,
                },
            }
        )
    if request.GET.get("tasks") == "1":
        for task in calendar_tasks(membership=request.membership, start=start, end=end, seller_id=seller):
            items.append(
                {
                    "id": f"t{task.pk}",
                    "title": ("✓ " if task.done else "☐ ") + f"{task.title} · {task.lead}",
                    "start": _wall(task.due_at, zone),
                    "allDay": False,
                    "editable": False,
                    "color": "#7c3aed",
                    "classNames": ["agenda-task", "agenda-task-done" if task.done else "agenda-task-open"],
                    "extendedProps": {"kind": "task", "pk": task.pk, "lead": task.lead_id},
                }
            )
    return JsonResponse(items, safe=False)


def _slot_choices(request, *, service: Service | None, seller_id: int | None, day) -> list[dict]:
    if service is None or day is None:
        return []
    if request.membership.role != Role.OWNER:
        seller_id = request.membership.user_id
    slots = free_slots(
        tenant=request.tenant, service=service, date_from=day, date_to=day, seller_id=seller_id, ignore_notice=True
    )
    zone = zone_of(request.tenant)
    return [
        {
            "value": f"{slot.start.astimezone(zone).isoformat()}|{slot.seller_id}",
            "label": f"{slot.start.astimezone(zone):%H:%M} · {slot.seller_name}",
            "start_text": slot.start.astimezone(zone).isoformat(),
        }
        for slot in slots
    ]


@roles_required(*CALENDAR_ROLES)
@require_GET
def slots(request):
    """The free times of a service (and seller) on a day, as the booking dialog's options."""
    service = Service.objects.filter(active=True, pk=_int(request.GET.get("service"))).first()
    seller = _int(request.GET.get("seller"))
    day = parse_day(request.GET.get("day", ""))
    choices = _slot_choices(request, service=service, seller_id=seller, day=day)
    wanted = request.GET.get("slot", "")
    return TemplateResponse(
        request, "agenda/partials/_slot_options.html", {"choices": choices, "wanted": wanted, "service": service}
    )


def _int(value) -> int | None:
    value = str(value or "")
    return int(value) if value.isdecimal() and len(value) < 19 else None


@roles_required(*CALENDAR_ROLES)
@require_GET
def lead_search(request):
    from crm.selectors.leads import search_leads, visible_leads

    query = (request.GET.get("q") or "").replace("\x00", "").strip()[:100]
    leads = []
    if len(query) >= 2:
        leads = list(search_leads(visible_leads(membership=request.membership), query).order_by("-created_at")[:8])
    return TemplateResponse(request, "agenda/partials/_lead_results.html", {"leads": leads, "query": query})


def _dialog(request, form, *, status=200, alternatives=None):
    zone = zone_of(request.tenant)
    service = form.cleaned_data.get("service") if hasattr(form, "cleaned_data") else None
    chosen_lead = None
    lead_id = _int(form["lead"].value())
    if lead_id:
        from crm.public import lead_visible_to

        chosen_lead = lead_visible_to(membership=request.membership, lead_id=lead_id)
    service = service or Service.objects.filter(active=True, pk=_int(form["service"].value())).first()
    service = service or Service.objects.filter(active=True).order_by("name", "id").first()
    day = parse_day(form["day"].value() or "")
    choices = _slot_choices(request, service=service, seller_id=_int(form["seller"].value()), day=day)
    context = {
        "form": form,
        "choices": choices,
        "wanted": form["slot"].value() or "",
        "chosen_lead": chosen_lead,
        "alternatives": [
            {
                "value": f"{slot.start.astimezone(zone).isoformat()}|{slot.seller_id}",
                "label": f"{slot.start.astimezone(zone):%d/%m %H:%M} · {slot.seller_name}",
            }
            for slot in alternatives or []
        ],
    }
    return TemplateResponse(request, "agenda/partials/_appointment_form.html", context, status=status)


@roles_required(*CALENDAR_ROLES)
@require_http_methods(["GET", "POST"])
def appointment_create(request):
    tenant, membership = request.tenant, request.membership
    zone = zone_of(tenant)
    if request.method == "GET":
        start = parse_instant(request.GET.get("start", ""), zone)
        initial = {"day": (start or timezone.now()).astimezone(zone).date()}
        if start is not None:
            initial["slot"] = start.isoformat()
        if _int(request.GET.get("lead")):
            initial["lead"] = _int(request.GET.get("lead"))
        if membership.role != Role.OWNER:
            initial["seller"] = membership.user_id
        return _dialog(request, AppointmentForm(initial=initial, tenant=tenant, membership=membership))
    form = AppointmentForm(request.POST, tenant=tenant, membership=membership)
    if not form.is_valid():
        return _dialog(request, form, status=422)
    data = form.cleaned_data
    slot_text, _sep, slot_seller = data["slot"].partition("|")
    start = parse_instant(slot_text, zone)
    if start is None:
        form.add_error("slot", _("Choose one of the free times."))
        return _dialog(request, form, status=422)
    seller_id = _int(slot_seller) or data.get("seller")
    if membership.role != Role.OWNER:
        seller_id = membership.user_id
    try:
        lead = _lead_for(request, data)
        appointment = services.appointment_book(
            tenant=tenant,
            lead=lead,
            service=data["service"],
            start=start,
            seller_id=seller_id,
            actor=request.user,
            source=Appointment.Source.STAFF,
            notes=data["notes"],
        )
    except services.SlotUnavailable as error:
        form.add_error(None, error.message)
        return _dialog(request, form, status=422, alternatives=error.alternatives)
    except ApplicationError as error:
        form.add_error(None, error.message)
        return _dialog(request, form, status=422)
    response = TemplateResponse(
        request, "agenda/partials/_dialog_done.html", {"message": _("Appointment booked."), "appointment": appointment}
    )
    return trigger_client_event(response, "agenda:changed", {"message": str(_("Appointment booked."))})


def _lead_for(request, data):
    from crm.models import Lead
    from crm.public import lead_upsert_by_phone, lead_visible_to

    if data.get("lead"):
        lead = lead_visible_to(membership=request.membership, lead_id=data["lead"])
        if lead is None:
            raise ApplicationError(_("This lead does not exist."))
        return lead
    seller_id = request.membership.user_id if request.membership.role == Role.SELLER else None
    lead, created = lead_upsert_by_phone(
        tenant=request.tenant,
        phone=data["phone"],
        source=Lead.Source.MANUAL,
        actor=request.user,
        fields={"first_name": data.get("first_name", "")},
        seller_id=seller_id,
    )
    if not created and lead_visible_to(membership=request.membership, lead_id=lead.pk) is None:
        raise ApplicationError(_("This phone belongs to a lead of another seller."))
    return lead


def _appointment_or_404(request, pk: int) -> Appointment:
    appointment = visible_appointment(membership=request.membership, appointment_id=pk)
    if appointment is None:
        raise Http404
    return appointment


@roles_required(*CALENDAR_ROLES)
@require_GET
def appointment_detail(request, pk: int):
    appointment = _appointment_or_404(request, pk)
    context = {
        "appointment": appointment,
        "seller_name": selling_members(tenant=request.tenant).get(appointment.seller_id, ""),
        "zone": request.tenant.timezone or "UTC",
        "started": appointment.start <= timezone.now(),
    }
    return TemplateResponse(request, "agenda/partials/_appointment_popover.html", context)


@roles_required(*CALENDAR_ROLES)
@require_POST
def appointment_move(request, pk: int):
    """A drag or a resize. Answers JSON: {"ok": true} or {"ok": false, "error": reason} (the calendar
    snaps the event back and shows the reason)."""
    appointment = visible_appointment(membership=request.membership, appointment_id=pk)
    if appointment is None:
        return JsonResponse({"ok": False, "error": _("This appointment is not in your agenda.")}, status=404)
    form = MoveForm(request.POST)
    zone = zone_of(request.tenant)
    start = parse_instant(form.data.get("start", ""), zone) if form.is_valid() else None
    end = parse_instant(form.data.get("end", ""), zone) if form.is_valid() and form.data.get("end") else None
    if start is None or (form.data.get("end") and end is None):
        return JsonResponse({"ok": False, "error": _("This time cannot be read.")}, status=400)
    try:
        services.appointment_reschedule(
            tenant=request.tenant,
            appointment=appointment,
            start=start,
            end=end,
            actor=request.user,
            source=Appointment.Source.STAFF,
        )
    except services.SlotUnavailable as error:
        nexts = ", ".join(f"{slot.start.astimezone(zone):%d/%m %H:%M}" for slot in error.alternatives[:3])
        message = error.message + (" " + _("Next free: %(times)s.") % {"times": nexts} if nexts else "")
        return JsonResponse({"ok": False, "error": message, "code": error.code}, status=409)
    except ApplicationError as error:
        return JsonResponse({"ok": False, "error": error.message}, status=400)
    return JsonResponse({"ok": True})


STATUS_ACTIONS = {
    "confirm": services.appointment_confirm,
    "complete": services.appointment_complete,
    "no-show": services.appointment_no_show,
}


@roles_required(*CALENDAR_ROLES)
@require_POST
def appointment_status(request, pk: int, action: str):
    appointment = _appointment_or_404(request, pk)
    try:
        if action == "cancel":
            reason = (request.POST.get("reason") or "").replace("\x00", "")[:255]
            services.appointment_cancel(
                tenant=request.tenant, appointment=appointment, actor=request.user, source="staff", reason=reason
            )
        elif action in STATUS_ACTIONS:
            STATUS_ACTIONS[action](tenant=request.tenant, appointment=appointment, actor=request.user)
        else:
            raise Http404
    except ApplicationError as error:
        response = TemplateResponse(
            request,
            "agenda/partials/_dialog_done.html",
            {"error": error.message, "appointment": appointment},
            status=400,
        )
        return response
    response = TemplateResponse(
        request, "agenda/partials/_dialog_done.html", {"message": _("Saved."), "appointment": appointment}
    )
    return trigger_client_event(response, "agenda:changed", {"message": str(_("Saved."))})


urlpatterns = [
    path("agenda/", calendar, name="calendar"),
    path("agenda/events/", events, name="events"),
    path("agenda/slots/", slots, name="slots"),
    path("agenda/leads/search/", lead_search, name="lead-search"),
    path("agenda/appointments/new/", appointment_create, name="appointment-create"),
    path("agenda/appointments/<int:pk>/", appointment_detail, name="appointment-detail"),
    path("agenda/appointments/<int:pk>/move/", appointment_move, name="appointment-move"),
    path(
        "agenda/appointments/<int:pk>/<str:action>/",
        appointment_status,
        name="appointment-status",
    ),
]
